"""Long polling that tells Telegram an update is done only after the bot has handled it.

python-telegram-bot's Updater confirms a batch of updates (the ``offset`` of the next getUpdates
call) as soon as it has fetched it, before the handlers ran: an answer waiting in the process
when it is killed is never delivered again. This poller is ours for that reason:

- Each chat has a lane: its updates are handled one after another, in order; lanes run at the
  same time and never wait for each other, and fetching goes on while they work. A slow or
  throttled chat holds nobody else.
- The offset confirms only what is finished: it stops at the oldest update still being handled.
  An update that holds it up for long (its chat waits out a flood limit, say) is parked in the
  database first, so confirming it loses nothing and newer updates keep coming; parked updates
  are handled first after a restart. After a crash Telegram delivers the unfinished updates
  again; those that had taken effect are recognised by their id (``storage.handling_update``).
- A person sending far more than anybody types gets one polite notice, and the excess is
  dropped, never queued for minutes: an update is dropped when its chat already has
  ``FLOOD_DEPTH`` waiting that were all sent within the last ``FLOOD_SECONDS`` (by the time each
  was sent, so what a person typed while the bot was down is no flood and is kept).
- An update the library cannot read is kept raw in quarantine, logged once and confirmed, so one
  bad update cannot stop the bot; so is one that failed to be handled on several starts in a row.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import warnings
from collections import deque
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application
from telegram.warnings import PTBUserWarning

from domain.texts import t
from storage import Storage, handling_update

log = logging.getLogger(__name__)
# When Bot.get_updates cannot read a batch (one bad update fails them all), the poller reads
# Telegram's JSON through do_api_request, update by update; PTB warns about that use.
warnings.filterwarnings("ignore", message=r".*do_api_request\(\"getUpdates\"", category=PTBUserWarning)
FIRST_RETRY, MAX_RETRY = 1.0, 30.0
FLOOD_DEPTH, FLOOD_SECONDS = 5, 2.0  # so many waiting, sent so fast: nobody types like that
MAX_PENDING = 100  # a chat's queue never grows past this, whatever the clocks say
PARK_AFTER = 2.0  # seconds an unfinished update may hold the offset before it is parked
NOTICE_QUIET = 60.0  # seconds without excess before a flooding chat is told again
MARK_EVERY = 0.5  # seconds between writes of "replied" marks
MAX_ATTEMPTS = 3  # starts on which one update failed before it is quarantined


@dataclass
class _Lane:
    queue: asyncio.Queue[Update] = field(default_factory=asyncio.Queue)
    sent: deque[float] = field(default_factory=deque)  # when the waiting updates were sent
    worker: asyncio.Task[None] | None = None


class Poller:
    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        storage: Storage,
        *,
        timeout: float = 30,
        allowed_updates: Sequence[str] = Update.ALL_TYPES,
        max_pending: int = MAX_PENDING,
    ):
        self.application = application
        self.storage = storage
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates)
        self.max_pending = max_pending
        self.offset: int | None = None  # the next getUpdates offset
        self._lanes: dict[int, _Lane] = {}
        self._unfinished: dict[int, float] = {}  # update id -> when it was fetched
        self._updates: dict[int, Update] = {}  # the unfinished ones, to park
        self._parked: set[int] = set()
        self._newest: int | None = None
        self._replied: list[int] = []
        self._noticed: dict[int, float] = {}  # chat -> when it was told it sends too fast
        self._failing: set[int] = set()  # updates that came back on MAX_ATTEMPTS starts: quarantined
        self._first_batch = True
        self._chores: set[asyncio.Task[None]] = set()
        self._moved = asyncio.Event()  # the confirmable offset moved on: poll again with it

    async def run(self, stop: asyncio.Event) -> None:
        """Fetch and hand out to the lanes until ``stop`` is set; then finish and confirm."""
        await self.storage.updates.start_polling()
        for update_id, raw in await self.storage.updates.parked():
            self._parked.add(update_id)
            await self._take(raw)
        marker = asyncio.create_task(self._mark_periodically(stop))
        retry = FIRST_RETRY
        while not stop.is_set():
            try:
                batch = await self._fetch(stop)
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
            fresh = [item for item in batch or () if self._is_new(_id_of(item))]
            if fresh and self._first_batch:  # what a start gets first may be what killed the last one
                self._first_batch = False
                ids = [_id_of(item) for item in fresh]
                self._failing = await self.storage.updates.count_attempts(ids, MAX_ATTEMPTS)
            for item in fresh:
                await self._take(item)
            await self._park_the_slow()
            self.offset = self._confirmable()
            if batch and not fresh:  # only updates still being handled came back: let them work
                await self._until_moved(stop, 0.5)
        await self._finish()
        await marker  # it ends with ``stop``; cancelling it could cut a write in half
        await asyncio.gather(*self._chores, return_exceptions=True)
        await self._flush_replied()
        self.offset = self._confirmable()
        await self._confirm()

    async def handle(self, updates: Sequence[Update]) -> None:
        """Handle these updates (each chat in order, chats at once) and wait until they are done."""
        for update in updates:
            self._enqueue(update)
        await self._finish()
        await self._flush_replied()

    # -- taking updates in -----------------------------------------------------------------------
    def _is_new(self, update_id: int) -> bool:
        """Not one this process has already taken (Telegram returns unconfirmed ones again)."""
        return update_id not in self._unfinished and (self._newest is None or update_id > self._newest)

    async def _take(self, item: Update | dict[str, Any]) -> None:
        """An update as the library read it, or Telegram's JSON of one it may not be able to read."""
        update_id = _id_of(item)
        self._newest = max(update_id, self._newest or update_id)
        if isinstance(item, Update):
            update = item
        else:
            try:
                update = Update.de_json(item, self.application.bot)
            except Exception as exc:  # the library cannot read it: keep it, and go on
                await self._quarantine(update_id, item, f"unreadable: {type(exc).__name__}")
                return
        if update_id in self._failing:
            await self._quarantine(update_id, update.to_dict(), f"not handled on {MAX_ATTEMPTS} starts in a row")
            return
        self._enqueue(update)

    def _enqueue(self, update: Update) -> None:
        chat = _chat_of(update)
        lane = self._lanes.get(chat)
        if lane is None:
            lane = self._lanes[chat] = _Lane()
        if self._flooding(lane, update) or lane.queue.qsize() >= self.max_pending:
            self._drop(update, chat)
            return
        self._unfinished[update.update_id] = time.monotonic()
        self._updates[update.update_id] = update
        lane.queue.put_nowait(update)
        if lane.worker is None or lane.worker.done():
            lane.worker = asyncio.create_task(self._work(chat, lane), name=f"chat-lane:{chat}")

    def _flooding(self, lane: _Lane, update: Update) -> bool:
        """Whether this update comes on top of FLOOD_DEPTH waiting ones sent within FLOOD_SECONDS."""
        sent = _sent_at(update)
        waiting = [at for at in lane.sent if at > sent - FLOOD_SECONDS]
        if len(waiting) >= FLOOD_DEPTH:
            return True
        lane.sent.append(sent)
        return False

    def _drop(self, update: Update, chat: int) -> None:
        """Far more than a person types: the excess is not handled; the person is told once."""
        now = time.monotonic()
        told = self._noticed.get(chat)
        self._noticed[chat] = now
        if told is None or now - told > NOTICE_QUIET:
            log.warning("chat sends faster than a person types; excess updates dropped")
            if update.effective_chat is not None and update.effective_user is not None:
                self._background(self._tell_too_fast(update.effective_chat.id, update.effective_user.id))

    async def _tell_too_fast(self, chat_id: int, user_id: int) -> None:
        try:
            language = await self.storage.users.language(user_id) or "id"
            await self.application.bot.send_message(chat_id, t(language, "flood.too_fast"), parse_mode=ParseMode.HTML)
        except Exception as exc:  # a courtesy: never let it stop polling
            log.info("could not tell a chat it sends too fast: %s", type(exc).__name__)

    async def _quarantine(self, update_id: int, raw: dict[str, Any], reason: str) -> None:
        log.error("update %s quarantined (%s); see 'python bot.py updates quarantined'", update_id, reason)
        try:
            await self.storage.updates.quarantine(update_id, json.dumps(raw), reason)
        except Exception:
            log.exception("could not keep update %s in quarantine", update_id)

    # -- the lanes ---------------------------------------------------------------------------
    async def _work(self, chat: int, lane: _Lane) -> None:
        while not lane.queue.empty():
            update = lane.queue.get_nowait()
            if lane.sent:
                lane.sent.popleft()
            try:
                if await self._handle(update):
                    self._replied.append(update.update_id)
            except Exception:  # the error handler normally takes these; never stop a lane
                log.exception("update %s could not be handled", update.update_id)
            finally:
                self._done(update.update_id)
        if self._lanes.get(chat) is lane and lane.queue.empty():
            del self._lanes[chat]

    def _done(self, update_id: int) -> None:
        holding = self._confirmable()
        self._unfinished.pop(update_id, None)
        if self._confirmable() != holding:
            self._moved.set()
        self._updates.pop(update_id, None)
        if update_id in self._parked:
            self._parked.discard(update_id)
            self._background(self._unpark(update_id))

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        """Bookkeeping that need not hold the lane; kept referenced until done, awaited at the end."""
        task = asyncio.create_task(work)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    async def _unpark(self, update_id: int) -> None:
        try:
            await self.storage.updates.unpark(update_id)
        except Exception:
            log.exception("could not unpark update %s", update_id)

    async def _handle(self, update: Update) -> bool:
        """Whether the update changed something and was answered in full."""
        with handling_update(update.update_id) as handled:
            try:
                await self.application.process_update(update)
            except Exception:
                handled.failed = True
                raise
        return handled.recorded and not handled.failed

    async def _finish(self) -> None:
        while self._lanes:
            workers = [lane.worker for lane in self._lanes.values() if lane.worker is not None]
            if not workers:
                break
            await asyncio.gather(*workers, return_exceptions=True)

    # -- confirming ---------------------------------------------------------------------------
    async def _park_the_slow(self) -> None:
        """Keep in the database an update that has held the offset too long, so it can be confirmed."""
        now = time.monotonic()
        waiting = [i for i, at in self._unfinished.items() if now - at > PARK_AFTER]
        slow = [i for i in waiting if i not in self._parked and i in self._updates]
        if not slow:
            return
        try:
            await self.storage.updates.park([(i, json.dumps(self._updates[i].to_dict())) for i in slow])
        except Exception:
            log.exception("could not park %d slow updates; they keep the offset", len(slow))
            return
        self._parked.update(slow)

    def _confirmable(self) -> int | None:
        holding = [i for i in self._unfinished if i not in self._parked]
        if holding:
            return min(holding)
        return None if self._newest is None else self._newest + 1

    async def _mark_periodically(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await _pause(stop, MARK_EVERY)
            await self._flush_replied()

    async def _flush_replied(self) -> None:
        update_ids, self._replied = self._replied, []
        if not update_ids:
            return
        try:
            await self.storage.updates.mark_replied(update_ids)
        except Exception:  # bookkeeping only: never stop polling for it
            log.exception("could not mark %d handled updates as answered", len(update_ids))

    async def _fetch(self, stop: asyncio.Event) -> list[Update | dict[str, Any]] | None:
        """One long poll, abandoned (unconfirmed, so nothing is lost) when ``stop`` is set. While
        updates are being handled it returns at once (Telegram sends the unconfirmed ones again),
        so the offset moves on as soon as they are done."""
        self._moved.clear()
        self.offset = self._confirmable()
        poll = asyncio.ensure_future(self._poll())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({poll, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not poll.done():
            poll.cancel()
            return None
        return poll.result()

    async def _poll(self) -> list[Update | dict[str, Any]]:
        bot = self.application.bot
        try:
            return list(
                await bot.get_updates(offset=self.offset, timeout=self.timeout, allowed_updates=self.allowed_updates)
            )
        except TelegramError:
            raise
        except Exception:  # the library could not read one of them: read the batch update by update
            log.warning("an update could not be read; reading the batch one by one")
            parameters: dict[str, Any] = {"timeout": 0, "allowed_updates": self.allowed_updates}
            if self.offset is not None:
                parameters["offset"] = self.offset
            raw = await bot.do_api_request("getUpdates", api_kwargs=parameters, return_type=None)
            return list(raw) if isinstance(raw, list) else []

    async def _until_moved(self, stop: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._moved.wait(), seconds)

    async def _confirm(self) -> None:
        """Tell Telegram what was handled, so a clean restart does not see it again."""
        if self.offset is None:
            return
        try:
            await self.application.bot.get_updates(offset=self.offset, timeout=0, limit=1)
        except Exception as exc:  # TelegramError, or an update after the offset it cannot read
            log.warning("could not confirm handled updates (%s); they will be recognised when they come again", exc)


def _chat_of(update: Update) -> int:
    if update.effective_chat:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user else -update.update_id


def _id_of(item: Update | dict[str, Any]) -> int:
    return item.update_id if isinstance(item, Update) else int(item["update_id"])


def _sent_at(update: Update) -> float:
    """When the person sent it (Telegram's date), or now for a button press (it has none)."""
    message = update.message or update.edited_message
    return message.date.timestamp() if message is not None and message.date else time.time()


def _seconds(value: Any) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
