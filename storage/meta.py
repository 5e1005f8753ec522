"""Key/value facts the bot keeps about itself."""

from __future__ import annotations

from storage.db import Database


class Meta:
    def __init__(self, db: Database):
        self.db = db

    async def get(self, key: str) -> str | None:
        value: str | None = await self.db.fetchval("SELECT value FROM meta WHERE key = ?", (key,))
        return value

    async def set(self, key: str, value: str) -> None:
        await self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
