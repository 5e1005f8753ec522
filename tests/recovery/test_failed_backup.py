"""A backup that fails (a full disk) leaves no file that looks like a backup: it is written under a
temporary name and renamed when complete, removed on failure. So the newest backup stays the
newest (the catch-up at start still runs), retention counts only real backups, and the command
line says what happened in one line."""

import argparse
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from features.backups.cli import backup_command
from features.backups.jobs import backup_due, backup_job, latest_backup_time
from storage import DatabaseFull, Storage
from storage.backup import list_backups, make_backup
from storage.db import Database
from tests.storage.test_backup_job import job_context, services_for
from tests.support.harness import TOKEN, make_settings, seed
from tests.support.process import BOT, REPO, clean_env

MOMENT = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@pytest.fixture
def disk_full(monkeypatch):
    """VACUUM INTO that runs out of space half-way: part of the copy is written, then SQLITE_FULL."""

    async def backup_to(self, target):
        with open(target, "ab") as copy:
            copy.write(b"SQLite format 3\x00" + b"\x00" * 4000)
        raise DatabaseFull("database or disk is full")

    monkeypatch.setattr(Database, "backup_to", backup_to)


async def test_a_failed_backup_leaves_nothing_and_the_newest_stays_the_newest(storage, posyandu_ids, tmp_path, request):
    folder = tmp_path / "backups"
    good = await make_backup(storage.db, folder, MOMENT)
    request.getfixturevalue("disk_full")
    with pytest.raises(DatabaseFull):
        await make_backup(storage.db, folder, MOMENT + timedelta(days=1), keep=1)
    assert sorted(p.name for p in folder.iterdir()) == [good.name]  # no partial copy, nothing pruned
    assert latest_backup_time(folder) == MOMENT


async def test_the_daily_job_catches_up_after_a_failure_and_keeps_its_backups(
    tmp_path, storage, posyandu_ids, clock, monkeypatch
):
    settings = make_settings(tmp_path, backup_keep=2)
    services = services_for(settings, storage, clock)
    for _ in range(2):
        await backup_job(job_context(services))
        clock.advance(days=1)
    kept = list_backups(settings.backup_dir)
    clock.advance(days=1)  # a day was missed: the next start catches up
    assert backup_due(services)

    async def full(self, target):
        target.write_bytes(b"SQLite format 3\x00")
        raise DatabaseFull("database or disk is full")

    with monkeypatch.context() as patch:
        patch.setattr(Database, "backup_to", full)
        await backup_job(job_context(services))  # logged, never raised
    assert list_backups(settings.backup_dir) == kept  # retention kept both good ones
    assert backup_due(services)  # the failure does not count as today's backup
    await backup_job(job_context(services))
    assert len(list_backups(settings.backup_dir)) == 2 and not backup_due(services)


def test_an_empty_file_left_by_an_older_version_is_no_backup(tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "lapordesa-20261120-030000.sqlite3").write_bytes(b"good enough for listing")
    (folder / "lapordesa-20261121-030000.sqlite3").write_bytes(b"")
    assert [p.name for p in list_backups(folder)] == ["lapordesa-20261120-030000.sqlite3"]
    assert latest_backup_time(folder) == datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


async def test_the_backup_command_says_it_failed_in_one_line(settings, storage, posyandu_ids, disk_full, capsys):
    await storage.close()
    assert await backup_command(argparse.Namespace(directory=None), settings) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "the disk is full" in err and "nothing was written" in err
    assert list(settings.backup_dir.iterdir()) == []


def can_mount_a_small_disk() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", "mount -t tmpfs -o size=16k tmpfs /mnt"],
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not can_mount_a_small_disk(), reason="needs a private mount namespace (unshare -m) for a full disk")
async def test_a_backup_onto_a_really_full_disk(tmp_path, clock):
    """`bot.py backup` onto a 16 KiB tmpfs (mounted in a mount namespace of its own, gone with it)."""
    database = tmp_path / "lapordesa.sqlite3"
    store = await Storage.open(database, clock)
    try:
        await seed(store)
    finally:
        await store.close()
    small = tmp_path / "small"
    small.mkdir()
    script = 'mount -t tmpfs -o size=16k tmpfs "$1" && "$2" "$3" backup "$1"; status=$?; ls -A "$1" >&2; exit $status'
    result = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", small, sys.executable, BOT],
        env=clean_env({"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_PATH": database}),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    [line] = result.stderr.splitlines()  # the one line, and `ls` found nothing left in the folder
    assert "the disk is full" in line and "Traceback" not in result.stderr
    assert result.stdout == ""
