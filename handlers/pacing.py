"""Telegram's message budget: replies first, broadcasts paced into what is left. No Telegram here.

Telegram lets a bot send about 30 messages a second in bulk (and about one a second into one
chat). A reply to someone who is waiting goes out at once; a broadcast (a reminder, an
escalation, a digest: nobody is waiting for it) waits until it fits: evenly spaced, never a
burst (a burst that straddles a second is what draws 429s, and after a 429 PTB holds every
request, replies too), and only while the last second's messages of any kind leave room.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

BROADCAST_PER_SECOND = 29  # a message below Telegram's ~30/s, for the clocks' differences
WINDOW = 1.0  # seconds over which Telegram counts


class SendBudget:
    """Counts the messages sent in the last second and says when the next broadcast may go.
    ``clock`` (monotonic seconds) and ``sleep`` are injected so tests control time."""

    def __init__(
        self,
        per_second: float = BROADCAST_PER_SECOND,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.per_second, self.clock, self.sleep = per_second, clock, sleep
        self._sent: deque[float] = deque()
        self._next_broadcast = float("-inf")
        self._turn = asyncio.Lock()

    def record(self) -> None:
        """A message goes out now (a reply, or a broadcast whose turn came)."""
        self._sent.append(self.clock())

    def in_window(self) -> int:
        now = self.clock()
        while self._sent and self._sent[0] <= now - WINDOW:
            self._sent.popleft()
        return len(self._sent)

    def broadcast_delay(self) -> float:
        """Seconds until a broadcast may go: its evenly spaced slot, and room in the window."""
        now = self.clock()
        delay = max(0.0, self._next_broadcast - now)
        if self.in_window() >= self.per_second:
            delay = max(delay, self._sent[-int(self.per_second)] + WINDOW - now)
        return delay

    async def broadcast_turn(self) -> None:
        """Wait for this broadcast's slot (one waiter at a time, in order of arrival)."""
        async with self._turn:
            while (delay := self.broadcast_delay()) > 0:
                await self.sleep(delay)
            self._next_broadcast = self.clock() + 1 / self.per_second
