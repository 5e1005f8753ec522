"""Reporting periods (calendar months, written YYYY-MM) and their deadlines.

A form's schedule says, for the report on month M: reporting opens on ``open_day`` of M,
is due on ``due_day`` of M+1 and locks after ``lock_day`` of M+1 (only a coordinator can
reopen it then). All dates are the village's local dates.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.month <= 12 and 2000 <= self.year <= 2999):
            raise ValueError(f"invalid period {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PERIOD.match(text.strip())
        if not match:
            raise ValueError(f"a period is written YYYY-MM, not {text!r}")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: date) -> Period:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shift(self, months: int) -> Period:
        index = self.year * 12 + self.month - 1 + months
        return Period(index // 12, index % 12 + 1)

    def next(self) -> Period:
        return self.shift(1)

    def prev(self) -> Period:
        return self.shift(-1)

    def day(self, day: int) -> date:
        """The given day of this month, clamped to the month's last day."""
        last = calendar.monthrange(self.year, self.month)[1]
        return date(self.year, self.month, min(day, last))

    def label(self, lang: str = "id") -> str:
        names = MONTHS_EN if lang == "en" else MONTHS_ID
        return f"{names[self.month - 1]} {self.year}"


def period_range(first: Period, last: Period) -> list[Period]:
    if last < first:
        raise ValueError(f"{last} is before {first}")
    periods, current = [], first
    while current <= last:
        periods.append(current)
        current = current.next()
    return periods


@dataclass(frozen=True)
class Schedule:
    open_day: int = 1
    due_day: int = 5
    lock_day: int = 15

    def opens(self, period: Period) -> date:
        return period.day(self.open_day)

    def due(self, period: Period) -> date:
        return period.next().day(self.due_day)

    def locks_after(self, period: Period) -> date:
        return period.next().day(self.lock_day)

    def is_open(self, period: Period, today: date) -> bool:
        """Open for reporting by the reporters themselves (not locked, already opened)."""
        return self.opens(period) <= today <= self.locks_after(period)

    def reportable(self, today: date) -> list[Period]:
        """Periods a reporter may report on ``today``, oldest first."""
        this = Period.of(today)
        return [p for p in (this.prev(), this) if self.is_open(p, today)]

    def days_left(self, period: Period, today: date) -> int:
        return (self.due(period) - today).days
