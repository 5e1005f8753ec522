"""Retries for Telegram's transient failures. PTB's AIORateLimiter retries a flood limit
(RetryAfter); this one also retries timeouts and 5xx answers (NetworkError that is not a
BadRequest), with backoff, so a message the person is waiting for is not lost to a hiccup.
getUpdates does not pass through a rate limiter: PTB's updater already retries it.

A retried call that had in fact reached Telegram may arrive twice (a duplicate message is
better than a lost question); a repeated answerCallbackQuery or edit is refused by Telegram
with a BadRequest that the callers already tolerate.
"""
from __future__ import annotations

import asyncio
import logging

from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)
BACKOFF = (0.5, 2.0, 5.0)  # seconds before each retry


class RetryingRateLimiter(AIORateLimiter):
    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        for delay in (*BACKOFF, None):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except NetworkError as exc:  # timeouts (TimedOut), 5xx, connection errors
                if isinstance(exc, BadRequest) or delay is None:
                    raise
                log.warning("Telegram %s failed (%s); retrying in %.1fs", endpoint, type(exc).__name__, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")
