"""python bot.py remind --now [--village CODE]: a round from the command line."""

import asyncio
import os
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
def env(tmp_path, monkeypatch, api):
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "ADMIN_", "DATABASE_", "FORMS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.base_url)
    monkeypatch.setenv("TELEGRAM_API_FILE_URL", api.base_file_url)
    monkeypatch.setattr(reminder_commands, "SystemClock", lambda: FixedClock(DECEMBER_2))
    asyncio.run(_people(tmp_path / "db.sqlite3"))
    for uid in (1001, 1003):
        api.user(uid, "Kader")
    return tmp_path


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
    assert capsys.readouterr().out.strip() == "sent 1, skipped 0, failed 0"
    assert main(["remind", "--now"]) == 0
    assert capsys.readouterr().out.strip() == "sent 1, skipped 0, failed 0"  # only the one not sent yet
    assert main(["remind", "--now"]) == 0
    assert capsys.readouterr().out.strip() == "sent 0, skipped 0, failed 0"
    assert [len([m for m in api.user(uid).messages if "Pengingat laporan" in m.text]) for uid in (1001, 1003)] == [1, 1]
    # The shipped forms: the kader of Mawar is reminded of every kader form in one message.
    assert "Laporan Bulanan Posyandu" in api.user(1001).messages[0].text


def test_remind_reports_a_blocked_person_as_failed(env, api, capsys):
    api.block(1001)
    assert main(["remind", "--now"]) == 0
    assert capsys.readouterr().out.strip() == "sent 1, skipped 0, failed 1"
    assert main(["remind", "--now"]) == 0
    assert capsys.readouterr().out.strip() == "sent 0, skipped 0, failed 0"  # failed for good: not tried again


def test_remind_needs_now_and_a_known_village(env, capsys):
    with pytest.raises(SystemExit):
        main(["remind"])
    assert main(["remind", "--now", "--village", "99.99.99.2999"]) == 1
    assert "not known" in capsys.readouterr().err
