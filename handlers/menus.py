"""The command menu each person sees in Telegram, set per chat to match their role."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from domain.roles import COMMANDS, GUEST_COMMANDS, Role
from domain.texts import LANGUAGES, t

log = logging.getLogger(__name__)


def commands_for(role: Role | None, lang: str) -> list[BotCommand]:
    names = COMMANDS[role] if role else GUEST_COMMANDS
    return [BotCommand(name, t(lang, f"command.{name}")) for name in names]


async def set_default_menus(bot: Bot) -> None:
    """The menu of people who have not registered yet, in each language."""
    for lang in LANGUAGES:
        await bot.set_my_commands(
            commands_for(None, lang), scope=BotCommandScopeDefault(), language_code=None if lang == "id" else lang
        )


async def set_chat_menu(bot: Bot, chat_id: int, role: Role | None, lang: str) -> None:
    try:
        await bot.set_my_commands(commands_for(role, lang), scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:  # a menu is a convenience: never fail the person's action for it
        log.warning("could not set the command menu for a chat: %s", exc)
