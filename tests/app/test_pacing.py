"""The message budget, with a fake clock: replies are never held, broadcasts are evenly spaced
and fit into what the replies of the last second leave."""

import asyncio
from itertools import pairwise

import pytest

from handlers.limits import BROADCAST, TelegramLimiter
from handlers.pacing import WINDOW, SendBudget


class FakeTime:
    def __init__(self):
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def fake():
    return FakeTime()


def budget(fake, per_second=29):
    return SendBudget(per_second, clock=fake.clock, sleep=fake.sleep)


async def broadcast(pacer: SendBudget, fake: FakeTime) -> float:
    await pacer.broadcast_turn()
    pacer.record()
    return fake.now


async def test_broadcasts_are_evenly_spaced_with_no_burst(fake):
    pacer = budget(fake)
    times = [await broadcast(pacer, fake) for _ in range(90)]
    gaps = [b - a for a, b in pairwise(times)]
    assert min(gaps) == pytest.approx(1 / 29)
    for start in times:  # at most 29 in any one-second window
        assert sum(start <= t < start + WINDOW for t in times) <= 29


async def test_broadcasts_wait_for_room_left_by_replies(fake):
    pacer = budget(fake)
    for _ in range(29):  # 29 replies in this very moment
        pacer.record()
    assert pacer.broadcast_delay() == pytest.approx(WINDOW)
    sent_at = await broadcast(pacer, fake)
    assert sent_at == pytest.approx(100.0 + WINDOW)
    assert pacer.in_window() == 1


async def test_a_reply_is_never_held(fake):
    pacer = budget(fake)
    for _ in range(100):
        pacer.record()
    assert pacer.in_window() == 100 and fake.slept == []  # only broadcasts wait


async def test_the_window_forgets_what_is_older_than_a_second(fake):
    pacer = budget(fake, per_second=2)
    pacer.record()
    fake.now += 0.5
    pacer.record()
    assert pacer.broadcast_delay() == pytest.approx(0.5)
    fake.now += 0.5
    assert pacer.in_window() == 1 and pacer.broadcast_delay() == 0


async def test_broadcast_turns_are_taken_in_order_of_arrival(fake):
    pacer = budget(fake, per_second=10)
    order = []

    async def one(n):
        await pacer.broadcast_turn()
        pacer.record()
        order.append((n, round(fake.now, 3)))

    await asyncio.gather(*(one(n) for n in range(5)))
    assert [n for n, _ in order] == [0, 1, 2, 3, 4]
    assert [t for _, t in order] == [100.0, 100.1, 100.2, 100.3, 100.4]


async def test_the_limiter_paces_broadcasts_and_lets_replies_through(fake):
    limiter = TelegramLimiter(budget(fake, per_second=10))
    await limiter.initialize()
    sent: list[tuple[str, float]] = []

    def recorder(kind):
        async def call(*args, **kwargs):
            sent.append((kind, fake.now))
            return True

        return call

    for _ in range(5):
        await limiter.process_request(recorder("broadcast"), (), {}, "sendMessage", {"chat_id": 1}, BROADCAST)
    await limiter.process_request(recorder("reply"), (), {}, "sendMessage", {"chat_id": 2}, None)
    await limiter.process_request(recorder("answer"), (), {}, "answerCallbackQuery", {"callback_query_id": "1"}, None)
    assert [t for kind, t in sent if kind == "broadcast"] == pytest.approx([100.0, 100.1, 100.2, 100.3, 100.4])
    assert [kind for kind, _ in sent][-2:] == ["reply", "answer"] and sent[-1][1] == pytest.approx(100.4)
    assert limiter.budget.in_window() == 6  # the answer to a button is not a message
    await limiter.shutdown()
