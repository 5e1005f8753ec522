import threading
import time

import pytest

import storage.crypto
from devtools.localbotapi import LocalBotApi
from storage import Storage
from tests.support.harness import make_settings, new_clock, running_bot, seed

# scrypt's cost for the databases the tests make (N = 2**10, 1 MiB: about a millisecond), not the
# product's (storage.crypto.DEFAULT_COST, about a third of a second); a database keeps its own.
storage.crypto.DEFAULT_COST = (10, 8, 1)


@pytest.fixture
def clock():
    return new_clock()


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path)


@pytest.fixture
async def storage(settings, clock):
    store = await Storage.open(settings.database_path, clock)
    yield store
    await store.close()


@pytest.fixture
async def posyandu_ids(storage):
    return await seed(storage)


@pytest.fixture
def server():
    with LocalBotApi() as api:
        yield api
    assert api.violations == [], f"the bot sent invalid Bot API requests: {api.violations}"


@pytest.fixture
async def bot(server, tmp_path, storage, clock, posyandu_ids):
    settings = make_settings(tmp_path, server)
    async with running_bot(server, settings, storage, clock) as application:
        yield application


@pytest.fixture(autouse=True)
def no_leaked_database_threads():
    """An unclosed aiosqlite connection keeps a non-daemon thread alive, and the test run then
    never exits: every test must close what it opens."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2
    while leaked := _database_threads() - before:
        if time.monotonic() > deadline:
            pytest.fail(f"unclosed database connection(s) left running: {sorted(t.name for t in leaked)}")
        time.sleep(0.01)


def _database_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.is_alive() and "_connection_worker_thread" in t.name}
