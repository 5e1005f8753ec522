"""Handlers outside conversations: the access gate, /bantuan, /bahasa, groups, the catch-all."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import ApplicationHandlerStop

from domain.callbacks import decode, encode
from domain.roles import COMMANDS, FORM_COMMANDS, GUEST_COMMANDS, may_use
from domain.roles import help_text as domain_help_text
from domain.texts import LANGUAGES, Html, t
from handlers.context import BotContext
from handlers.menus import set_chat_menu

log = logging.getLogger(__name__)
GROUP_COMMANDS = ("start", "bantuan")


def command_of(update: Update) -> str | None:
    """The command of a message, edited or not (without the slash and bot username), if it is one."""
    message = update.message or update.edited_message
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    return message.text.split()[0][1:].split("@")[0].lower()


async def gate(update: Update, context: BotContext) -> None:
    """Runs before every handler, for every update of every kind: who is this, may they do
    this here? The person is read afresh each time, so access ends with the next update.
    Commands (edited ones too) and buttons are checked here; anything else a person who is not
    (or no longer) registered sends reaches at most the registration conversation (the router
    ends any other conversation of theirs) and the catch-all."""
    person = update.effective_user
    if person is None:
        raise ApplicationHandlerStop
    services = context.services
    users = services.storage.users
    known = await users.get(person.id, include_inactive=True)
    if known is None and person.id in services.settings.admin_telegram_ids:
        known = await users.ensure_admin(person.id, person.full_name)  # never one deactivated
        if known is not None:
            await set_chat_menu(context.bot, person.id, known.role, known.language)
    account = known if known is not None and known.active else None
    context.account = account
    context.access_ended = known is not None and account is None
    context.language = (
        known.language if known else (await users.language(person.id) or _telegram_language(person.language_code))
    )
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        await _in_group(update, context)
        raise ApplicationHandlerStop
    command = command_of(update)
    if command and not may_use(account.role if account else None, command) and _known_command(command):
        key = "gate.not_for_role" if account else "access.ended" if context.access_ended else "gate.register_first"
        await update.effective_message.reply_html(context.t(key))
        raise ApplicationHandlerStop
    if account is None and update.callback_query and not (update.callback_query.data or "").startswith("g:"):
        key = "access.ended_short" if context.access_ended else "gate.register_first_short"
        await context.answer_button(update.callback_query, context.t(key), show_alert=True)
        raise ApplicationHandlerStop


def _known_command(command: str) -> bool:
    return command in GUEST_COMMANDS + FORM_COMMANDS or any(command in names for names in COMMANDS.values())


def _telegram_language(code: str | None) -> str:
    return "en" if code and code.lower().startswith("en") else "id"


async def _in_group(update: Update, context: BotContext) -> None:
    """In groups the bot collects nothing; it only points people to the private chat."""
    if command_of(update) in GROUP_COMMANDS:
        username = context.bot.username
        await update.effective_message.reply_html(context.t("group.private_only", bot=username))


async def help_command(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_html(help_text(context))


def help_text(context: BotContext) -> Html:
    return domain_help_text(context.language, context.account.role if context.account else None)


async def language_command(update: Update, context: BotContext) -> None:
    buttons = [
        [InlineKeyboardButton(t(lang, "language.name"), callback_data=encode("g", 0, "lang", lang))]
        for lang in LANGUAGES
    ]
    await update.effective_message.reply_html(context.t("language.choose"), reply_markup=InlineKeyboardMarkup(buttons))


async def language_chosen(update: Update, context: BotContext) -> None:
    query = update.callback_query
    button = decode(query.data, "g")
    lang = button.arg if button else ""
    if lang not in LANGUAGES:
        await context.answer_button(query)
        return
    await context.services.storage.users.set_language(update.effective_user.id, lang)
    context.language = lang
    await context.answer_button(query)
    await query.edit_message_text(t(lang, "language.set"), parse_mode=ParseMode.HTML)
    role = context.account.role if context.account else None
    await set_chat_menu(context.bot, update.effective_chat.id, role, lang)


async def stale_button(update: Update, context: BotContext) -> None:
    """A button nobody handles any more (an old message, or data the bot never sent)."""
    await context.answer_button(update.callback_query, context.t("button.stale"))


async def fallback_message(update: Update, context: BotContext) -> None:
    """Anything no other handler took: point to what the person can do."""
    message = update.effective_message
    if message is None:
        return
    if update.edited_message:  # an edit is never acted on; an edited command is not run again
        if command_of(update):
            await message.reply_html(context.t("access.edited_command"))
        return
    if context.account is None:
        await message.reply_html(context.t("access.ended" if context.access_ended else "gate.register_first"))
    elif command_of(update):
        await message.reply_html(context.t("fallback.unknown_command") + "\n\n" + help_text(context))
    else:
        await message.reply_html(context.t("fallback.idle"))
