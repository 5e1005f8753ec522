import asyncio
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
    assert {
        "provinces",
        "regencies",
        "districts",
        "villages",
        "posyandu",
        "users",
        "user_scopes",
        "invitations",
        "audit_log",
    } <= tables
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


# -- reads see what was committed before them -----------------------------------------------------
async def test_a_read_sees_a_write_committed_before_it_while_a_long_read_is_under_way(tmp_path):
    """An export streaming rows must not freeze what everyone else reads at its snapshot."""
    db = await Database.open(tmp_path / "db.sqlite3")
    async with db.transaction() as conn:
        await conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [(f"k{n}", "v") for n in range(50)])
    stream = db.iterate("SELECT key FROM meta", batch=10)
    assert (await anext(stream))["key"]  # an export has begun, and is paused mid-way
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO meta (key, value) VALUES ('new', 'written')")
    assert await db.fetchval("SELECT value FROM meta WHERE key = 'new'") == "written"
    await stream.aclose()
    await db.close()


async def test_concurrent_writers_each_read_back_their_own_write(tmp_path):
    """Many people at once, each saving and then reading back (as a handler does): a read that
    overlaps another read must still see what was committed before it began."""
    db = await Database.open(tmp_path / "db.sqlite3")

    async def person(n: int) -> str | None:
        for step in range(5):
            async with db.transaction() as conn:
                await conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (f"p{n}", f"s{step}"))
            if await db.fetchval("SELECT value FROM meta WHERE key = ?", (f"p{n}",)) != f"s{step}":
                return f"p{n} read a stale value at step {step}"
        return None

    async def reader() -> None:  # others reading all the while (menus, reviews, lookups)
        while not done.is_set():
            await db.fetchall("SELECT key, value FROM meta")

    done = asyncio.Event()
    readers = [asyncio.create_task(reader()) for _ in range(20)]
    problems = [p for p in await asyncio.gather(*(person(n) for n in range(100))) if p]
    done.set()
    await asyncio.gather(*readers)
    assert problems == []
    await db.close()


async def test_a_task_started_while_handling_an_update_does_not_write_in_its_name(tmp_path):
    """An export started by /ekspor runs on after the update was handled; its writes (the audit
    entry) must not mark the update as taken effect after the poller has settled it."""
    from storage.db import handling_update

    db = await Database.open(tmp_path / "db.sqlite3")
    release = asyncio.Event()

    async def background_export():
        await release.wait()
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO meta (key, value) VALUES ('export', 'done')")

    with handling_update(41) as handled:
        task = asyncio.create_task(background_export())  # copies the context, as PTB's create_task does
    release.set()
    await task
    assert not handled.recorded
    assert await db.fetchval("SELECT value FROM meta WHERE key = 'export'") == "done"
    assert await db.fetchval("SELECT COUNT(*) FROM handled_updates") == 0
    await db.close()
