"""What an export reads from the database: the posyandu of its villages up front, and the long
streams (latest answers, first submissions) pulled from the workbook builder's worker thread.

The builder is synchronous and runs in a worker thread; the database is aiosqlite on the event
loop. :meth:`ExportRows.streams` is called on the event loop and binds it; each pass over one
of its streams runs one SQL query through ``Database.iterate`` on that loop and hands the rows
to the thread in batches of :data:`BATCH` (:func:`_pulled`), so memory stays bounded by one
batch plus what the caller groups. Closing a stream early (the builder peeks at streams)
closes its cursor. A stream iterated on the loop itself raises RuntimeError: waiting for the
loop on the loop would never return.

Rows come out as the small dataclasses below, values decoded, times as datetimes; turning them
into a workbook's model is the exporting feature's business. Sensitive answers (stored
encrypted, see storage/reports.py) are never part of a workbook, so they are left out here:
an export neither decrypts them nor needs DATA_KEY.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncGenerator, Collection, Coroutine, Generator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from itertools import groupby
from operator import itemgetter
from typing import Any, TypeVar

from domain.clock import from_iso
from storage.db import Database

BATCH = 2000
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class ExportPosyandu:
    id: int
    village_code: str
    name: str


@dataclass(frozen=True, slots=True)
class LatestReport:
    """The latest revision of one report with its answers."""

    report_id: int
    village_code: str
    period: str
    form_id: str
    posyandu_id: int
    posyandu_name: str
    revision: int
    submitted_at: datetime
    submitted_role: str
    values: dict[str, Any]  # question id -> answer (None: skipped), in stored order
    confirmed: dict[str, tuple[str, ...]]  # question id -> soft rules the person confirmed


@dataclass(frozen=True, slots=True)
class FirstSubmission:
    """When a report was first submitted (its first revision)."""

    village_code: str
    posyandu_id: int
    form_id: str
    period: str
    first_submitted_at: datetime


class ReportOrder(Enum):
    """The orders a stream of latest reports comes in; each keeps a report's answers together."""

    BY_MONTH = "r.village_code, r.period, r.form_id, r.id"  # village sums: village, month, form
    BY_POSYANDU_NAME = "r.village_code, p.name, r.posyandu_id, r.period, r.form_id, r.id"  # the Data sheet
    BY_POSYANDU_FORM = "r.village_code, r.posyandu_id, r.form_id, r.period"  # one posyandu's months of a form


_IN_SCOPE = (
    "r.village_code IN (SELECT value FROM json_each(?)) AND r.period IN (SELECT value FROM json_each(?)) "
    "AND r.form_id IN (SELECT value FROM json_each(?))"
)
_LATEST_REPORTS = f"""
SELECT r.id AS report_id, r.village_code, r.period, r.form_id, r.posyandu_id, p.name AS posyandu_name,
       v.revision, v.submitted_at, v.submitted_role, rv.question_id, rv.value, rv.confirmed_rules
FROM reports r
JOIN report_revisions v ON v.report_id = r.id AND v.revision = r.latest_revision
JOIN report_values rv ON rv.revision_id = v.id
JOIN posyandu p ON p.id = r.posyandu_id
WHERE {_IN_SCOPE}
ORDER BY """
_FIRST_SUBMISSIONS = (
    "SELECT r.village_code, r.posyandu_id, r.form_id, r.period, r.first_submitted_at "
    f"FROM reports r WHERE {_IN_SCOPE} ORDER BY r.village_code"
)
_POSYANDU = (
    "SELECT p.id, p.village_code, p.name FROM posyandu p WHERE p.village_code IN "
    "(SELECT value FROM json_each(?)) AND (p.active = 1 OR EXISTS (SELECT 1 FROM reports r "
    "WHERE r.posyandu_id = p.id AND r.period IN (SELECT value FROM json_each(?)))) "
    "ORDER BY p.village_code, p.name, p.id"
)


class ExportRows:
    def __init__(self, db: Database):
        self.db = db

    async def posyandu(self, village_codes: Sequence[str], periods: Sequence[str]) -> list[ExportPosyandu]:
        """The villages' active posyandu and the inactive ones that reported in ``periods``, by
        village, name, id."""
        rows = await self.db.fetchall(_POSYANDU, (_json(village_codes), _json(periods)))
        return [ExportPosyandu(r["id"], r["village_code"], r["name"]) for r in rows]

    def streams(
        self, village_codes: Collection[str], periods: Collection[str], form_ids: Collection[str]
    ) -> ExportStreams:
        """The streams of one export, bound to the running event loop (call this on it)."""
        return ExportStreams(asyncio.get_running_loop(), self.db, tuple(village_codes), tuple(periods), tuple(form_ids))


class ExportStreams:
    """Streams over the reports of some villages x months x forms. Each call is one pass (one
    query); iterate it from a worker thread (``asyncio.to_thread``), never on the loop."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        db: Database,
        village_codes: tuple[str, ...],
        periods: tuple[str, ...],
        form_ids: tuple[str, ...],
    ):
        self._loop, self._db = loop, db
        self.village_codes, self.periods, self.form_ids = village_codes, periods, form_ids

    def latest_reports(self, order: ReportOrder, periods: Collection[str] | None = None) -> Generator[LatestReport]:
        """The latest revision of every report, in ``order``; ``periods`` instead of the streams'
        own months when given (say, with the month before for a comparison)."""
        rows = self._pass(_LATEST_REPORTS + order.value, periods)
        try:
            for _, grouped in groupby(rows, key=itemgetter("report_id")):
                answers = list(grouped)
                first = answers[0]
                yield LatestReport(
                    report_id=first["report_id"],
                    village_code=first["village_code"],
                    period=first["period"],
                    form_id=first["form_id"],
                    posyandu_id=first["posyandu_id"],
                    posyandu_name=first["posyandu_name"],
                    revision=first["revision"],
                    submitted_at=from_iso(first["submitted_at"]),
                    submitted_role=first["submitted_role"],
                    values={
                        a["question_id"]: _decode(a["value"]) for a in answers if not isinstance(a["value"], bytes)
                    },
                    confirmed={
                        a["question_id"]: tuple(json.loads(a["confirmed_rules"]))
                        for a in answers
                        if a["confirmed_rules"] not in ("[]", "", None)
                    },
                )
        finally:
            rows.close()

    def first_submissions(self) -> Generator[FirstSubmission]:
        """Every submitted report's first submission, by ascending village code."""
        rows = self._pass(_FIRST_SUBMISSIONS)
        try:
            for r in rows:
                yield FirstSubmission(
                    r["village_code"], r["posyandu_id"], r["form_id"], r["period"], from_iso(r["first_submitted_at"])
                )
        finally:
            rows.close()

    def _pass(self, sql: str, periods: Collection[str] | None = None) -> Generator[sqlite3.Row]:
        params = (_json(self.village_codes), _json(self.periods if periods is None else periods), _json(self.form_ids))
        return _pulled(self._loop, self._db, sql, params)


def _pulled(loop: asyncio.AbstractEventLoop, db: Database, sql: str, params: tuple[str, ...]) -> Generator[sqlite3.Row]:
    """Rows of one ``Database.iterate`` query on ``loop``, pulled from a worker thread in
    batches. Closing the generator early closes the cursor."""
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:  # waiting for the loop on the loop would never return
        raise RuntimeError("iterate an export stream from a worker thread (asyncio.to_thread)")
    stream: AsyncGenerator[sqlite3.Row] = db.iterate(sql, params, batch=BATCH)
    try:
        while True:
            batch = _on(loop, _take(stream, BATCH))
            yield from batch
            if len(batch) < BATCH:
                return
    finally:
        _on(loop, stream.aclose())


def _on(loop: asyncio.AbstractEventLoop, coroutine: Coroutine[Any, Any, _T]) -> _T:
    return asyncio.run_coroutine_threadsafe(coroutine, loop).result()


async def _take(stream: AsyncGenerator[sqlite3.Row], count: int) -> list[sqlite3.Row]:
    batch: list[sqlite3.Row] = []
    async for row in stream:
        batch.append(row)
        if len(batch) == count:
            break
    return batch


def _decode(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _json(values: Collection[str]) -> str:
    return json.dumps(list(values))
