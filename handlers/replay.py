"""Updates Telegram delivers a second time.

The poller confirms an update only after it was handled, so after a crash Telegram sends again
what the bot may already have acted on. Every write made for an update records its id in the same
transaction (storage.handling_update); an update found there is not applied again. If its replies
were not all sent, the person gets what they may have missed: the receipt of the report that
update completed, or the question they are at now."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from handlers.context import BotContext
from handlers.forms import turn_of
from storage.updates import Progress

log = logging.getLogger(__name__)


async def skip_if_handled(update: Update, context: BotContext) -> None:
    storage = context.services.storage
    progress = await storage.updates.progress(update.update_id)
    if progress is Progress.NEW:
        return
    log.info("update %s took effect before a restart; not applied again", update.update_id)
    if progress is Progress.APPLIED:  # the replies may never have been sent
        await _show_again(update, context)
    raise ApplicationHandlerStop


async def _show_again(update: Update, context: BotContext) -> None:
    turn = turn_of(update, context)
    await turn.chat.ack()
    await turn.router.replay(turn)
