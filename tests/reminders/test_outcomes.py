"""What a reminder round can promise: Telegram takes no idempotency key, so a send that timed
out, or a round killed between claiming a key and marking it, may or may not have reached the
person. Such a send is "unknown" (not "failed"), is not sent again within a wait, and is sent at
most once more: at most one extra copy after a crash or a timeout, none otherwise.

The double delays its answers past the client's read timeout but still delivers the message
(as Telegram does when it is slow), so each copy that arrives is counted in the chat."""

import asyncio
from datetime import timedelta

import pytest
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from domain.forms import load_forms
from features.reminders.chat import round_text
from features.reminders.jobs import UNKNOWN_WAIT, RoundResult, run_round
from handlers.limits import TelegramLimiter
from runtime.services import Services
from storage.reminders import STALE_CLAIM
from tests.reminders.test_rounds import D3_WIB, FORMS, SUKAMAJU, add_person, reminders_in
from tests.support.harness import TOKEN, make_settings

PEOPLE = 20
SLOW = 3.0  # seconds the double takes to answer sendMessage when Telegram is slow
READ_TIMEOUT = 0.5  # the client's read timeout in these tests (the command line's was 5 s)


@pytest.fixture
def services(tmp_path, server, storage, clock):
    settings = make_settings(tmp_path, server, forms_dir=FORMS)
    return Services(settings=settings, storage=storage, forms=load_forms(FORMS), clock=clock)


@pytest.fixture
async def people(server, storage, posyandu_ids, clock):
    clock.set(D3_WIB)
    return [
        await add_person(server, storage, 1100 + i, "kader", SUKAMAJU, posyandu_ids["Mawar"], f"Kader {i}")
        for i in range(PEOPLE)
    ]


@pytest.fixture
async def limited_bot(server):
    """A bot like the command line's: the project's rate limiter (which retries timeouts for
    replies) and a short read timeout, for the rounds while Telegram is slow."""
    request = HTTPXRequest(connection_pool_size=16, read_timeout=READ_TIMEOUT)
    async with ExtBot(TOKEN, base_url=server.base_url, request=request, rate_limiter=TelegramLimiter()) as bot:
        yield bot


@pytest.fixture
async def patient_bot(server):
    """The same with the bot's own read timeout (30 s), for the rounds once Telegram is fast
    again: a busy test machine must not make them time out."""
    request = HTTPXRequest(connection_pool_size=16, read_timeout=30)
    async with ExtBot(TOKEN, base_url=server.base_url, request=request, rate_limiter=TelegramLimiter()) as bot:
        yield bot


async def all_delivered(server, timeout: float = 20.0) -> None:
    """Until every sendMessage the double received has been carried out (a delayed request is
    carried out after its delay, whether or not the client still waits for the answer)."""
    for _ in range(int(timeout / 0.02)):
        asked = len(server.calls("sendMessage"))
        if len(server.sent_messages) >= asked:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the double did not carry out every request")


def copies(people) -> list[int]:
    return [len(reminders_in(p)) for p in people]


async def test_a_send_that_timed_out_is_unknown_and_sent_at_most_once_more(
    services, people, server, limited_bot, patient_bot, clock
):
    server.delay("sendMessage", SLOW)
    first = await run_round(services, limited_bot)
    await all_delivered(server)
    assert (first.sent, first.failed) == (0, 0)
    assert first.unknown >= 1 and first.unknown + first.skipped == PEOPLE, first
    assert max(copies(people)) == 1  # never re-sent within the round (the rate limiter retries replies)
    assert sum(copies(people)) == first.unknown  # each unknown one did arrive, late

    server.delay("sendMessage", 0)  # Telegram is fast again
    second = await run_round(services, patient_bot)
    assert (second.sent, second.failed, second.unknown) == (PEOPLE - first.unknown, 0, 0)
    assert copies(people) == [1] * PEOPLE  # the unknown ones wait

    clock.advance(seconds=UNKNOWN_WAIT.total_seconds() - 60)
    assert (await run_round(services, patient_bot)).sent == 0  # still within the wait
    clock.advance(minutes=2)
    third = await run_round(services, patient_bot)
    assert third.sent == first.unknown  # sent once more: the one extra copy
    assert sorted(copies(people)) == [1] * (PEOPLE - first.unknown) + [2] * first.unknown

    clock.advance(hours=3)
    assert (await run_round(services, patient_bot)).sent == 0  # never a third time
    assert max(copies(people)) == 2
    entries = await services.storage.reminders.entries("remind:")
    assert {e.state for e in entries} == {"sent"}


async def test_a_retry_that_times_out_again_is_the_last_try(services, people, server, limited_bot, patient_bot, clock):
    server.delay("sendMessage", SLOW)
    first = await run_round(services, limited_bot)
    clock.advance(seconds=UNKNOWN_WAIT.total_seconds() + 60)
    again = await run_round(services, limited_bot)  # the retry of the unknown ones, slow again
    await all_delivered(server)
    assert again.unknown >= 1 and again.sent == 0
    server.delay("sendMessage", 0)
    for _ in range(3):
        clock.advance(seconds=UNKNOWN_WAIT.total_seconds() + 60)
        await run_round(services, patient_bot)
    assert max(copies(people)) == 2 and min(copies(people)) == 1
    entries = await services.storage.reminders.entries("remind:")
    assert {e.state for e in entries} <= {"sent", "unknown"} and first.unknown >= 1
    given_up = [e for e in entries if e.state == "unknown"]
    assert given_up and all(e.doubtful == 2 for e in given_up)  # unknown twice: not tried a third time


async def test_a_round_killed_between_claim_and_mark_costs_at_most_one_extra_copy(
    services, people, server, limited_bot, patient_bot, clock
):
    async def killed_round() -> None:
        """A round that dies (SIGKILL) while its messages are on their way: nothing after the
        claim runs, and the double still delivers what it received."""
        asked = len(server.calls("sendMessage"))
        task = asyncio.create_task(run_round(services, limited_bot))
        for _ in range(500):
            if len(server.calls("sendMessage")) > asked:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await all_delivered(server)

    server.delay("sendMessage", SLOW)
    await killed_round()
    in_flight = sum(copies(people))
    assert in_flight >= 1
    claimed = [e for e in await services.storage.reminders.entries("remind:") if e.state == "claimed"]
    assert len(claimed) >= in_flight  # claimed, never marked
    server.delay("sendMessage", 0)
    clock.advance(seconds=STALE_CLAIM.total_seconds() - 30)
    assert (await run_round(services, patient_bot)).sent == PEOPLE - len(claimed)  # the claims may still be sending
    clock.advance(minutes=1)
    retried = await run_round(services, patient_bot)  # the claimant is dead: each sent once more
    assert retried.sent == len(claimed)
    assert max(copies(people)) == 2 and min(copies(people)) == 1

    clock.advance(hours=2)
    assert (await run_round(services, patient_bot)).sent == 0  # never a third copy
    assert {e.state for e in await services.storage.reminders.entries("remind:")} == {"sent"}


async def test_a_killed_retry_is_not_retried_again(services, people, server, limited_bot, clock):
    """Killed in the first round and again in its retry: a third copy is never sent."""
    key = "remind:test:killed-twice"
    assert await services.storage.reminders.claim([key], 1100, "remind", owner="dead-1") == [key]
    clock.advance(seconds=STALE_CLAIM.total_seconds() + 1)
    assert await services.storage.reminders.claim([key], 1100, "remind", owner="dead-2") == [key]  # the one retry
    clock.advance(hours=5)
    assert await services.storage.reminders.claim([key], 1100, "remind", owner="alive") == []
    assert key in await services.storage.reminders.done_keys()
    [entry] = await services.storage.reminders.entries(key)
    assert (entry.state, entry.attempts, entry.doubtful) == ("claimed", 2, 1)


async def test_an_unknown_send_is_not_claimed_again_within_the_wait(services, storage, clock):
    key = "remind:test:unknown"
    assert await storage.reminders.claim([key], 1100, "remind", owner="round-a") == [key]
    await storage.reminders.mark_unknown([key], "round-a", "TimedOut")
    assert key in await storage.reminders.done_keys()
    clock.advance(seconds=UNKNOWN_WAIT.total_seconds() - 1)
    assert await storage.reminders.claim([key], 1100, "remind", owner="round-b") == []
    clock.advance(seconds=2)
    assert key not in await storage.reminders.done_keys()
    assert await storage.reminders.claim([key], 1100, "remind", owner="round-c") == [key]
    await storage.reminders.mark_unknown([key], "round-c", "TimedOut")
    clock.advance(days=3)
    assert await storage.reminders.claim([key], 1100, "remind", owner="round-d") == []
    [entry] = await storage.reminders.entries(key)
    assert (entry.state, entry.attempts, entry.doubtful) == ("unknown", 2, 2)


def test_the_wait_spans_more_than_the_next_round():
    assert timedelta(minutes=30) <= UNKNOWN_WAIT


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "id",
            "Pengingat selesai: 2 terkirim, 3 ditunda, 1 gagal, 4 belum pasti.\n1 akan dicoba lagi nanti.\n"
            "4 belum pasti: Telegram tidak menjawab tepat waktu, jadi pesannya mungkin sudah sampai. "
            "Dikirim sekali lagi setelah 60 menit.",
        ),
        (
            "en",
            "Reminders done: 2 sent, 3 postponed, 1 failed, 4 uncertain.\n1 will be tried again later.\n"
            "4 uncertain: Telegram did not answer in time, so they may have arrived. "
            "Each is sent once more after 60 minutes.",
        ),
    ],
)
def test_the_coordinator_is_told_all_three_outcomes(lang, expected):
    result = RoundResult(sent=2, skipped=3, failed=1, retry=1, unknown=4)
    assert round_text(lang, result) == expected
    assert str(result) == (
        "sent 2, skipped 3, failed 1, unknown 4 (1 will be retried); unknown: Telegram did not answer in time, "
        "so they may have arrived; each is sent once more after 60 minutes"
    )
