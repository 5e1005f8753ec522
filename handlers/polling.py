"""Long polling that tells Telegram an update is done only after the bot has handled it.

python-telegram-bot's Updater confirms a batch of updates (the ``offset`` of the next
getUpdates call) as soon as it has fetched it, before the handlers ran: an answer waiting in the
process when it is killed is never delivered again. Here a batch is handled first and confirmed
after, so a crash means Telegram delivers the unfinished updates again; the ones that had already
taken effect are recognised by their id (``storage.handling_update`` + ``conversations.replay``).

Within a batch each chat's updates are handled in order, different chats concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application

from storage import Storage, handling_update

log = logging.getLogger(__name__)
FIRST_RETRY, MAX_RETRY = 1.0, 30.0


class Poller:
    def __init__(
        self, application: Application, storage: Storage, *, timeout: float = 30, allowed_updates=Update.ALL_TYPES
    ):
        self.application = application
        self.storage = storage
        self.timeout = timeout
        self.allowed_updates = allowed_updates
        self.offset: int | None = None  # the first update not yet handled

    async def run(self, stop: asyncio.Event) -> None:
        """Fetch, handle, confirm, until ``stop`` is set; then confirm what was handled."""
        await self.storage.updates.start_polling()
        retry = FIRST_RETRY
        while not stop.is_set():
            try:
                updates = await self._fetch(stop)
            except InvalidToken:
                raise
            except RetryAfter as exc:
                await _pause(stop, _seconds(exc.retry_after))
                continue
            except TelegramError as exc:  # network trouble, 5xx, another poller (409)
                log.warning("getUpdates failed (%s); trying again in %.1fs", exc, retry)
                await _pause(stop, retry)
                retry = min(retry * 1.5, MAX_RETRY)
                continue
            retry = FIRST_RETRY
            if updates:
                await self.handle(updates)
                self.offset = updates[-1].update_id + 1
        await self._confirm()

    async def handle(self, updates: Sequence[Update]) -> None:
        """Handle a batch, then mark the updates that changed something and were answered in
        full. A chat's last update is marked with the other chats' in one transaction after the
        batch (a crash before that only means its question is shown once more); earlier ones
        are marked at once, so a redelivered batch repeats no more than that."""
        last_replied: list[int] = []
        await asyncio.gather(*(self._handle_in_order(chat, last_replied) for chat in _by_chat(updates)))
        await self._mark_replied(last_replied)

    async def _handle_in_order(self, updates: Sequence[Update], last_replied: list[int]) -> None:
        for number, update in enumerate(updates, 1):
            try:
                if await self._handle(update):
                    if number < len(updates):
                        await self._mark_replied([update.update_id])
                    else:
                        last_replied.append(update.update_id)
            except Exception:  # the error handler normally takes these; never stop polling
                log.exception("update %s could not be handled", update.update_id)

    async def _mark_replied(self, update_ids: list[int]) -> None:
        if not update_ids:
            return
        try:
            await self.storage.updates.mark_replied(update_ids)
        except Exception:  # bookkeeping only: never stop polling for it
            log.exception("could not mark %d handled updates as answered", len(update_ids))

    async def _handle(self, update: Update) -> bool:
        """Whether the update changed something and was answered in full."""
        with handling_update(update.update_id) as handled:
            try:
                await self.application.process_update(update)
            except Exception:
                handled.failed = True
                raise
        return handled.recorded and not handled.failed

    async def _fetch(self, stop: asyncio.Event) -> tuple[Update, ...] | None:
        """One long poll, abandoned (unconfirmed, so nothing is lost) when ``stop`` is set."""
        poll = asyncio.ensure_future(
            self.application.bot.get_updates(
                offset=self.offset, timeout=self.timeout, allowed_updates=self.allowed_updates
            )
        )
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({poll, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not poll.done():
            poll.cancel()
            return None
        return poll.result()

    async def _confirm(self) -> None:
        """Tell Telegram what was handled, so a clean restart does not see it again."""
        if self.offset is None:
            return
        try:
            await self.application.bot.get_updates(offset=self.offset, timeout=0, limit=1)
        except TelegramError as exc:
            log.warning("could not confirm handled updates (%s); they will be recognised when they come again", exc)


def _by_chat(updates: Sequence[Update]) -> list[list[Update]]:
    chats: dict[int, list[Update]] = {}
    for update in updates:
        key = (
            update.effective_chat.id
            if update.effective_chat
            else (update.effective_user.id if update.effective_user else -update.update_id)
        )
        chats.setdefault(key, []).append(update)
    return list(chats.values())


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
