"""A zero-length database file is what is left of a database (a failed copy, a truncation), not a
fresh install: the bot refuses it with one clear line (exit 2) and leaves it as it is. A new
database is made only where no file exists."""

import pytest

from storage import DatabaseError, Storage
from storage.crypto import new_key
from tests.support.harness import TOKEN
from tests.support.process import run_cli


async def test_storage_refuses_an_empty_file_and_leaves_it_alone(tmp_path, clock):
    database = tmp_path / "lapordesa.sqlite3"
    database.write_bytes(b"")
    with pytest.raises(DatabaseError, match="empty"):
        await Storage.open(database, clock)
    assert database.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lapordesa.sqlite3"]  # no -wal, no -shm


async def test_a_new_database_is_made_where_no_file_exists(tmp_path, clock):
    database = tmp_path / "new" / "lapordesa.sqlite3"
    store = await Storage.open(database, clock)
    try:
        assert await store.db.schema_version() > 0
    finally:
        await store.close()
    assert database.stat().st_size > 0
    assert sorted(p.name for p in database.parent.iterdir()) == ["lapordesa.sqlite3"]  # no temporary left


@pytest.mark.parametrize("command", [["run"], ["villages", "list"]])
def test_the_bot_refuses_to_start_on_an_empty_file(tmp_path, command):
    database = tmp_path / "data" / "lapordesa.sqlite3"
    database.parent.mkdir()
    database.write_bytes(b"")
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "DATABASE_PATH": database,
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",
        "DATA_KEY": new_key(),
    }  # the shipped KIA form needs one to run
    result = run_cli(command, env, cwd=tmp_path, check=False, timeout=30)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "empty file (0 bytes)" in lines[0] and "restore" in lines[0]
    assert database.read_bytes() == b""
