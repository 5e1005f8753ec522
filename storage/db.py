"""SQLite through aiosqlite: one writer connection (writes serialised by a lock), one reader
connection (WAL lets it read committed data while a write is under way), and a connection of
its own for each long stream."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from storage.files import new_private_file, private_dir

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 5000
_LOCK_RETRIES = (0.05, 0.2, 0.5, 1.0, 2.0)
# SQLite's primary result codes (an extended code carries one in its low byte).
SQLITE_BUSY = 5  # another connection (process) holds the lock
SQLITE_LOCKED = 6  # a conflict within this connection's own shared cache
SQLITE_FULL = 13  # the disk is full, or the database reached max_page_count


@dataclass
class HandledUpdate:
    """The Telegram update being handled: did it change anything, did handling it fail?"""

    update_id: int
    recorded: bool = False
    failed: bool = False
    open: bool = True  # False once handled: a task it started (an export) writes on its own


_current_update: ContextVar[HandledUpdate | None] = ContextVar("current_update", default=None)


@contextmanager
def handling_update(update_id: int) -> Iterator[HandledUpdate]:
    """While handling this Telegram update, every write transaction also records its id."""
    handled = HandledUpdate(update_id)
    token = _current_update.set(handled)
    try:
        yield handled
    finally:
        handled.open = False  # background tasks copied this context; their writes are not the update's
        _current_update.reset(token)


def note_update_failed() -> None:
    """Handling the current update failed part-way (say, its reply could not be sent)."""
    if (handled := _current_update.get()) is not None:
        handled.failed = True


class StorageFault(Exception):
    """The database could not do what was asked."""


class DatabaseError(StorageFault):
    """The database cannot be used (corrupt, unreadable, or from a newer version)."""


class DatabaseBusy(StorageFault):
    """Another process held the database's lock for longer than the retries waited: nothing was
    saved, and the same action can succeed when it is tried again."""


class DatabaseFull(StorageFault):
    """The disk (or the database) is full: nothing was saved until space is freed."""


def _primary_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)  # set on errors SQLite raised (Python 3.11+)
    return None if code is None else code & 0xFF


def storage_fault(exc: sqlite3.Error) -> StorageFault | None:
    """The fault a SQLite error stands for, told by its result code (not by its message), or
    None for anything else (constraint violations, SQL errors), which stays as it is."""
    code = _primary_code(exc)
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return DatabaseBusy(str(exc))
    if code == SQLITE_FULL:
        return DatabaseFull(str(exc))
    return None


@contextmanager
def _faults_translated() -> Iterator[None]:
    """Raise DatabaseBusy or DatabaseFull in place of the SQLite errors they stand for."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if (fault := storage_fault(exc)) is None:
            raise
        raise fault from exc


async def _connect(path: Path | str) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        conn.row_factory = sqlite3.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        await conn.close()  # its worker thread would otherwise keep the process alive
        raise
    return conn


class Database:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str, *, migrate: bool = True, check: bool = True) -> Database:
        """Open the database at ``path``; a new one is made only where no file exists (0600, in
        folders made 0700). An existing empty file is refused: it is what is left of a database
        (a failed copy, a truncation), and taking it for a fresh install would tell everyone to
        register again."""
        db = cls(path)
        if db.path.exists():
            if db.path.is_file() and db.path.stat().st_size == 0:
                raise DatabaseError(
                    f"{db.path} is an empty file (0 bytes), not a new database; "
                    "only where no file exists is a new one made"
                )
        else:
            await asyncio.to_thread(_create, db.path)
        try:
            db._writer = await _connect(db.path)
            await db._writer.execute("PRAGMA journal_mode = WAL")
            if check:
                await db._check_integrity()
            if migrate:
                await db.migrate()
            db._reader = await _connect(db.path)
        except sqlite3.DatabaseError as exc:
            await db.close()
            raise DatabaseError(f"{db.path}: {exc}") from None
        except BaseException:
            await db.close()
            raise
        return db

    @staticmethod
    def _connected(conn: aiosqlite.Connection | None) -> aiosqlite.Connection:
        if conn is None:
            raise RuntimeError("the database is not open")
        return conn

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    async def _check_integrity(self) -> None:
        rows = await (await self._connected(self._writer).execute("PRAGMA quick_check")).fetchall()
        result = [row[0] for row in rows]
        if result != ["ok"]:
            raise DatabaseError(f"{self.path} is damaged ({'; '.join(result[:3])})")

    # -- migrations -------------------------------------------------------------------------
    async def schema_version(self) -> int:
        row = await (await self._connected(self._writer).execute("PRAGMA user_version")).fetchone()
        assert row is not None  # a PRAGMA that reads a value returns one row
        version: int = row[0]
        return version

    async def migrate(self) -> list[int]:
        """Apply numbered migrations not applied yet; each sets PRAGMA user_version itself."""
        writer = self._connected(self._writer)
        applied = []
        current = await self.schema_version()
        migrations = available_migrations()
        newest = max(migrations, default=0)
        if current > newest:
            raise DatabaseError(f"{self.path} comes from a newer Lapor Desa (schema {current} > {newest})")
        for number, path in sorted(migrations.items()):
            if number <= current:
                continue
            script = path.read_text(encoding="utf-8")
            # executescript commits first, so each script carries its own BEGIN ... COMMIT.
            await writer.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
            log.info("applied migration %s", path.name)
            applied.append(number)
        return applied

    # -- writing ----------------------------------------------------------------------------
    @asynccontextmanager
    async def transaction(self, *, records_update: bool = True) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction at a time for the whole process (BEGIN IMMEDIATE ... COMMIT).
        Inside ``handling_update`` it also records the update as handled, atomically with its
        effect, unless the write is only bookkeeping done before the update's real work."""
        async with self._write_lock:
            writer = self._connected(self._writer)
            with _faults_translated():
                try:
                    await self._begin(writer)
                    handled = _current_update.get() if records_update else None
                    handled = handled if handled is not None and handled.open else None
                    if handled is not None:
                        await writer.execute(
                            "INSERT OR IGNORE INTO handled_updates (update_id, handled_at) "
                            "VALUES (?, CAST(strftime('%s', 'now') AS INTEGER))",
                            (handled.update_id,),
                        )
                    yield writer
                    await writer.execute("COMMIT")
                except BaseException:
                    # SQLite has already rolled back after some errors (a full disk among them);
                    # a COMMIT it refused leaves the transaction open.
                    if writer.in_transaction:
                        await writer.execute("ROLLBACK")
                    raise
                if handled is not None:
                    handled.recorded = True

    @staticmethod
    async def _begin(writer: aiosqlite.Connection) -> None:
        """BEGIN IMMEDIATE, retried with backoff when another process holds the write lock."""
        for delay in (*_LOCK_RETRIES, None):
            try:
                await writer.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if _primary_code(exc) not in (SQLITE_BUSY, SQLITE_LOCKED) or delay is None:
                    raise
                log.warning("database is locked by another writer; retrying in %.2fs", delay)
                await asyncio.sleep(delay)

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int | None:
        """A single write statement in its own transaction; returns lastrowid."""
        async with self.transaction() as conn:
            cursor = await conn.execute(sql, tuple(params))
            return cursor.lastrowid

    # -- reading ----------------------------------------------------------------------------
    # A read runs start to finish in one call to the reader's thread: a statement left open
    # across an await (while other tasks read) would keep the connection's read transaction,
    # and so its snapshot, alive, and later reads would miss what was committed since.
    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        reader = self._connected(self._reader)
        with _faults_translated():
            return list(await reader.execute_fetchall(sql, tuple(params)))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Iterable[Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def iterate(self, sql: str, params: Iterable[Any] = (), batch: int = 2000) -> AsyncGenerator[sqlite3.Row]:
        """Stream a large result (exports) on a connection of its own: one consistent snapshot
        for the whole stream, without holding the shared reader's."""
        with _faults_translated():
            conn = await _connect(self.path)
            try:
                async with conn.execute(sql, tuple(params)) as cursor:
                    while rows := await cursor.fetchmany(batch):
                        for row in rows:
                            yield row
            finally:
                await conn.close()

    # -- backups ----------------------------------------------------------------------------
    async def backup_to(self, target: Path) -> None:
        """An online, consistent copy (VACUUM INTO) that includes what is still in the WAL.
        ``target`` must not exist, or be empty (then it keeps its mode)."""
        private_dir(target.parent)
        reader = self._connected(self._reader)
        with _faults_translated():
            await reader.execute("VACUUM INTO ?", (str(target),))


def _create(path: Path) -> None:
    """A new, empty database at ``path``: made under a temporary name with its header written
    (WAL mode), then linked into place, so that no empty file is ever left where the database
    belongs (a new file SQLite opens stays 0 bytes until its first write). The mode, 0600, is
    what SQLite gives the -wal and -shm files too."""
    private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.new")
    for leftover in (temporary, temporary.with_name(temporary.name + "-journal")):
        leftover.unlink(missing_ok=True)
    new_private_file(temporary)
    try:
        conn = sqlite3.connect(temporary)
        try:
            conn.execute("PRAGMA journal_mode = WAL")  # writes the header: the file is a database
        finally:
            conn.close()  # the last connection removes the (empty) -wal and -shm
        try:
            os.link(temporary, path)  # never replaces a database another process made meanwhile
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def inserted_id(cursor: aiosqlite.Cursor) -> int:
    """The rowid of the row the INSERT just run on ``cursor`` added."""
    rowid = cursor.lastrowid
    if rowid is None:
        raise RuntimeError("the statement inserted no row")
    return rowid


def available_migrations() -> dict[int, Path]:
    found: dict[int, Path] = {}
    for path in MIGRATIONS_DIR.glob("*.sql"):
        match = re.match(r"^(\d{4})_", path.name)
        if match:
            found[int(match[1])] = path
    return found
