"""Fault injection: blocked users, flood control, scripted 5xx errors and delays."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus

from .errors import ApiError

_WINDOW = 1.0  # seconds: flood limits are measured over a sliding one-second window


@dataclass(frozen=True)
class FloodHit:
    method: str
    chat_id: int | str | None
    time: float
    retry_after: int


def counts_for_flood(method: str) -> bool:
    """Calls that put a message into a chat; these are what Telegram rate-limits."""
    return method.startswith(("send", "edit", "copy", "forward")) and method != "sendChatAction"


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.blocked: set[int] = set()
        self._failures: dict[str, list[int]] = {}  # lower-case method -> statuses to return
        self._delays: dict[str, float] = {}
        self._flood: tuple[int, int, int | None] | None = None
        self._global_window: deque[float] = deque()
        self._chat_windows: dict[int | str, deque[float]] = {}
        self.flood_hits: list[FloodHit] = []

    def fail_next(self, method: str, status: int = 502, times: int = 1) -> None:
        with self._lock:
            self._failures.setdefault(method.lower(), []).extend([status] * times)

    def delay(self, method: str, seconds: float) -> None:
        with self._lock:
            self._delays[method.lower()] = seconds

    def delay_for(self, method: str) -> float:
        return self._delays.get(method.lower(), 0.0)

    def enforce_flood_limits(self, global_per_second: int, per_chat_per_second: int, retry_after: int | None) -> None:
        with self._lock:
            self._flood = (global_per_second, per_chat_per_second, retry_after)
            self._global_window.clear()
            self._chat_windows.clear()

    def disable_flood_limits(self) -> None:
        with self._lock:
            self._flood = None

    def check(self, method: str, params: dict) -> None:
        """Raise the injected error this call should get, if any."""
        chat_id = params.get("chat_id")
        with self._lock:
            failures = self._failures.get(method.lower())
            if failures:
                status = failures.pop(0)
                raise ApiError(status, HTTPStatus(status).phrase)
            if chat_id in self.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if self._flood and counts_for_flood(method):
                self._check_flood(method, chat_id)

    def _check_flood(self, method: str, chat_id: int | str | None) -> None:
        global_limit, chat_limit, fixed_retry = self._flood
        now = time.monotonic()
        chat_window = self._chat_windows.setdefault(chat_id, deque())
        for window in (self._global_window, chat_window):
            while window and window[0] <= now - _WINDOW:
                window.popleft()
        full = [w for w, limit in ((self._global_window, global_limit), (chat_window, chat_limit)) if len(w) >= limit]
        if full:
            free_at = max(w[0] for w in full) + _WINDOW
            retry_after = fixed_retry or max(1, math.ceil(free_at - now))
            self.flood_hits.append(FloodHit(method, chat_id, time.time(), retry_after))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
        self._global_window.append(now)
        chat_window.append(now)
