"""`python bot.py run` on a damaged database refuses to start, points to `restore`, exits != 0."""

import pytest

from storage import Storage
from tests.support.harness import TOKEN, seed
from tests.support.households import KEY
from tests.support.process import run_cli


async def damaged_database(path, clock):
    store = await Storage.open(path, clock)
    try:
        await seed(store)
    finally:
        await store.close()  # the last connection to close folds the WAL into the file
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 4 * page
    data[2 * page : 4 * page] = b"\xa5" * (2 * page)  # pages 3 and 4: tables' contents, not the header
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["pages", "not_sqlite"])
async def test_run_refuses_a_damaged_database_and_points_to_restore(tmp_path, clock, damage):
    database = tmp_path / "lapordesa.sqlite3"
    if damage == "pages":
        await damaged_database(database, clock)
    else:
        database.write_bytes(b"this is not a database " * 500)
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "DATABASE_PATH": database,
        "DATA_KEY": KEY,  # the shipped forms have sensitive questions
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",
    }  # never reached
    result = run_cli(["run"], env, cwd=tmp_path, check=False, timeout=30)
    assert result.returncode != 0
    assert "database cannot be used" in result.stderr and "python bot.py restore" in result.stderr
    assert TOKEN not in result.stderr + result.stdout
