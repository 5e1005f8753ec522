import argparse
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from features.backups.cli import backup_command, restore_command
from storage import Storage
from storage.backup import BackupProblem, check_backup, list_backups, make_backup, prune_backups, restore_backup

MOMENT = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


async def test_online_backup_is_consistent_while_a_write_is_open(storage, posyandu_ids, tmp_path):
    async with storage.db.transaction() as conn:  # a write in progress is not in the copy
        await conn.execute("INSERT INTO meta (key, value) VALUES ('half', 'done')")
        path = await make_backup(storage.db, tmp_path / "b", MOMENT)
    checked = check_backup(path)
    assert checked.schema_version == await storage.db.schema_version()
    copy = sqlite3.connect(path)
    assert copy.execute("SELECT COUNT(*) FROM posyandu").fetchone()[0] == len(posyandu_ids)
    assert copy.execute("SELECT COUNT(*) FROM meta WHERE key = 'half'").fetchone()[0] == 0
    copy.close()


async def test_retention_keeps_the_newest(storage, tmp_path):
    for hours in range(5):
        await make_backup(storage.db, tmp_path, MOMENT + timedelta(hours=hours), keep=3)
    names = [p.name for p in list_backups(tmp_path)]
    assert names == [
        "lapordesa-20261123-050000.sqlite3",
        "lapordesa-20261123-060000.sqlite3",
        "lapordesa-20261123-070000.sqlite3",
    ]
    assert prune_backups(tmp_path, 1) and len(list_backups(tmp_path)) == 1


@pytest.mark.parametrize("content", [b"", b"garbage" * 1000])
def test_a_file_that_is_not_a_database_is_refused(tmp_path, content):
    path = tmp_path / "bad.sqlite3"
    path.write_bytes(content)
    with pytest.raises(BackupProblem):
        check_backup(path)


def test_another_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE x (y)").connection.close()
    with pytest.raises(BackupProblem, match="not a Lapor Desa database"):
        check_backup(path)


async def test_restore_brings_back_the_data(storage, posyandu_ids, tmp_path, clock):
    path = await make_backup(storage.db, tmp_path / "b", MOMENT)
    target = tmp_path / "restored" / "db.sqlite3"
    restore_backup(path, target)
    restored = await Storage.open(target, clock)
    assert len(await restored.areas.posyandu_in("32.04.12.2001")) == 2
    await restored.close()


async def test_backup_and_restore_commands(settings, storage, posyandu_ids, capsys):
    await storage.close()
    assert await backup_command(argparse.Namespace(directory=None), settings) == 0
    [backup] = list_backups(settings.backup_dir)
    live = await Storage.open(settings.database_path)
    await live.areas.add_posyandu("32.04.12.2001", "Added after the backup")
    await live.close()
    assert await restore_command(argparse.Namespace(file=backup, yes=True), settings) == 0
    restored = await Storage.open(settings.database_path)
    names = {p.name for p in await restored.areas.posyandu_in("32.04.12.2001")}
    actions = [e.action for e in await restored.audit.recent(5)]
    await restored.close()
    assert "Added after the backup" not in names and "restore" in actions
    assert list((settings.backup_dir / "before-restore").glob("*.sqlite3"))  # what was replaced is kept


async def test_restore_refuses_a_damaged_file_and_changes_nothing(settings, tmp_path, capsys):
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"not a database")
    assert await restore_command(argparse.Namespace(file=bad, yes=True), settings) == 1
    assert "nothing was changed" in capsys.readouterr().err
