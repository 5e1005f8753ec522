"""PTB's conversation states on SQLite: what a flush changes is written in one transaction."""
import asyncio

from storage.db import Database
from storage.persistence import SqlitePersistence


async def test_a_flush_of_many_conversations_is_one_transaction_and_reads_back(tmp_path, monkeypatch):
    db = await Database.open(tmp_path / "db.sqlite3")
    persistence = SqlitePersistence(db)
    transactions = 0
    real = db.transaction

    def counting(*args, **kwargs):
        nonlocal transactions
        transactions += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(db, "transaction", counting)
    await asyncio.gather(*(persistence.update_conversation("forms", (n, n), "ANSWERING") for n in range(200)))
    assert transactions == 1
    await asyncio.gather(persistence.update_conversation("forms", (0, 0), None),        # ended
                         persistence.update_conversation("forms", (1, 1), "CHOOSING"),
                         persistence.update_conversation("export", (7, 7), "AREA"))
    assert transactions == 2

    states = await SqlitePersistence(db).get_conversations("forms")
    assert len(states) == 199 and (0, 0) not in states
    assert states[(1, 1)] == "CHOOSING" and states[(2, 2)] == "ANSWERING"
    assert await persistence.get_conversations("export") == {(7, 7): "AREA"}
    await db.close()


async def test_a_state_changed_while_a_write_is_under_way_is_written_next(tmp_path):
    db = await Database.open(tmp_path / "db.sqlite3")
    persistence = SqlitePersistence(db)
    first = asyncio.ensure_future(persistence.update_conversation("forms", (1, 1), "A"))
    await asyncio.sleep(0.01)   # the first write is on its way
    await asyncio.gather(first, persistence.update_conversation("forms", (1, 1), "B"))
    assert await persistence.get_conversations("forms") == {(1, 1): "B"}
    await db.close()
