"""Review of submitted reports: a midwife or coordinator marks the latest revision verified or
needing correction, with a note. Every review is kept; the latest one is the report's state."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from domain.clock import Clock, from_iso, iso
from domain.models import User
from storage.audit import Audit
from storage.db import Database

STATES = ("verified", "needs_correction")
NOTE_LIMIT = 1000  # characters: with the rest of the reporter's message, well inside Telegram's 4096


class OwnRevision(Exception):
    """The reviewer submitted the revision under review: someone else reviews it."""

    def __init__(self, revision: int):
        super().__init__(f"revision {revision} was submitted by its reviewer")
        self.revision = revision


@dataclass(frozen=True)
class Review:
    report_id: int
    form_id: str
    posyandu_id: int
    village_code: str
    period: str
    revision: int  # the revision that was reviewed
    latest_revision: int  # the report's latest revision now (newer: revised since)
    state: str
    note: str
    reviewer_role: str
    reviewed_at: datetime
    submitted_by: int  # who submitted the reviewed revision


class Reviews:
    def __init__(self, db: Database, clock: Clock, audit: Audit):
        self.db, self.clock, self.audit = db, clock, audit

    async def review(
        self, form_id: str, posyandu_id: int, period: str, state: str, note: str, by: User
    ) -> Review | None:
        """Review the latest revision; None when no report was submitted. Raises OwnRevision
        when ``by`` submitted that revision (checked in the review's transaction)."""
        if state not in STATES:
            raise ValueError(f"state must be one of {STATES}")
        if len(note) > NOTE_LIMIT:
            raise ValueError(f"a note has at most {NOTE_LIMIT} characters")
        async with self.db.transaction() as conn:
            report = await (
                await conn.execute(
                    "SELECT r.id, r.latest_revision, v.submitted_by FROM reports r JOIN report_revisions v "
                    "ON v.report_id = r.id AND v.revision = r.latest_revision "
                    "WHERE r.form_id = ? AND r.posyandu_id = ? AND r.period = ?",
                    (form_id, posyandu_id, period),
                )
            ).fetchone()
            if report is None:
                return None
            if report["submitted_by"] == by.telegram_id:
                raise OwnRevision(report["latest_revision"])
            await conn.execute(
                "INSERT INTO report_reviews (report_id, revision, state, note, reviewed_by, reviewer_role, "
                "reviewed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    report["id"],
                    report["latest_revision"],
                    state,
                    note,
                    by.telegram_id,
                    by.role.value,
                    iso(self.clock.now()),
                ),
            )
            await self.audit.record(
                conn,
                "report.review",
                actor_id=by.telegram_id,
                actor_role=by.role.value,
                subject=f"{form_id}/{posyandu_id}/{period}",
                revision=report["latest_revision"],
                state=state,
            )
        return await self.latest(form_id, posyandu_id, period)

    async def latest(self, form_id: str, posyandu_id: int, period: str) -> Review | None:
        rows = await self.db.fetchall(
            _LATEST + " AND r.form_id = ? AND r.posyandu_id = ? AND r.period = ?", (form_id, posyandu_id, period)
        )
        return _review(rows[0]) if rows else None

    async def latest_in(self, village_codes: list[str], periods: list[str]) -> list[Review]:
        """The latest review of every reviewed report of the villages and months, by village,
        period, posyandu, form."""
        rows = await self.db.fetchall(
            _LATEST + " AND r.village_code IN (SELECT value FROM json_each(?)) AND r.period IN "
            "(SELECT value FROM json_each(?)) ORDER BY r.village_code, r.period, r.posyandu_id, r.form_id",
            (_json(village_codes), _json(periods)),
        )
        return [_review(r) for r in rows]


_LATEST = """
SELECT r.id AS report_id, r.form_id, r.posyandu_id, r.village_code, r.period, r.latest_revision, w.revision,
       w.state, w.note, w.reviewer_role, w.reviewed_at, v.submitted_by
FROM report_reviews w JOIN reports r ON r.id = w.report_id
JOIN report_revisions v ON v.report_id = r.id AND v.revision = w.revision
WHERE w.id = (SELECT MAX(id) FROM report_reviews WHERE report_id = r.id)
"""


def _review(row: sqlite3.Row) -> Review:
    return Review(
        report_id=row["report_id"],
        form_id=row["form_id"],
        posyandu_id=row["posyandu_id"],
        village_code=row["village_code"],
        period=row["period"],
        revision=row["revision"],
        latest_revision=row["latest_revision"],
        state=row["state"],
        note=row["note"],
        reviewer_role=row["reviewer_role"],
        reviewed_at=from_iso(row["reviewed_at"]),
        submitted_by=row["submitted_by"],
    )


def _json(values: Iterable[str]) -> str:
    return json.dumps(list(values))
