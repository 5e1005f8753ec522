"""python-telegram-bot persistence on SQLite (PTB has none built in).

Only conversation states are kept: the answers themselves are written to the draft tables the
moment they arrive, and handlers read their position from there, so a state that PTB had not
flushed yet when the process was killed costs nothing.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from storage.db import Database


class SqlitePersistence(BasePersistence):
    def __init__(self, db: Database, update_interval: float = 5.0):
        super().__init__(store_data=PersistenceInput(bot_data=False, chat_data=False, user_data=False,
                                                     callback_data=False),
                         update_interval=update_interval)
        self.db = db
        self._pending: dict[tuple[str, str], object | None] = {}
        self._writing: asyncio.Future | None = None

    async def get_conversations(self, name: str) -> dict:
        rows = await self.db.fetchall("SELECT key, state FROM ptb_conversations WHERE name = ?", (name,))
        return {tuple(json.loads(r["key"])): json.loads(r["state"]) for r in rows}

    async def update_conversation(self, name: str, key: tuple[int | str, ...], new_state: object | None) -> None:
        """PTB calls this for every changed conversation of a flush at once: they are written
        together, in one transaction."""
        self._pending[(name, json.dumps(list(key)))] = new_state
        if self._writing is None:
            self._writing = asyncio.ensure_future(self._write_pending())
        await asyncio.shield(self._writing)

    async def _write_pending(self) -> None:
        await asyncio.sleep(0)  # the other calls of this flush are queued behind this one
        pending, self._pending, self._writing = self._pending, {}, None
        ended = [key for key, state in pending.items() if state is None]
        async with self.db.transaction() as conn:
            if ended:
                await conn.executemany("DELETE FROM ptb_conversations WHERE name = ? AND key = ?", ended)
            await conn.executemany(
                "INSERT INTO ptb_conversations (name, key, state) VALUES (?, ?, ?) "
                "ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
                [(*key, json.dumps(state)) for key, state in pending.items() if state is not None])

    # User, chat, bot and callback data are not stored (see store_data above).
    async def get_user_data(self) -> dict[int, Any]:
        return {}

    async def get_chat_data(self) -> dict[int, Any]:
        return {}

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def update_user_data(self, user_id: int, data: Any) -> None: ...
    async def update_chat_data(self, chat_id: int, data: Any) -> None: ...
    async def update_bot_data(self, data: Any) -> None: ...
    async def update_callback_data(self, data: Any) -> None: ...
    async def drop_chat_data(self, chat_id: int) -> None: ...
    async def drop_user_data(self, user_id: int) -> None: ...
    async def refresh_user_data(self, user_id: int, user_data: Any) -> None: ...
    async def refresh_chat_data(self, chat_id: int, chat_data: Any) -> None: ...
    async def refresh_bot_data(self, bot_data: Any) -> None: ...
    async def flush(self) -> None: ...
