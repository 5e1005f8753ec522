"""The database, its -wal/-shm, backups and exports hold personal data: each is created 0600 in
folders created 0700, whatever the umask (here the common 022, which made them 0644 in 0755)."""

import argparse
import os
import stat
from datetime import UTC, datetime

import pytest

from domain.roles import Role
from features.backups.cli import restore_command
from features.exporting.service import export_workbook
from storage import Storage
from storage.backup import make_backup
from tests.exporting.support import SUKAMAJU, person, services, submit
from tests.support.harness import TOKEN, make_settings, seed
from tests.support.process import run_cli

MOMENT = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def usual_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


async def test_a_new_database_and_its_wal_and_shm_are_private(tmp_path, clock):
    database = tmp_path / "srv" / "data" / "lapordesa.sqlite3"
    store = await Storage.open(database, clock)
    try:
        await seed(store)  # writes: the WAL and the shared memory file exist now
        wal, shm = (database.with_name(database.name + s) for s in ("-wal", "-shm"))
        assert wal.exists() and shm.exists()
        assert {mode(database), mode(wal), mode(shm)} == {0o600}
    finally:
        await store.close()
    assert mode(tmp_path / "srv") == 0o700 and mode(tmp_path / "srv" / "data") == 0o700


async def test_backups_and_the_restored_database_are_private(tmp_path, clock):
    settings = make_settings(tmp_path, backup_dir=tmp_path / "var" / "backups")
    store = await Storage.open(settings.database_path, clock)
    try:
        await seed(store)
        backup = await make_backup(store.db, settings.backup_dir, MOMENT)
    finally:
        await store.close()
    assert mode(backup) == 0o600
    assert mode(tmp_path / "var") == 0o700 and mode(settings.backup_dir) == 0o700
    assert await restore_command(argparse.Namespace(file=backup, yes=True), settings) == 0
    assert mode(settings.database_path) == 0o600
    aside = settings.backup_dir / "before-restore"
    assert mode(aside) == 0o700 and {mode(p) for p in aside.iterdir()} == {0o600}


async def test_an_export_is_private(tmp_path, storage, clock, settings):
    ids = await seed(storage)
    kader = await person(storage, 1001, Role.KADER, SUKAMAJU)
    await submit(storage, clock, kader, ids["Mawar"], SUKAMAJU, "2026-10", {"balita_sasaran_s": 5})
    out = tmp_path / "exports" / "monthly" / "lapordesa.xlsx"
    result = await export_workbook(services(settings, storage, clock), None, ["2026-10"], [SUKAMAJU], out, fit=False)
    assert result.files == [out] and mode(out) == 0o600
    assert mode(tmp_path / "exports") == 0o700 and mode(out.parent) == 0o700


def test_the_command_line_creates_a_private_database(tmp_path):
    database = tmp_path / "data" / "lapordesa.sqlite3"
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_PATH": database}
    run_cli(["villages", "list"], env, cwd=tmp_path)  # the first command on a fresh install
    assert mode(database) == 0o600 and mode(database.parent) == 0o700
