"""Faults around the bot: another process holding the database's write lock, a full disk,
Telegram answering 5xx or timing out. Each is retried where that helps, logged in one clear
line, told to the person whose action failed, and the bot keeps running."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from contextlib import asynccontextmanager

import pytest
from telegram.error import BadRequest, NetworkError, TimedOut

import handlers.limits
import storage.db as db_module
from domain.models import ScopeEntry
from domain.roles import Role
from handlers.limits import TelegramLimiter
from storage import DatabaseFull
from tests.handlers.test_report_conversation import answer, said
from tests.support.harness import settled

VILLAGE = "32.04.12.2001"


async def kader_at_first_question(server, storage, posyandu_ids):
    [code] = await storage.users.create_invitations(
        Role.KADER, [ScopeEntry(area_code=VILLAGE, posyandu_id=posyandu_ids["Mawar"])]
    )
    siti = server.user(1001, "Siti")
    siti.send(f"/start {code}")
    await said(siti, "terdaftar")
    siti.send("/lapor")
    await said(siti, "balita sasaran")
    await settled(storage)
    return siti


@pytest.fixture
async def short_lock_waits(storage, monkeypatch):
    """Lock waits of milliseconds instead of seconds, so a test needs no long sleeps."""
    monkeypatch.setattr(db_module, "_LOCK_RETRIES", (0.02,) * 10)
    await storage.db._writer.execute("PRAGMA busy_timeout = 10")


@pytest.fixture
def other_writer(settings):
    """Another process's connection to the same database file (a second bot, a CLI command)."""
    conn = sqlite3.connect(settings.database_path, isolation_level=None, timeout=0)
    yield conn
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    conn.close()


async def until(condition, timeout=10.0):
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


async def test_a_lock_held_briefly_is_waited_out_and_logged(
    uji, server, storage, posyandu_ids, short_lock_waits, other_writer, caplog
):
    siti = await kader_at_first_question(server, storage, posyandu_ids)
    other_writer.execute("BEGIN IMMEDIATE")
    with caplog.at_level(logging.WARNING, logger="storage.db"):
        siti.send("50")
        await until(lambda: any("locked by another writer" in r.getMessage() for r in caplog.records))
        other_writer.execute("ROLLBACK")
        await said(siti, "ditimbang")
    assert (await storage.reports.drafts_of(1001))[0].answers == {"sasaran": 50}


async def test_a_lock_held_too_long_tells_the_person_and_the_bot_goes_on(
    uji, server, storage, posyandu_ids, short_lock_waits, other_writer, caplog
):
    siti = await kader_at_first_question(server, storage, posyandu_ids)
    other_writer.execute("BEGIN IMMEDIATE")
    with caplog.at_level(logging.WARNING):
        siti.send("50")
        await said(siti, "sistem sedang sibuk")
    other_writer.execute("ROLLBACK")
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("database locked by another process" in line for line in lines), lines
    assert (await storage.reports.drafts_of(1001))[0].answers == {}  # nothing half-saved
    await answer(siti, "50", "ditimbang")  # sent again: saved
    assert (await storage.reports.drafts_of(1001))[0].answers == {"sasaran": 50}


async def test_a_full_disk_tells_the_person_and_the_bot_goes_on(
    uji, server, storage, posyandu_ids, monkeypatch, caplog
):
    siti = await kader_at_first_question(server, storage, posyandu_ids)
    real = storage.db.transaction

    @asynccontextmanager
    async def full():  # what storage raises for SQLite's SQLITE_FULL (tests/storage/test_faults.py)
        raise DatabaseFull("database or disk is full")
        yield  # pragma: no cover

    monkeypatch.setattr(storage.db, "transaction", full)
    with caplog.at_level(logging.WARNING):
        siti.send("50")
        await said(siti, "penyimpanan server penuh")
        await answer(siti, "/bantuan", "/lapor")  # still answering what needs no writing
    assert any("database or disk is full" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    monkeypatch.setattr(storage.db, "transaction", real)  # space freed
    await answer(siti, "50", "ditimbang")
    assert (await storage.reports.drafts_of(1001))[0].answers == {"sasaran": 50}


@pytest.fixture
def quick_backoff(monkeypatch):
    monkeypatch.setattr(handlers.limits, "BACKOFF", (0.01, 0.02, 0.03))


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_telegram_5xx_is_retried(uji, server, storage, posyandu_ids, quick_backoff, caplog, status):
    siti = await kader_at_first_question(server, storage, posyandu_ids)
    server.fail_next("sendMessage", status, times=2)
    with caplog.at_level(logging.WARNING, logger="handlers.limits"):
        await answer(siti, "50", "ditimbang")
    assert sum("retrying" in r.getMessage() for r in caplog.records) == 2


async def test_telegram_failing_beyond_the_retries_is_logged_and_the_bot_goes_on(
    uji, server, storage, posyandu_ids, quick_backoff, caplog
):
    siti = await kader_at_first_question(server, storage, posyandu_ids)
    server.fail_next("sendMessage", 502, times=4)
    with caplog.at_level(logging.WARNING):
        siti.send("50")
        await until(lambda: any("Telegram unreachable" in r.getMessage() for r in caplog.records))
    assert (await storage.reports.drafts_of(1001))[0].answers == {"sasaran": 50}  # saved before the reply
    await answer(siti, "/bantuan", "/lapor")  # the next question is asked again on the next message


async def test_timeouts_are_retried_but_refusals_are_not(quick_backoff):
    limiter = TelegramLimiter(max_retries=0)
    await limiter.initialize()
    calls = []

    async def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) < 3:
            raise TimedOut()
        return True

    assert await limiter.process_request(flaky, (), {}, "sendMessage", {"chat_id": 1}, None) is True
    assert len(calls) == 3

    async def refused(*args, **kwargs):
        calls.append(1)
        raise BadRequest("Message is too long")

    calls.clear()
    with pytest.raises(BadRequest):
        await limiter.process_request(refused, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert len(calls) == 1

    async def down(*args, **kwargs):
        calls.append(1)
        raise NetworkError("Bad Gateway")

    calls.clear()
    with pytest.raises(NetworkError):
        await limiter.process_request(down, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert len(calls) == 4
    await limiter.shutdown()
