"""The Bot's rate limiter: Telegram's limits and transient failures.

- Replies go out at once; broadcasts (``rate_limit_args=BROADCAST``: reminders, escalations,
  digests) are paced into what is left of the overall budget (``app.pacing.SendBudget``).
  There is no overall limiter for replies: a person answers one question at a time, so
  replies are bounded per chat by the people themselves, and a bot's replies to many people
  at once are not Telegram's bulk case.
- Groups keep PTB's limit of 20 messages a minute.
- A flood limit (RetryAfter) is retried by PTB's AIORateLimiter (which holds every request
  for ``retry_after``); timeouts and 5xx answers (NetworkError that is not a BadRequest) are
  retried here with backoff, so a message the person is waiting for is not lost to a hiccup.
  getUpdates does not pass through a rate limiter: the poller retries it.

A retried call that had in fact reached Telegram may arrive twice (a duplicate message is
better than a lost question); a repeated answerCallbackQuery or edit is refused by Telegram
with a BadRequest that the callers already tolerate.
"""

from __future__ import annotations

import asyncio
import logging

from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

from handlers.pacing import SendBudget

log = logging.getLogger(__name__)
BACKOFF = (0.5, 2.0, 5.0)  # seconds before each retry
BROADCAST = {"broadcast": True}  # rate_limit_args of a message nobody is waiting for


def counts_as_message(endpoint: str) -> bool:
    """Calls that put a message into a chat: what Telegram's flood limits count."""
    return endpoint.startswith(("send", "edit", "copy", "forward")) and endpoint != "sendChatAction"


class TelegramLimiter(AIORateLimiter):
    def __init__(self, budget: SendBudget | None = None, max_retries: int = 5) -> None:
        super().__init__(
            overall_max_rate=0, overall_time_period=0, group_max_rate=20, group_time_period=60, max_retries=max_retries
        )
        self.budget = budget or SendBudget()

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        broadcast = isinstance(rate_limit_args, dict) and rate_limit_args.get("broadcast", False)
        counted = data.get("chat_id") is not None and counts_as_message(endpoint)

        async def send(*call_args, **call_kwargs):
            if broadcast:
                await self.budget.broadcast_turn()
            if counted:
                self.budget.record()
            return await callback(*call_args, **call_kwargs)

        for delay in (*BACKOFF, None):
            try:
                return await super().process_request(send, args, kwargs, endpoint, data, None)
            except NetworkError as exc:  # timeouts (TimedOut), 5xx, connection errors
                if isinstance(exc, BadRequest) or delay is None:
                    raise
                log.warning("Telegram %s failed (%s); retrying in %.1fs", endpoint, type(exc).__name__, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")
