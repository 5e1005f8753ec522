"""python bot.py remind --now [--village CODE]: a round from the command line."""

import asyncio
import os
import time
from datetime import UTC, datetime

import pytest

from app.cli import main
from devtools.localbotapi import LocalBotApi
from domain.clock import FixedClock
from domain.models import ScopeEntry
from domain.roles import Role
from features.reminders import cli as reminder_commands
from storage import Storage
from tests.support.harness import TOKEN, seed

DECEMBER_2 = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # D-3 for November, 10:00 WIB


@pytest.fixture
def api():
    with LocalBotApi() as server:
        yield server
    assert server.violations == []


@pytest.fixture
def env(tmp_path, monkeypatch, api, clock):
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "ADMIN_", "DATABASE_", "FORMS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.base_url)
    monkeypatch.setenv("TELEGRAM_API_FILE_URL", api.base_file_url)
    monkeypatch.setattr(reminder_commands, "SystemClock", lambda: clock)
    asyncio.run(_people(tmp_path / "db.sqlite3"))
    for uid in (1001, 1003):
        api.user(uid, "Kader")
    return tmp_path


@pytest.fixture
def clock():
    return FixedClock(DECEMBER_2)  # every command of a test reads this clock


async def _people(path):
    storage = await Storage.open(path, FixedClock(DECEMBER_2))
    try:
        ids = await seed(storage)
        for uid, village, posyandu in [(1001, "32.04.12.2001", ids["Mawar"]), (1003, "53.71.01.1001", ids["Kenanga"])]:
            [code] = await storage.users.create_invitations(
                Role.KADER, [ScopeEntry(area_code=village, posyandu_id=posyandu)]
            )
            await storage.users.register(uid, "Kader", code)
    finally:
        await storage.close()


def test_remind_now_sends_once_and_prints_the_counts(env, api, capsys):
    assert main(["remind", "--now", "--village", "53.71.01.1001"]) == 0
    assert capsys.readouterr().out.strip() == "sent 1, skipped 0, failed 0, unknown 0"
    assert main(["remind", "--now"]) == 0
    assert capsys.readouterr().out.strip() == "sent 1, skipped 0, failed 0, unknown 0"  # only the one not sent yet
    assert main(["remind", "--now"]) == 0
    assert capsys.readouterr().out.strip() == "sent 0, skipped 0, failed 0, unknown 0"
    assert [len([m for m in api.user(uid).messages if "Pengingat laporan" in m.text]) for uid in (1001, 1003)] == [1, 1]
    # The shipped forms: the kader of Mawar is reminded of every kader form in one message.
    assert "Laporan Bulanan Posyandu" in api.user(1001).messages[0].text


def test_remind_reports_a_blocked_person_as_failed(env, api, capsys):
    api.block(1001)
    assert main(["remind", "--now"]) == 0
    assert capsys.readouterr().out.strip() == "sent 1, skipped 0, failed 1, unknown 0"
    assert main(["remind", "--now"]) == 0
    # failed for good: not tried again
    assert capsys.readouterr().out.strip() == "sent 0, skipped 0, failed 0, unknown 0"


def test_remind_needs_now_and_a_known_village(env, capsys):
    with pytest.raises(SystemExit):
        main(["remind"])
    assert main(["remind", "--now", "--village", "99.99.99.2999"]) == 1
    assert "not known" in capsys.readouterr().err


def test_remind_reports_what_timed_out_as_unknown_and_sends_it_at_most_twice(env, api, capsys, clock, monkeypatch):
    """Telegram answers later than the read timeout (but delivers): before, this printed
    "sent 0, failed 20" and each person got 4 copies, 5 after the next round."""
    people = [1001, 1003, *range(1100, 1118)]
    asyncio.run(_more_people(env / "db.sqlite3", people[2:]))
    for uid in people:
        api.user(uid, "Kader")
    monkeypatch.setattr(reminder_commands, "READ_TIMEOUT", 0.5)
    api.delay("sendMessage", 3.0)
    assert main(["remind", "--now"]) == 0
    line = capsys.readouterr().out.strip()
    sent, skipped, failed, unknown = (int(part.split()[-1]) for part in line.split(";")[0].split(", "))
    assert (sent, failed) == (0, 0) and unknown >= 1 and skipped + unknown == 20, line
    assert "may have arrived" in line and "once more after 60 minutes" in line
    wait_delivered(api)
    api.delay("sendMessage", 0)
    monkeypatch.setattr(reminder_commands, "READ_TIMEOUT", 30.0)  # a busy machine must not time out now
    assert main(["remind", "--now"]) == 0
    assert capsys.readouterr().out.strip() == f"sent {skipped}, skipped 0, failed 0, unknown 0"
    assert copies(api, people) == [1] * 20  # the unknown ones had arrived, and wait
    clock.advance(minutes=61)
    assert main(["remind", "--now"]) == 0  # (a manual round reminds once a day: only the unknown ones)
    assert capsys.readouterr().out.strip() == f"sent {unknown}, skipped 0, failed 0, unknown 0"
    clock.advance(hours=2)
    assert main(["remind", "--now"]) == 0
    assert capsys.readouterr().out.strip() == "sent 0, skipped 0, failed 0, unknown 0"
    assert sorted(copies(api, people)) == [1] * (20 - unknown) + [2] * unknown  # at most one extra copy


async def _more_people(path, uids):
    storage = await Storage.open(path, FixedClock(DECEMBER_2))
    try:
        [anggrek] = await storage.areas.posyandu_in("32.04.12.2002")
        for uid in uids:
            [code] = await storage.users.create_invitations(
                Role.KADER, [ScopeEntry(area_code="32.04.12.2002", posyandu_id=anggrek.id)]
            )
            await storage.users.register(uid, "Kader", code)
    finally:
        await storage.close()


def copies(api, people) -> list[int]:
    return [len([m for m in api.user(uid).messages if "Pengingat laporan" in m.text]) for uid in people]


def wait_delivered(api, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while len(api.sent_messages) < len(api.calls("sendMessage")):
        assert time.monotonic() < deadline, "the double did not carry out every request"
        time.sleep(0.02)
