"""The error handler: log with context (no personal data, no token), answer politely, go on."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError

from domain.texts import t
from handlers.context import BotContext
from storage import DatabaseBusy, DatabaseFull, note_update_failed

log = logging.getLogger("lapordesa.errors")


async def on_error(update: object, context: BotContext) -> None:
    error = context.error
    where = _describe(update)
    note_update_failed()  # if it was delivered again, show the person where they are
    if isinstance(error, Forbidden):
        log.info("person blocked the bot (%s)", where)
        return
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        log.warning("Telegram unreachable or slow (%s): %s", where, type(error).__name__)
        return
    if isinstance(error, DatabaseBusy):
        log.error(
            "database locked by another process, still after retries (%s): the person was asked to "
            "send it again; check for a second bot or a long backup/CLI command",
            where,
        )
        text = "fault.db_busy"
    elif isinstance(error, DatabaseFull):
        log.error("database or disk is full (%s): nothing was saved; free disk space on the server", where)
        text = "fault.db_full"
    else:
        log.error("unhandled %s in %s", type(error).__name__, where, exc_info=error)
        text = "error.internal"
    if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == "private":
        try:
            await context.say(update.effective_chat.id, t(context.language, text))
        except TelegramError:
            log.warning("could not tell the person about the error (%s)", where)


def _describe(update: object) -> str:
    """What happened, without message text or names: the update id and its kind."""
    if not isinstance(update, Update):
        return "job or background task"
    kind = next(
        (
            name
            for name in ("message", "edited_message", "callback_query", "my_chat_member")
            if getattr(update, name, None) is not None
        ),
        "update",
    )
    return f"update {update.update_id} ({kind})"
