import sqlite3

import pytest

from storage import Storage
from storage.db import Database, DatabaseError, available_migrations


async def test_migrations_from_empty_and_again(tmp_path):
    path = tmp_path / "db.sqlite3"
    db = await Database.open(path)
    newest = max(available_migrations())
    assert await db.schema_version() == newest
    assert await db.migrate() == []  # a second run applies nothing
    tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"provinces", "regencies", "districts", "villages", "posyandu", "users", "user_scopes",
            "invitations", "audit_log"} <= tables
    await db.close()
    db = await Database.open(path)  # reopening is safe too
    assert await db.schema_version() == newest
    await db.close()


async def test_pragmas(tmp_path):
    db = await Database.open(tmp_path / "db.sqlite3")
    assert await db.fetchval("PRAGMA journal_mode") == "wal"
    assert await db.fetchval("PRAGMA foreign_keys") == 1
    assert await db.fetchval("PRAGMA busy_timeout") == 5000
    await db.close()


async def test_refuses_a_newer_schema(tmp_path):
    path = tmp_path / "db.sqlite3"
    sqlite3.connect(path).execute("PRAGMA user_version = 999").connection.close()
    with pytest.raises(DatabaseError, match="newer"):
        await Database.open(path)


async def test_refuses_a_file_that_is_not_a_database(tmp_path):
    path = tmp_path / "db.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseError):
        await Database.open(path)


async def test_failed_transaction_rolls_back(tmp_path):
    storage = await Storage.open(tmp_path / "db.sqlite3")
    with pytest.raises(RuntimeError):
        async with storage.db.transaction() as conn:
            await conn.execute("INSERT INTO meta (key, value) VALUES ('a', 'b')")
            raise RuntimeError("boom")
    assert await storage.meta.get("a") is None
    await storage.close()


async def test_database_folder_is_created(tmp_path):
    storage = await Storage.open(tmp_path / "new" / "folder" / "db.sqlite3")
    assert (tmp_path / "new" / "folder").is_dir()
    await storage.close()
