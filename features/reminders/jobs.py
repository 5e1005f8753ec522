"""Reminder rounds: load what the planner needs, claim each message's keys in the sent-log,
send, record the outcome. One repeating JobQueue job runs a round every
``reminder_check_minutes`` (its first run, at start, is the catch-up after downtime); the
coordinator's ``/pengingat kirim`` and ``python bot.py remind --now`` run the same round.

Idempotency: a key is claimed (INSERT ... ON CONFLICT DO NOTHING, in a transaction) before
sending and marked sent or failed after, so a restart, a second run of the same round or a
second bot process never sends it twice. A claim left by a round that died is free again
after a few minutes. At most one message per chat per round (Telegram allows about one a
second per chat); the rest waits for the next round.
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

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, CallbackContext, Job

from domain.texts import Html
from features.reminders import messages, planner
from features.reminders.planner import Batch, DigestSchedule, Inputs, Plan
from handlers.context import SERVICES_KEY
from handlers.limits import BROADCAST
from runtime.services import Services

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
    skipped: int = 0  # due but held back: busy, unreachable, claimed by another round, or flood-deferred
    failed: int = 0  # errors (blocked, bad chat, network, flood limit after retries)
    retry: int = 0  # of the failed: left in the sent-log to be tried again next round
    quiet: tuple[time, time] | None = None  # the quiet hours, when they hold in every village of the round

    def __str__(self) -> str:
        text = f"sent {self.sent}, skipped {self.skipped}, failed {self.failed}"
        text += f" ({self.retry} will be retried)" if self.retry else ""
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

    async def deliver(batch: Batch) -> None:
        async with gate:
            if flooded.is_set():
                result.skipped += 1  # Telegram asked to slow down: the next round sends it
                return
            await _deliver(services, bot, batch, owner, forms_order, result, flooded, retries)

    await asyncio.gather(*(deliver(b) for b in batches))
    if result.sent or result.failed:
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


async def _deliver(
    services: Services,
    bot: Bot,
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
    paced = {"rate_limit_args": BROADCAST} if _limited(bot) else {}
    for attempt in range(retries + 1):
        try:
            sent = await bot.send_message(user_id, text, parse_mode=ParseMode.HTML, reply_markup=markup, **paced)
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
        except TelegramError as exc:  # network errors, timeouts, 5xx
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
