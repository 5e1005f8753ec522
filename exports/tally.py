"""Completeness arithmetic shared by Ringkasan and Kelengkapan."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .model import CompletenessEntry, ReportStatus

ReportKey = tuple[str, str, str]  # posyandu id, posyandu name, form id


def rate(part: int, whole: int) -> float | None:
    """part / whole, never above 100% (None when nothing was expected)."""
    if not whole:
        return None
    return min(part / whole, 1.0)


@dataclass(slots=True)
class Tally:
    expected: int = 0
    submitted: int = 0
    on_time: int = 0

    def add(self, status: ReportStatus) -> None:
        self.expected += 1
        if status is not ReportStatus.MISSING:
            self.submitted += 1
        if status is ReportStatus.ON_TIME:
            self.on_time += 1

    @property
    def reporting_rate(self) -> float | None:
        return rate(self.submitted, self.expected)

    @property
    def on_time_rate(self) -> float | None:
        return rate(self.on_time, self.expected)


def statuses_by_report(
    entries: Iterable[CompletenessEntry], periods: Sequence[str]
) -> dict[ReportKey, dict[str, ReportStatus]]:
    """One village's entries as ``{(posyandu, name, form): {period: status}}``.

    A duplicated entry counts once (the last one wins), so a report cannot be
    both expected once and submitted twice.
    """
    wanted = set(periods)
    reports: dict[ReportKey, dict[str, ReportStatus]] = {}
    for entry in entries:
        if entry.period in wanted:
            key = (entry.posyandu_id, entry.posyandu_name, entry.form_id)
            reports.setdefault(key, {})[entry.period] = ReportStatus(entry.status)
    return reports


def tally(statuses: Iterable[ReportStatus]) -> Tally:
    total = Tally()
    for status in statuses:
        total.add(status)
    return total
