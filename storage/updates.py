"""Which Telegram updates have already taken effect (see migration 0004)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from storage.db import Database

KEEP_SECONDS = 3 * 24 * 3600  # Telegram redelivers an unconfirmed update for up to 24 hours


class Progress(Enum):
    NEW = "new"  # never handled: handle it
    APPLIED = "applied"  # its changes are committed, its replies may not have been sent
    DONE = "done"  # committed and replied to


class Updates:
    def __init__(self, db: Database):
        self.db = db
        # The newest update handled before this process began polling: only it and older ones
        # can come again, so a newer one needs no look-up. None: always look.
        self.redelivery_horizon: int | None = None

    async def start_polling(self) -> None:
        self.redelivery_horizon = await self.db.fetchval("SELECT coalesce(max(update_id), -1) FROM handled_updates")

    async def progress(self, update_id: int) -> Progress:
        if self.redelivery_horizon is not None and update_id > self.redelivery_horizon:
            return Progress.NEW
        replied = await self.db.fetchval("SELECT replied FROM handled_updates WHERE update_id = ?", (update_id,))
        return Progress.NEW if replied is None else Progress.DONE if replied else Progress.APPLIED

    async def mark_replied(self, update_ids: Iterable[int]) -> None:
        async with self.db.transaction() as conn:
            await conn.executemany(
                "UPDATE handled_updates SET replied = 1 WHERE update_id = ?", [(update_id,) for update_id in update_ids]
            )

    async def prune(self, keep_seconds: int = KEEP_SECONDS) -> int:
        """Forget updates older than Telegram would ever deliver again; returns how many."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM handled_updates WHERE handled_at < CAST(strftime('%s', 'now') AS INTEGER) - ?",
                (keep_seconds,),
            )
            await conn.execute(
                "DELETE FROM update_attempts WHERE seen_at < CAST(strftime('%s', 'now') AS INTEGER) - ?",
                (keep_seconds,),
            )
            return cursor.rowcount

    # -- updates kept beside Telegram's queue --------------------------------------------------
    async def park(self, updates: Sequence[tuple[int, str]]) -> None:
        """Keep updates still being handled, so the poller can confirm them to Telegram."""
        async with self.db.transaction(records_update=False) as conn:
            await conn.executemany(
                "INSERT OR IGNORE INTO parked_updates (update_id, data, parked_at) "
                "VALUES (?, ?, CAST(strftime('%s', 'now') AS INTEGER))",
                updates,
            )

    async def unpark(self, update_id: int) -> None:
        async with self.db.transaction(records_update=False) as conn:
            await conn.execute("DELETE FROM parked_updates WHERE update_id = ?", (update_id,))

    async def parked(self) -> list[tuple[int, dict[str, Any]]]:
        """Updates parked by an earlier run and not finished: handled first after a restart."""
        rows = await self.db.fetchall("SELECT update_id, data FROM parked_updates ORDER BY update_id")
        return [(row["update_id"], json.loads(row["data"])) for row in rows]

    async def quarantine(self, update_id: int, data: str, reason: str) -> None:
        """Keep an update that cannot be handled, as Telegram sent it, for an admin to look at."""
        async with self.db.transaction(records_update=False) as conn:
            await conn.execute(
                "INSERT OR REPLACE INTO quarantined_updates (update_id, data, reason, received_at) "
                "VALUES (?, ?, ?, CAST(strftime('%s', 'now') AS INTEGER))",
                (update_id, data, reason),
            )
            await conn.execute("DELETE FROM parked_updates WHERE update_id = ?", (update_id,))

    async def quarantined(self) -> list[Quarantined]:
        rows = await self.db.fetchall(
            "SELECT update_id, data, reason, received_at FROM quarantined_updates ORDER BY update_id"
        )
        return [Quarantined(r["update_id"], r["reason"], r["received_at"], r["data"]) for r in rows]

    async def count_attempts(self, update_ids: Sequence[int], limit: int) -> set[int]:
        """Count one more start that got these updates first; those seen on ``limit`` starts."""
        async with self.db.transaction(records_update=False) as conn:
            await conn.executemany(
                "INSERT INTO update_attempts (update_id, attempts, seen_at) "
                "VALUES (?, 1, CAST(strftime('%s', 'now') AS INTEGER)) "
                "ON CONFLICT (update_id) DO UPDATE SET attempts = attempts + 1, seen_at = excluded.seen_at",
                [(i,) for i in update_ids],
            )
            rows = await (
                await conn.execute(
                    "SELECT update_id FROM update_attempts WHERE attempts >= ? AND update_id IN "
                    "(SELECT value FROM json_each(?))",
                    (limit, json.dumps(list(update_ids))),
                )
            ).fetchall()
        return {row[0] for row in rows}


@dataclass(frozen=True)
class Quarantined:
    update_id: int
    reason: str
    received_at: int  # Unix time
    data: str  # the update as Telegram sent it (JSON)
