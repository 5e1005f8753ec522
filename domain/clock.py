"""Time is injected, so tests control it instead of sleeping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, at: datetime):
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self._at += timedelta(**delta)


def iso(moment: datetime) -> str:
    """How times are stored: UTC, ISO 8601, seconds."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def local_now(moment: datetime, timezone: str) -> datetime:
    """``moment`` on the wall clocks of ``timezone`` (an IANA name such as Asia/Jayapura)."""
    return moment.astimezone(ZoneInfo(timezone))


def local_today(clock: Clock, timezone: str) -> date:
    """Today's date where ``timezone`` is: the one definition of "today" in the bot."""
    return local_now(clock.now(), timezone).date()
