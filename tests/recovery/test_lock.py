"""One bot per database: the lock `run` and `restore` hold (flock on DATABASE.lock)."""

import os
import sqlite3
import stat

import pytest

from storage.db import available_migrations
from storage.lock import DatabaseInUse, exclusive, lock_path
from tests.support.harness import TOKEN
from tests.support.process import run_cli


def test_the_lock_is_exclusive_names_its_holder_and_is_released(tmp_path):
    database = tmp_path / "data" / "lapordesa.sqlite3"
    with exclusive(database):
        with pytest.raises(DatabaseInUse) as refused, exclusive(database):
            pass
        assert refused.value.pid == os.getpid()
        assert stat.S_IMODE(lock_path(database).stat().st_mode) == 0o600
    with exclusive(database):  # released: taken again at once
        pass
    assert not database.exists()  # the lock never creates the database


@pytest.mark.parametrize("command", [["run"], ["restore", "backup.sqlite3", "--yes"]])
def test_run_and_restore_stop_at_once_while_the_database_is_held(tmp_path, command):
    database = tmp_path / "lapordesa.sqlite3"
    database.write_bytes(b"held by another process")
    if command[0] == "restore":
        backup = tmp_path / "backup.sqlite3"  # a real, current (if empty) Lapor Desa database
        conn = sqlite3.connect(backup)
        for number, path in sorted(available_migrations().items()):
            conn.executescript(path.read_text() + f"\nPRAGMA user_version = {number};")
        conn.close()
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_PATH": database, "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot"}
    with exclusive(database):
        result = run_cli(command, env, cwd=tmp_path, check=False, timeout=30)
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "in use by a running bot" in last and str(os.getpid()) in last and "Traceback" not in result.stderr
    assert database.read_bytes() == b"held by another process"
