"""`python bot.py restore BACKUP --yes` works exactly when it is needed: on a damaged database.
The damaged file (and its -wal/-shm) is moved aside as plain files, never opened as SQLite."""

import sqlite3
from datetime import UTC, datetime

import pytest

from storage import Storage
from storage.backup import make_backup
from tests.support.harness import TOKEN, seed
from tests.support.process import run_cli

PAGE = 4096
MOMENT = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def truncate(data: bytes) -> bytes:
    return data[: 3 * PAGE]  # the header promises more pages than the file has


def destroy_header(data: bytes) -> bytes:
    return b"\x00" * 100 + data[100:]  # no "SQLite format 3" magic: not a database any more


def overwrite_pages(data: bytes) -> bytes:
    damaged = bytearray(data)
    damaged[2 * PAGE : 4 * PAGE] = b"\xa5" * (2 * PAGE)  # the tables' contents, not the header
    return bytes(damaged)


def empty(data: bytes) -> bytes:
    return b""


async def database_with_backup(tmp_path, clock):
    """A seeded database, a backup of it, then one more posyandu (which the restore undoes)."""
    database = tmp_path / "data" / "lapordesa.sqlite3"
    store = await Storage.open(database, clock)
    try:
        await seed(store)
        backup = await make_backup(store.db, tmp_path / "backups", MOMENT)
        await store.areas.add_posyandu("32.04.12.2001", "Added after the backup")
    finally:
        await store.close()
    return database, backup


def posyandu_names(database) -> set[str]:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return {row[0] for row in conn.execute("SELECT name FROM posyandu")}
    finally:
        conn.close()


@pytest.mark.parametrize("damage", [truncate, destroy_header, overwrite_pages, empty])
async def test_restore_replaces_a_damaged_database(tmp_path, clock, damage):
    database, backup = await database_with_backup(tmp_path, clock)
    damaged = damage(database.read_bytes())
    database.write_bytes(damaged)
    wal, shm = database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")
    wal.write_bytes(b"left over by a crash " * 100)  # what a crash leaves beside it goes aside too
    shm.write_bytes(b"\x00" * 32768)
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_PATH": database, "BACKUP_DIR": tmp_path / "backups"}

    result = run_cli(["restore", backup, "--yes"], env, cwd=tmp_path, check=False)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    names = posyandu_names(database)
    assert "Mawar" in names and "Added after the backup" not in names
    aside = sorted((tmp_path / "backups" / "before-restore").iterdir())
    by_suffix = {path.name.rsplit(".sqlite3", 1)[1]: path for path in aside}
    assert set(by_suffix) == {"", "-wal", "-shm"}, aside
    assert by_suffix[""].read_bytes() == damaged  # byte for byte: kept for a closer look
    assert by_suffix["-wal"].read_bytes() == b"left over by a crash " * 100
    assert not wal.exists() or wal.read_bytes() != b"left over by a crash " * 100
    assert str(by_suffix[""]) in result.stderr  # the operator is told where it went


async def test_restore_keeps_an_intact_database_it_replaces(tmp_path, clock):
    database, backup = await database_with_backup(tmp_path, clock)
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_PATH": database, "BACKUP_DIR": tmp_path / "backups"}
    run_cli(["restore", backup, "--yes"], env, cwd=tmp_path)
    [kept] = (tmp_path / "backups" / "before-restore").glob("*.sqlite3")
    assert "Added after the backup" in posyandu_names(kept)  # the replaced data opens as it was
    assert "Added after the backup" not in posyandu_names(database)
