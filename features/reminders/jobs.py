"""Reminder rounds: load what the planner needs, claim each message's keys in the sent-log,
send, record the outcome. One repeating JobQueue job runs a round every
``reminder_check_minutes`` (its first run, at start, is the catch-up after downtime); the
coordinator's ``/pengingat kirim`` and ``python bot.py remind --now`` run the same round.

Idempotency: a key is claimed (INSERT ... ON CONFLICT DO NOTHING, in a transaction) before
sending and marked after, so a restart, a second run of the same round or a second bot process
does not send it twice. Telegram takes no idempotency key, so two cases stay open: a send that
timed out (it may have arrived: "unknown", never "failed") and a round killed between claim
and mark. Each such key is sent once more (an unknown one after ``UNKNOWN_WAIT``, a dead
round's claim after a few minutes) and never after a second such attempt: at most one extra
copy after a crash or a timeout, none otherwise (storage/reminders.py keeps the count).
A reminder is therefore sent exactly once here: the rate limiter, which retries timeouts of
replies, never sees a timeout of a reminder (``_send_once``). Once a send's outcome is unknown,
the rest of the round waits for the next one (Telegram is slow). At most one message per chat
per round (Telegram allows about one a second per chat); the rest waits for the next round.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time, timedelta

import httpx
from telegram import Bot, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, CallbackContext, Job

from domain.texts import Html
from features.reminders import messages, planner
from features.reminders.planner import Batch, DigestSchedule, Inputs, Plan
from handlers.context import SERVICES_KEY
from handlers.limits import BROADCAST
from runtime.services import Services
from storage.reminders import UNKNOWN_WAIT

__all__ = ["UNKNOWN_WAIT", "RoundResult", "run_round", "schedule_reminders", "tick"]

log = logging.getLogger(__name__)

TICK_JOB_ID = "reminders.tick"
BUSY_IDLE = timedelta(hours=1)
CONCURRENT_SENDS = 8  # requests under way at once; the limiter paces them (app.telegram_limits)
# Own RetryAfter retries for a Bot without a rate limiter; the project's limiter already retries.
PLAIN_BOT_RETRIES = 3
MAX_OWN_WAIT = 60.0


@dataclass
class RoundResult:
    sent: int = 0  # messages delivered
    skipped: int = 0  # due but held back: busy, unreachable, claimed by another round, flood- or slow-deferred
    failed: int = 0  # surely not delivered (blocked, bad chat, no connection, flood limit after retries)
    retry: int = 0  # of the failed: left in the sent-log to be tried again next round
    unknown: int = 0  # sent, but Telegram did not answer in time: may have arrived; tried once more later
    quiet: tuple[time, time] | None = None  # the quiet hours, when they hold in every village of the round

    def __str__(self) -> str:
        text = f"sent {self.sent}, skipped {self.skipped}, failed {self.failed}, unknown {self.unknown}"
        text += f" ({self.retry} will be retried)" if self.retry else ""
        if self.unknown:
            minutes = int(UNKNOWN_WAIT.total_seconds() // 60)
            text += (
                f"; unknown: Telegram did not answer in time, so they may have arrived; "
                f"each is sent once more after {minutes} minutes"
            )
        if self.quiet:
            start, end = (f"{moment:%H:%M}" for moment in self.quiet)
            text += f"; quiet hours ({start}-{end}) in every village: nothing is sent before {end}"
        return text


async def gather_inputs(services: Services, villages: Iterable[str] | None = None, *, manual: bool = False) -> Inputs:
    """Everything the planner needs, read from storage. ``villages``: area codes to limit to."""
    storage, settings = services.storage, services.settings
    now = services.clock.now()
    chosen = await storage.areas.villages(list(villages) if villages is not None else None)
    codes = {v.code for v in chosen}
    periods = {str(p) for v in chosen for p in planner.candidate_periods(planner.local_now(now, v.timezone).date())}
    digest = None
    if not manual:
        digest = DigestSchedule(
            settings.digest_weekday, planner.parse_hhmm(settings.digest_time), settings.default_timezone
        )
    return Inputs(
        now=now,
        villages=chosen,
        forms=list(services.forms.values()),
        posyandu=[p for p in await storage.reminders.posyandu() if p.village_code in codes],
        people=await storage.reminders.people(),
        submitted=await storage.reminders.submissions(periods),
        done=await storage.reminders.done_keys(),
        busy=await storage.reports.busy_people(BUSY_IDLE),
        digest=digest,
        manual=manual,
        quiet=settings.quiet_window,
    )


async def run_round(
    services: Services,
    bot: Bot,
    villages: Iterable[str] | None = None,
    *,
    manual: bool = False,
    retries: int | None = None,
) -> RoundResult:
    """Send what is due now. ``villages`` (area codes) limits the round, as for a coordinator;
    ``manual`` also reminds about open reports when no scheduled reminder is active (once a day)."""
    inputs = await gather_inputs(services, villages, manual=manual)
    plan = planner.plan(inputs)
    result = RoundResult(skipped=len(plan.held_batches()), quiet=inputs.quiet if planner.all_quiet(inputs) else None)
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    if retries is None:
        retries = 0 if _limited(bot) else PLAIN_BOT_RETRIES
    batches = _one_per_chat(plan)
    result.skipped += len(plan.batches()) - len(batches)
    flooded = asyncio.Event()
    gate = asyncio.Semaphore(CONCURRENT_SENDS if retries == 0 else 1)
    forms_order = list(services.forms)
    sender = _Sender(bot)

    async def deliver(batch: Batch) -> None:
        async with gate:
            if flooded.is_set():
                result.skipped += 1  # Telegram asked to slow down, or is slow to answer: the next round sends it
                return
            await _deliver(services, sender, batch, owner, forms_order, result, flooded, retries)

    await asyncio.gather(*(deliver(b) for b in batches))
    if result.sent or result.failed or result.unknown:
        log.info("reminder round: %s", result)
    return result


def _limited(bot: Bot) -> bool:
    """Whether the bot sends through a rate limiter (the project's paces broadcasts and retries)."""
    return getattr(bot, "rate_limiter", None) is not None


def _one_per_chat(plan: Plan) -> list[Batch]:
    seen, out = set(), []
    for batch in plan.batches():
        if batch.user.telegram_id not in seen:
            seen.add(batch.user.telegram_id)
            out.append(batch)
    return out


class _Unsure(Exception):
    """A send that may have reached Telegram without its answer arriving (a read or write timeout,
    a connection dropped before the answer). Not a NetworkError, so that no retrying layer (the
    rate limiter retries timeouts of replies) sends the message again."""

    def __init__(self, cause: NetworkError) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _may_have_arrived(exc: NetworkError) -> bool:
    """Whether the request may have reached Telegram although no answer came. Not when no
    connection was made or none was free (nothing was sent), nor when Telegram answered with an
    error (a 5xx: it says it did not do it)."""
    if isinstance(exc, BadRequest):
        return False
    cause = exc.__cause__
    if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return False
    return isinstance(cause, httpx.TransportError) or isinstance(exc, TimedOut)


class _Sender:
    """Sends a reminder exactly once per call. Through the bot's rate limiter, when it has one,
    so it is paced as a broadcast and waits out flood limits (a 429 means it was not sent); but
    the request itself is made by a plain Bot on the same connection pool, and a timeout leaves the
    limiter as ``_Unsure``, so the limiter never sends the message a second time."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.limiter = getattr(bot, "rate_limiter", None)
        self.plain = bot
        if self.limiter is not None:
            base, files = bot.base_url, bot.base_file_url
            self.plain = Bot(
                bot.token,
                base_url=lambda _token: base,
                base_file_url=lambda _token: files,
                request=bot.request,
                get_updates_request=bot.request,  # never used: nothing is fetched with it
            )

    async def send(self, chat_id: int, text: str, markup: object) -> Message:
        async def post(*_args: object, **_kwargs: object) -> Message:
            try:
                return await self.plain.send_message(
                    chat_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,  # type: ignore[arg-type]
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
            except NetworkError as exc:
                if _may_have_arrived(exc):
                    raise _Unsure(exc) from exc
                raise

        if self.limiter is None:
            return await post()
        sent = await self.limiter.process_request(
            callback=post,  # type: ignore[arg-type]
            args=(),
            kwargs={},
            endpoint="sendMessage",
            data={"chat_id": chat_id},
            rate_limit_args=BROADCAST,
        )
        assert isinstance(sent, Message)
        return sent


async def _deliver(
    services: Services,
    sender: _Sender,
    batch: Batch,
    owner: str,
    forms_order: list[str],
    result: RoundResult,
    flooded: asyncio.Event,
    retries: int,
) -> None:
    log_ = services.storage.reminders
    user_id, kind = batch.user.telegram_id, batch.messages[0].kind
    keys = await log_.claim(batch.keys[: messages.MAX_BUTTONS], user_id, kind, owner)
    if not keys:
        result.skipped += 1  # another round or process has it
        return
    items = [m for m in batch.messages if m.key in keys]
    text, markup = _render(items, forms_order)
    for attempt in range(retries + 1):
        try:
            sent = await sender.send(user_id, text, markup)
        except _Unsure as exc:
            log.warning("%s: Telegram did not answer in time (%s); it may have arrived", kind, exc.cause)
            await log_.mark_unknown(keys, owner, f"{type(exc.cause).__name__}: {exc.cause}")
            flooded.set()  # Telegram is slow: the rest of the round waits for the next one
            result.unknown += 1
        except RetryAfter as exc:
            wait = _seconds(exc)
            if attempt < retries and wait <= MAX_OWN_WAIT:
                await asyncio.sleep(wait + 0.1)
                continue
            log.warning("flood limit for %s after retries; the next round tries again", kind)
            await log_.release(keys, owner, f"RetryAfter {wait}")
            flooded.set()
            result.failed += 1
            result.retry += 1
        except Forbidden as exc:
            log.info("%s: the person blocked the bot; marked unreachable", kind)
            await log_.mark_failed(keys, owner, f"Forbidden: {exc.message}")
            await services.storage.users.set_reachable(user_id, False)
            result.failed += 1
        except BadRequest as exc:
            log.error("%s could not be sent: %s", kind, exc.message)
            await log_.mark_failed(keys, owner, f"BadRequest: {exc.message}")
            result.failed += 1
        except TelegramError as exc:  # no connection, an error answer (5xx): surely not delivered
            log.warning("%s not sent (%s); the next round tries again", kind, exc)
            await log_.release(keys, owner, f"{type(exc).__name__}: {exc}")
            result.failed += 1
            result.retry += 1
        except Exception:
            await log_.release(keys, owner, "unexpected error")
            raise
        else:
            await log_.mark_sent(keys, owner, sent.message_id)
            result.sent += 1
        return


def _seconds(exc: RetryAfter) -> float:
    delta = getattr(exc, "_retry_after", None)  # a timedelta; the public attribute warns about its type
    return delta.total_seconds() if isinstance(delta, timedelta) else float(exc.retry_after)


def _render(items: list[planner.Message], forms_order: list[str]) -> tuple[Html, object]:
    first = items[0]
    if isinstance(first, planner.Reminder):
        return messages.render_reminders(items, forms_order)
    if isinstance(first, planner.Escalation):
        return messages.render_escalation(first), None
    return messages.render_digest(first), None


# -- the JobQueue -------------------------------------------------------------------------------
async def tick(context: CallbackContext) -> None:
    services: Services = context.application.bot_data[SERVICES_KEY]
    try:
        await services.storage.reminders.prune()
        await services.storage.updates.prune()
        await run_round(services, context.bot)
    except Exception:  # a broken round must not stop the next ones
        log.exception("reminder round failed")


def schedule_reminders(application: Application, *, first: float = 0.5) -> Job:
    """The repeating round; its first run (at start) sends what fell due while the bot was down.
    ``first`` is a moment later, not 0: APScheduler would count a start time already past as
    missed and wait a whole interval."""
    services: Services = application.bot_data[SERVICES_KEY]
    interval = services.settings.reminder_check_minutes * 60
    return application.job_queue.run_repeating(
        tick,
        interval=interval,
        first=first,
        name=TICK_JOB_ID,
        job_kwargs={
            "id": TICK_JOB_ID,
            "replace_existing": True,
            "misfire_grace_time": interval,
            "coalesce": True,
            "max_instances": 1,
        },
    )
