"""Storage says what went wrong in its own terms: a write lock held by another process beyond the
retries is DatabaseBusy, a full database or disk is DatabaseFull (told apart by SQLite's error
codes, not by the message), and the database stays usable after either."""

import logging
import sqlite3

import pytest

import storage.db as db_module
from storage import DatabaseBusy, DatabaseError, DatabaseFull, StorageFault
from storage.db import Database


@pytest.fixture
async def db(tmp_path):
    database = await Database.open(tmp_path / "db.sqlite3")
    yield database
    await database.close()


@pytest.fixture
def other_writer(db):
    """Another process's connection to the same database file (a second bot, a CLI command)."""
    conn = sqlite3.connect(db.path, isolation_level=None, timeout=0)
    yield conn
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    conn.close()


@pytest.fixture
async def short_lock_waits(db, monkeypatch):
    monkeypatch.setattr(db_module, "_LOCK_RETRIES", (0.01,) * 3)
    await db._writer.execute("PRAGMA busy_timeout = 10")


@pytest.fixture
async def full_database(db):
    """The database may not grow by a single page: what a full disk looks like to SQLite."""
    pages = await db.fetchval("PRAGMA page_count")
    await db._writer.execute(f"PRAGMA max_page_count = {pages}")
    return pages


async def fill(db):
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?)", [(f"k{n}", "x" * 1000) for n in range(200)]
        )


def test_the_faults_share_a_base_and_are_not_a_damaged_database():
    for fault in (DatabaseBusy, DatabaseFull, DatabaseError):
        assert issubclass(fault, StorageFault)
    for fault in (DatabaseBusy, DatabaseFull):
        assert not issubclass(fault, DatabaseError)  # the command line advises a restore for those


async def test_a_full_database_raises_database_full_and_nothing_is_half_saved(db, full_database):
    with pytest.raises(DatabaseFull) as raised:
        await fill(db)
    assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
    assert await db.fetchval("SELECT COUNT(*) FROM meta") == 0


async def test_after_a_full_database_the_next_write_succeeds_once_there_is_room(db, full_database):
    with pytest.raises(DatabaseFull):
        await fill(db)
    await db._writer.execute("PRAGMA max_page_count = 1073741823")  # space freed
    await fill(db)
    assert await db.fetchval("SELECT COUNT(*) FROM meta") == 200


async def test_a_lock_held_beyond_the_retries_raises_database_busy(db, other_writer, short_lock_waits, caplog):
    other_writer.execute("BEGIN IMMEDIATE")
    with caplog.at_level(logging.WARNING, logger="storage.db"), pytest.raises(DatabaseBusy):
        await db.execute("INSERT INTO meta (key, value) VALUES ('a', 'b')")
    assert sum("locked by another writer" in r.getMessage() for r in caplog.records) == 3  # retried first
    other_writer.execute("ROLLBACK")
    await db.execute("INSERT INTO meta (key, value) VALUES ('a', 'b')")  # released: the write goes through
    assert await db.fetchval("SELECT value FROM meta WHERE key = 'a'") == "b"


async def test_other_errors_are_left_as_they_are(db):
    await db.execute("INSERT INTO meta (key, value) VALUES ('a', 'b')")
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute("INSERT INTO meta (key, value) VALUES ('a', 'c')")
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await db.fetchall("SELECT * FROM nowhere")
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await db.execute("INSERT INTO nowhere VALUES (1)")


async def test_a_commit_that_fails_leaves_no_transaction_open(db):
    """A COMMIT refused (here a deferred foreign key; a disk filling up as the WAL is written is
    another) must not leave the writer inside the transaction, or every later write fails."""
    async with db.transaction() as conn:
        await conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        await conn.execute(
            "CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)"
        )
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO child (parent_id) VALUES (7)")
    assert not db._writer.in_transaction
    await db.execute("INSERT INTO meta (key, value) VALUES ('a', 'b')")
    assert await db.fetchval("SELECT COUNT(*) FROM child") == 0


def test_faults_are_told_apart_by_sqlite_error_code(tmp_path):
    """What the reader and the writer both go through: real SQLite errors, by code."""
    path = tmp_path / "plain.sqlite3"
    first = sqlite3.connect(path, isolation_level=None, timeout=0)
    second = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        first.execute("CREATE TABLE t (x)")
        first.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError) as busy:
            second.execute("BEGIN IMMEDIATE")
        first.execute("ROLLBACK")
        pages = first.execute("PRAGMA page_count").fetchone()[0]
        first.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(sqlite3.OperationalError) as full:
            first.executemany("INSERT INTO t VALUES (?)", [("x" * 1000,)] * 100)
    finally:
        first.close()
        second.close()
    assert isinstance(db_module.storage_fault(busy.value), DatabaseBusy)
    assert isinstance(db_module.storage_fault(full.value), DatabaseFull)
    assert db_module.storage_fault(sqlite3.OperationalError("database is locked")) is None  # text alone: no
