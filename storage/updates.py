"""Which Telegram updates have already taken effect (see migration 0004)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

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
            return cursor.rowcount
