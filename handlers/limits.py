"""The Bot's rate limiter: Telegram's limits and transient failures, chat by chat.

- Replies go out at once: a person answers one question at a time, so replies are bounded per
  chat by the people themselves (a flooding chat is cut short by the poller).
- Broadcasts (``rate_limit_args=BROADCAST``: reminders, escalations, digests) are paced into what
  is left of the overall budget (``handlers.pacing.SendBudget``).
- Groups keep Telegram's limit of 20 messages a minute.
- A flood limit (RetryAfter) holds only the chat it was about: that chat's messages wait out
  ``retry_after``, everybody else's go on. A RetryAfter for no chat holds all.
- Timeouts and 5xx answers (NetworkError that is not a BadRequest) are retried with backoff, so a
  message the person is waiting for is not lost to a hiccup. getUpdates does not pass through a
  rate limiter: the poller retries it.

This replaces PTB's AIORateLimiter on purpose: on any RetryAfter it holds *every* request of the
bot until the wait is over, so one throttled chat delayed everybody (by 15 s in a test).

A retried call that had in fact reached Telegram may arrive twice (a duplicate message is better
than a lost question); a repeated answerCallbackQuery or edit is refused by Telegram with a
BadRequest that the callers already tolerate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from handlers.pacing import SendBudget

log = logging.getLogger(__name__)
BACKOFF = (0.5, 2.0, 5.0)  # seconds before each retry of a timeout or 5xx
BROADCAST = {"broadcast": True}  # rate_limit_args of a message nobody is waiting for
GROUP_RATE = (20, 60)  # messages per seconds into one group
_EVERYONE = "*"


def counts_as_message(endpoint: str) -> bool:
    """Calls that put a message into a chat: what Telegram's flood limits count."""
    return endpoint.startswith(("send", "edit", "copy", "forward")) and endpoint != "sendChatAction"


class TelegramLimiter(BaseRateLimiter[dict[str, Any]]):
    def __init__(self, budget: SendBudget | None = None, max_retries: int = 5) -> None:
        self.budget = budget or SendBudget()
        self.max_retries = max_retries
        self._free_at: dict[int | str, float] = {}  # chat -> when its next message may go
        self._groups: dict[int | str, AsyncLimiter] = {}

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> Any:
        broadcast = isinstance(rate_limit_args, dict) and rate_limit_args.get("broadcast", False)
        chat = data.get("chat_id")
        counted = chat is not None and counts_as_message(endpoint)
        backoff, floods = iter(BACKOFF), 0
        while True:
            await self._wait_for(_EVERYONE)
            if counted:
                await self._wait_for(chat)
            if broadcast:
                await self.budget.broadcast_turn()
            if counted:
                self.budget.record()
            try:
                async with self._group(chat) if counted else contextlib.nullcontext():
                    return await callback(*args, **kwargs)
            except RetryAfter as exc:
                floods += 1
                if floods > self.max_retries:
                    raise
                wait = _seconds(getattr(exc, "_retry_after", exc.retry_after)) + 0.1  # timedelta, no warning
                log.info("flood limit on %s; that chat waits %.1fs", endpoint, wait)
                self._free_at[chat if chat is not None else _EVERYONE] = time.monotonic() + wait
            except NetworkError as exc:  # timeouts (TimedOut), 5xx, connection errors
                delay = next(backoff, None)
                if isinstance(exc, BadRequest) or delay is None:
                    raise
                log.warning("Telegram %s failed (%s); retrying in %.1fs", endpoint, type(exc).__name__, delay)
                await asyncio.sleep(delay)

    async def _wait_for(self, chat: int | str) -> None:
        """Until the flood limit Telegram set on this chat (or on all) is over."""
        free_at = self._free_at.get(chat)
        if free_at is None:
            return
        if free_at > time.monotonic():
            await asyncio.sleep(free_at - time.monotonic())
        elif len(self._free_at) > 1000:  # forget limits long over
            now = time.monotonic()
            self._free_at = {c: at for c, at in self._free_at.items() if at > now}

    def _group(self, chat: Any) -> Any:
        if not ((isinstance(chat, int) and chat < 0) or isinstance(chat, str)):
            return contextlib.nullcontext()
        limiter = self._groups.get(chat)
        if limiter is None:
            limiter = self._groups[chat] = AsyncLimiter(*GROUP_RATE)
        return limiter


def _seconds(value: Any) -> float:
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)
