"""A CallbackContext that exposes the bot's services and the person behind the update."""

from __future__ import annotations

import logging

from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, CallbackContext, ExtBot

from domain.models import User
from domain.texts import DEFAULT_LANGUAGE, Html, t
from runtime.services import Services

SERVICES_KEY = "services"
ROUTER_KEY = "router"  # the conversations.router.Router the composition root made
log = logging.getLogger(__name__)


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    def __init__(self, application: Application, chat_id: int | None = None, user_id: int | None = None):
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.account: User | None = None  # the registered user, set by the access gate
        self.access_ended = False  # registered once, deactivated since (set by the gate)
        self.language: str = DEFAULT_LANGUAGE

    @property
    def services(self) -> Services:
        return self.application.bot_data[SERVICES_KEY]

    async def say(self, chat_id: int, text: str, reply_markup=None):
        """Send an HTML message (texts from the catalogue are HTML with escaped parameters)."""
        return await self.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=reply_markup)

    async def answer_button(self, query, text: str | None = None, show_alert: bool = False) -> None:
        """Acknowledge a button press. Best effort: a press made while the bot was down is too
        old to answer, but what it asked for must still be done."""
        try:
            await query.answer(text, show_alert=show_alert)
        except BadRequest as exc:
            log.info("could not answer a button press: %s", exc.message)

    def t(self, key: str, **params) -> Html:
        """A text from the catalogue in this person's language."""
        return t(self.language, key, **params)
