"""python-telegram-bot persistence on SQLite (PTB has none built in).

Only conversation states are kept: the answers themselves are written to the draft tables the
moment they arrive, and handlers read their position from there, so a state that PTB had not
flushed yet when the process was killed costs nothing.
"""
from __future__ import annotations

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

    async def get_conversations(self, name: str) -> dict:
        rows = await self.db.fetchall("SELECT key, state FROM ptb_conversations WHERE name = ?", (name,))
        return {tuple(json.loads(r["key"])): json.loads(r["state"]) for r in rows}

    async def update_conversation(self, name: str, key: tuple[int | str, ...], new_state: object | None) -> None:
        encoded_key = json.dumps(list(key))
        if new_state is None:
            await self.db.execute("DELETE FROM ptb_conversations WHERE name = ? AND key = ?", (name, encoded_key))
        else:
            await self.db.execute(
                "INSERT INTO ptb_conversations (name, key, state) VALUES (?, ?, ?) "
                "ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
                (name, encoded_key, json.dumps(new_state)))

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
