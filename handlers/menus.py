"""The command menu each person sees in Telegram, set per chat to match their role."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError

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


# Seconds between tries of the default menus when Telegram fails them (5xx, timeouts), then
# every hour: a menu is a convenience, and the bot serves people meanwhile.
RETRY_DELAYS = (10.0, 30.0, 60.0, 300.0, 900.0, 1800.0)
THEN_EVERY = 3600.0


async def set_default_menus_retrying(
    bot: Bot, delays: Sequence[float] = RETRY_DELAYS, then_every: float = THEN_EVERY
) -> bool:
    """Set the default menus, trying again with backoff until Telegram takes them; a failure is
    logged once. Gives up (False) only on a refusal that trying again cannot change."""
    failures = 0
    while True:
        try:
            await set_default_menus(bot)
        except (BadRequest, Forbidden, InvalidToken) as exc:
            log.error("Telegram refused the command menus (%s); people can still type the commands", exc)
            return False
        except TelegramError as exc:  # 5xx, timeouts, connection errors, a flood limit
            if failures == 0:
                log.warning(
                    "could not set the command menus (%s: %s); the bot serves people regardless "
                    "and keeps trying in the background",
                    type(exc).__name__,
                    exc,
                )
            delay = delays[failures] if failures < len(delays) else then_every
            if isinstance(exc, RetryAfter):  # retry_after: seconds, or a timedelta
                wait = exc.retry_after
                delay = max(delay, wait.total_seconds() if isinstance(wait, timedelta) else float(wait))
            failures += 1
            await asyncio.sleep(delay)
            continue
        if failures:
            log.info("the command menus are set (after %d failed tries)", failures)
        return True


@asynccontextmanager
async def default_menus_in_background(
    bot: Bot, delays: Sequence[float] = RETRY_DELAYS, then_every: float = THEN_EVERY
) -> AsyncIterator[asyncio.Task[bool]]:
    """The default menus are set by a task of their own, so that a Bot API that fails them
    (Telegram's occasional 5xx; emulators that answer setMyCommands with 500) never stops the
    start; the task ends with the block."""
    task = asyncio.create_task(set_default_menus_retrying(bot, delays, then_every), name="default command menus")
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.wait([task])
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("setting the command menus failed: %s: %s", type(error).__name__, error)


async def set_chat_menu(bot: Bot, chat_id: int, role: Role | None, lang: str) -> None:
    try:
        await bot.set_my_commands(commands_for(role, lang), scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:  # a menu is a convenience: never fail the person's action for it
        log.warning("could not set the command menu for a chat: %s", exc)
