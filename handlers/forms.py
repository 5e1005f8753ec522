"""The thin adapter between PTB and the conversations: an Update becomes a Turn (plain values),
and what the engine sends becomes Bot API calls. Nothing here knows a feature or a form."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationHandlerStop

from conversations.router import Router
from conversations.turn import Input, Keyboard, Turn
from domain.roles import Role
from handlers.context import ROUTER_KEY, BotContext
from handlers.menus import set_chat_menu

TurnCallback = Callable[[Turn], Awaitable[None]]


def markup(buttons: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in buttons])


class TelegramChat:
    """conversations.turn.Chat on one PTB update."""

    def __init__(self, update: Update, context: BotContext):
        self.update, self.context = update, context
        self.query = update.callback_query

    async def send(self, text: str, buttons: Keyboard | None = None) -> None:
        assert self.update.effective_chat is not None
        await self.context.bot.send_message(
            self.update.effective_chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup(buttons)
        )

    async def ack(self, notice: str | None = None, alert: bool = False) -> None:
        if self.query is not None:
            await self.context.answer_button(self.query, notice, show_alert=alert)

    async def clear_buttons(self) -> None:
        if self.query is not None and self.query.message is not None and self.query.message.reply_markup is not None:
            await self.query.edit_message_reply_markup(None)

    async def set_buttons(self, buttons: Keyboard) -> None:
        if self.query is not None:
            await self.query.edit_message_reply_markup(markup(buttons))

    async def send_file(self, path: Path, caption: str | None = None) -> None:
        assert self.update.effective_chat is not None
        with path.open("rb") as content:
            await self.context.bot.send_document(
                self.update.effective_chat.id,
                content,
                filename=path.name,
                caption=caption,
                parse_mode=ParseMode.HTML,
                write_timeout=300,
            )

    async def set_commands(self, role: Role | None, language: str) -> None:
        await set_chat_menu(
            self.context.bot, self.update.effective_user.id if self.update.effective_user else 0, role, language
        )

    def start_task(self, work: Coroutine[Any, Any, Any], name: str) -> None:
        self.context.application.create_task(work, update=self.update, name=name)


def input_of(update: Update, args: list[str] | None = None) -> Input:
    person, message, query = update.effective_user, update.effective_message, update.callback_query
    assert person is not None
    text = message.text if message is not None and query is None else None
    command = None
    if update.message is not None and text and text.startswith("/"):
        command = text.split()[0][1:].split("@")[0].lower()
    location = None
    if message is not None and message.location is not None and query is None:
        location = (message.location.latitude, message.location.longitude)
    return Input(
        update_id=update.update_id,
        user_id=person.id,
        text=text,
        command=command,
        args=list(args if args is not None else (text.split()[1:] if command and text else [])),
        button=query.data if query is not None else None,
        location=location,
        edited=update.edited_message is not None,
        full_name=person.full_name,
    )


def turn_of(update: Update, context: BotContext) -> Turn:
    router: Router = context.application.bot_data[ROUTER_KEY]
    return Turn(
        input=input_of(update, context.args),
        chat=TelegramChat(update, context),
        services=context.services,
        router=router,
        person=context.account,
        language=context.language,
    )


async def route(update: Update, context: BotContext) -> None:
    """Before the other handlers: a person in a conversation is answered by its router."""
    if update.effective_user is None:
        return
    turn = turn_of(update, context)
    if await turn.router.route(turn):
        raise ApplicationHandlerStop


def on_turn(callback: TurnCallback) -> Callable[[Update, BotContext], Awaitable[None]]:
    """A PTB callback that hands the update to ``callback`` as a Turn."""

    async def handle(update: Update, context: BotContext) -> None:
        await callback(turn_of(update, context))

    handle.__name__ = getattr(callback, "__name__", "handle")
    return handle
