"""/start: registering with an invitation code (typed, or from a t.me deep link)."""
from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, ConversationHandler, MessageHandler, filters

from handlers.common import help_text
from handlers.context import BotContext
from handlers.menus import set_chat_menu
from storage.users import Outcome

WAITING_CODE = "waiting_code"


async def start(update: Update, context: BotContext) -> str | int:
    if context.account is not None:
        await update.effective_message.reply_html(
            context.t("start.welcome_back", name=context.account.name) + "\n\n" + help_text(context))
        return ConversationHandler.END
    if context.args:
        return await _try_code(update, context, context.args[0])
    await update.effective_message.reply_html(context.t("start.ask_code"))
    return WAITING_CODE


async def code_typed(update: Update, context: BotContext) -> str | int:
    return await _try_code(update, context, update.effective_message.text)


async def _try_code(update: Update, context: BotContext, code: str) -> str | int:
    person = update.effective_user
    services = context.services
    result = await services.storage.users.register(person.id, person.full_name, code[:64])
    message = update.effective_message
    if result.outcome is Outcome.REGISTERED:
        context.account = result.user
        await set_chat_menu(context.bot, person.id, result.user.role, context.language)
        await message.reply_html(await _welcome(context) + "\n\n" + help_text(context))
        return ConversationHandler.END
    if result.outcome is Outcome.LIMITED:
        local = result.retry_at.astimezone(services.default_zone)
        await message.reply_html(context.t("start.limited", time=local.strftime("%H.%M")))
        return ConversationHandler.END
    await message.reply_html(context.t(f"start.code_{result.outcome.value}") + "\n" + context.t("start.try_again"))
    return WAITING_CODE


async def _welcome(context: BotContext) -> str:
    account = context.account
    areas = context.services.storage.areas
    places = []
    for entry in account.scope:
        name = await areas.area_name(entry.area_code) or entry.area_code
        if entry.posyandu_id:
            name = f"{(await areas.posyandu(entry.posyandu_id)).name}, {name}"
        places.append(name)
    return context.t("start.registered", name=account.name, role=context.t(f"role.{account.role.value}"),
                     places=", ".join(places) or "—")


async def not_a_code(update: Update, context: BotContext) -> None:
    """A sticker, photo or command while we wait for the code: ask again, gently."""
    await update.effective_message.reply_html(context.t("start.ask_code"))


async def cancel(update: Update, context: BotContext) -> int:
    await update.effective_message.reply_html(context.t("start.cancelled"))
    return ConversationHandler.END


def registration_conversation() -> ConversationHandler:
    return ConversationHandler(
        entry_points=[CommandHandler("start", start)],
        states={WAITING_CODE: [MessageHandler(filters.TEXT & ~filters.COMMAND, code_typed)]},
        fallbacks=[CommandHandler("start", start), CommandHandler("batal", cancel),
                   MessageHandler(filters.ALL & ~filters.UpdateType.EDITED, not_a_code)],
        name="registration", persistent=True, allow_reentry=True,
    )
