"""The audit log: who did what and when. Details hold ids, never personal data."""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from domain.clock import Clock, from_iso, iso
from domain.models import AuditEntry
from storage.db import Database


class Audit:
    def __init__(self, db: Database, clock: Clock):
        self.db, self.clock = db, clock

    async def record(
        self,
        conn: aiosqlite.Connection,
        action: str,
        *,
        actor_id: int | None = None,
        actor_role: str | None = None,
        subject: str = "",
        **details: object,
    ) -> None:
        """Write an entry inside the caller's transaction, so it commits with the change."""
        await conn.execute(
            "INSERT INTO audit_log (at, actor_id, actor_role, action, subject, details) VALUES (?, ?, ?, ?, ?, ?)",
            (iso(self.clock.now()), actor_id, actor_role, action, subject, json.dumps(details, sort_keys=True)),
        )

    async def log(self, action: str, **kwargs: Any) -> None:  # record's keywords
        async with self.db.transaction() as conn:
            await self.record(conn, action, **kwargs)

    async def recent(self, limit: int = 20, action: str | None = None) -> list[AuditEntry]:
        where, params = ("WHERE action = ?", (action,)) if action else ("", ())
        rows = await self.db.fetchall(f"SELECT * FROM audit_log {where} ORDER BY id DESC LIMIT ?", (*params, limit))
        return [
            AuditEntry(
                id=r["id"],
                at=from_iso(r["at"]),
                actor_id=r["actor_id"],
                actor_role=r["actor_role"],
                action=r["action"],
                subject=r["subject"],
                details=json.loads(r["details"]),
            )
            for r in rows
        ]
