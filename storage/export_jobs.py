"""Exports asked for in the chat, from the moment the build starts until the files were delivered
(or the person was told why not): a process killed in between leaves the job 'running', and the
next start finds it (see migration 0012)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.clock import Clock, from_iso, iso
from storage.db import Database, inserted_id

RUNNING, DONE, FAILED, ABANDONED = "running", "done", "failed", "abandoned"


@dataclass(frozen=True)
class ExportRequest:
    """What was asked: who, in which chat and language, which area and months."""

    telegram_id: int
    chat_id: int
    language: str
    area: str  # an area code, or "*" for everything in the person's scope
    label: str  # the area's name as the person was shown it
    villages: tuple[str, ...]
    first_period: str
    last_period: str


@dataclass(frozen=True)
class ExportJob:
    id: int
    request: ExportRequest
    state: str
    outcome: str | None
    owner: str
    attempts: int
    started_at: datetime
    finished_at: datetime | None


class ExportJobs:
    def __init__(self, db: Database, clock: Clock):
        self.db, self.clock = db, clock

    async def start(self, request: ExportRequest, owner: str) -> ExportJob:
        """Record an export whose build starts now (by ``owner``, a process)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO export_jobs (telegram_id, chat_id, language, area, label, villages, first_period, "
                "last_period, owner, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    request.telegram_id,
                    request.chat_id,
                    request.language,
                    request.area,
                    request.label,
                    json.dumps(list(request.villages)),
                    request.first_period,
                    request.last_period,
                    owner,
                    iso(self.clock.now()),
                ),
            )
            job_id = inserted_id(cursor)
        job = await self.get(job_id)
        assert job is not None
        return job

    async def finish(self, job_id: int, state: str, outcome: str) -> None:
        """Delivered (DONE), or the person was told it failed (FAILED) or did not finish (ABANDONED)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE export_jobs SET state = ?, outcome = ?, finished_at = ? WHERE id = ? AND state = 'running'",
                (state, outcome, iso(self.clock.now()), job_id),
            )

    async def take_over(self, job: ExportJob, owner: str) -> ExportJob | None:
        """Make ``owner`` the builder of a running job whose process died (one attempt more);
        None when another process took it first or it finished meanwhile."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE export_jobs SET owner = ?, attempts = attempts + 1 WHERE id = ? AND owner = ? "
                "AND state = 'running'",
                (owner, job.id, job.owner),
            )
            if not cursor.rowcount:
                return None
        return await self.get(job.id)

    async def prune(self, keep: timedelta = timedelta(days=90)) -> int:
        """Forget finished jobs older than ``keep``; returns how many."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM export_jobs WHERE state != 'running' AND started_at < ?", (iso(self.clock.now() - keep),)
            )
            return cursor.rowcount

    async def running(self) -> list[ExportJob]:
        rows = await self.db.fetchall("SELECT * FROM export_jobs WHERE state = 'running' ORDER BY id")
        return [_job(r) for r in rows]

    async def get(self, job_id: int) -> ExportJob | None:
        row = await self.db.fetchone("SELECT * FROM export_jobs WHERE id = ?", (job_id,))
        return _job(row) if row else None


def _job(row: sqlite3.Row) -> ExportJob:
    return ExportJob(
        id=row["id"],
        request=ExportRequest(
            telegram_id=row["telegram_id"],
            chat_id=row["chat_id"],
            language=row["language"],
            area=row["area"],
            label=row["label"],
            villages=tuple(json.loads(row["villages"])),
            first_period=row["first_period"],
            last_period=row["last_period"],
        ),
        state=row["state"],
        outcome=row["outcome"],
        owner=row["owner"],
        attempts=row["attempts"],
        started_at=from_iso(row["started_at"]),
        finished_at=from_iso(row["finished_at"]) if row["finished_at"] else None,
    )
