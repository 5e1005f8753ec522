"""End-to-end: `python bot.py run` as a real subprocess, against the Bot API double running in
this process (a thread). The database is a fresh file per test, seeded with the admin CLI exactly
as an operator would (villages import, posyandu add, invite) before the bot starts.

Waits use the double's helpers (a chat's messages, the server's request log); the only sleeps
are tiny polling steps.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from devtools.localbotapi import LocalBotApi
from tests.support.process import REPO, BotProcess, bot_env, run_cli

TOKEN = "7012345678:AAHe2eTestTokenThatMustNeverBeLogged-x9"
TEST_FORMS = REPO / "tests" / "support" / "forms"
VILLAGE = "32.04.12.2001"
VILLAGES_CSV = """code,name,district,regency,province,timezone
32.04.12.2001,Sukamaju,Cileunyi,Kabupaten Bandung,Jawa Barat,Asia/Jakarta
32.04.12.2002,Cibiru Wetan,Cileunyi,Kabupaten Bandung,Jawa Barat,
"""


# -- the world: Bot API double, seeded database, the bot process -------------------------------
@pytest.fixture
def allowed_violations() -> list:
    """Predicates for violations a test expects (e.g. Telegram's 400 for answering a button press
    that was delivered twice); any other violation fails the test."""
    return []


@pytest.fixture
def server(allowed_violations):
    """The Bot API double, in a thread of the test process; stopped after the bot (which
    depends on it). The bot must not have made a request Telegram would refuse."""
    with LocalBotApi() as api:
        yield api
    unexpected = [v for v in api.violations if not any(allowed(v) for allowed in allowed_violations)]
    assert unexpected == [], f"the bot sent invalid Bot API requests: {unexpected}"


@dataclass
class World:
    """A seeded database and the settings every process (CLI or bot) gets."""

    tmp: Path
    server: LocalBotApi
    database: Path
    posyandu_id: int
    codes: list[str] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)

    def env(self, **overrides) -> dict[str, str]:
        """The settings, with ``overrides`` by name; None leaves a setting unset (its default)."""
        merged = {**self.settings, **{k.upper(): v for k, v in overrides.items()}}
        return bot_env(self.server, self.database, TOKEN, **{k: v for k, v in merged.items() if v is not None})

    def cli(self, *args, check: bool = True):
        return run_cli(args, self.env(), cwd=self.tmp, check=check)

    def query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        """Read the bot's database the way an auditor would: read-only, never holding a lock."""
        conn = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=5)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def scalar(self, sql: str, params: tuple = ()):
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def report_values(self, form_id: str = "uji_bulanan") -> dict:
        """Question id -> value of the latest revision of this posyandu's (only) report."""
        rows = self.query(
            "SELECT v.question_id, v.value FROM report_values v JOIN report_revisions r ON r.id = v.revision_id "
            "JOIN reports p ON p.id = r.report_id WHERE p.form_id = ? AND p.posyandu_id = ? "
            "AND r.revision = p.latest_revision",
            (form_id, self.posyandu_id),
        )
        return {r["question_id"]: None if r["value"] is None else json.loads(r["value"]) for r in rows}

    def draft_answers(self, telegram_id: int) -> dict:
        rows = self.query(
            "SELECT a.question_id, a.value FROM draft_answers a JOIN drafts d ON d.id = a.draft_id "
            "WHERE d.telegram_id = ?",
            (telegram_id,),
        )
        return {r["question_id"]: None if r["value"] is None else json.loads(r["value"]) for r in rows}


@pytest.fixture
def world(tmp_path, server) -> World:
    """Villages, posyandu Mawar (and Melati) in Sukamaju, five kader codes for Mawar: all by CLI."""
    database = tmp_path / "data" / "lapordesa.sqlite3"
    w = World(
        tmp=tmp_path,
        server=server,
        database=database,
        posyandu_id=0,
        settings={"FORMS_DIR": str(TEST_FORMS), "ADMIN_TELEGRAM_IDS": "9000", "QUIET_HOURS": "off"},
    )  # real clock: the reminder step works at any hour
    (tmp_path / "villages.csv").write_text(VILLAGES_CSV, encoding="utf-8")
    w.cli("villages", "import", tmp_path / "villages.csv")
    w.posyandu_id = int(w.cli("posyandu", "add", "--village", VILLAGE, "--name", "Mawar").stdout.strip())
    w.cli("posyandu", "add", "--village", VILLAGE, "--name", "Melati")
    w.codes = w.cli(
        "invite", "--role", "kader", "--village", VILLAGE, "--posyandu", w.posyandu_id, "--count", 5
    ).stdout.split()
    assert len(w.codes) == 5
    return w


def cut_off_by_kill(violation) -> bool:
    """A request whose body never arrived because the bot was SIGKILLed between sending the
    headers and the body. Telegram drops such a request; the double (reading Content-Length
    bytes from a closed connection) validates an empty body and records a violation."""
    return violation.params == {}


@pytest.fixture
def make_bot(world, allowed_violations):
    """``make_bot(**settings)`` -> a started BotProcess on the world's database. Every process
    is stopped in the finaliser (SIGTERM, exit 0 asserted) if the test left it running."""
    bots: list[BotProcess] = []

    def make(start: bool = True, **settings) -> BotProcess:
        bot = BotProcess(world.env(**settings), cwd=world.tmp, log_path=world.tmp / f"bot{len(bots)}.log")
        bots.append(bot)
        return bot.start(world.server) if start else bot

    yield make
    if any(code == -signal.SIGKILL for bot in bots for code in bot.exit_codes):
        allowed_violations.append(cut_off_by_kill)
    problems = []
    for bot in bots:
        try:
            bot.close()
        except AssertionError as problem:
            problems.append(str(problem))
    assert not problems, "\n".join(problems)


@pytest.fixture
def bot(make_bot) -> BotProcess:
    return make_bot()


# -- chatting ---------------------------------------------------------------------------------
def is_new(message) -> bool:
    """A newly sent message (the bot also edits old ones, e.g. to remove their buttons)."""
    return "edit_date" not in message.data


def said(person, substring: str, timeout: float = 10.0):
    """The next new bot message containing ``substring`` (edits of old messages do not count)."""
    return person.wait_for(lambda m: substring in m.content and is_new(m), timeout)


def next_message(person, timeout: float = 10.0):
    """The very next new bot message, whatever it says."""
    return person.wait_for(is_new, timeout)


def answer(person, text: str, expect: str, timeout: float = 10.0):
    person.send(text)
    return said(person, expect, timeout)


def register(person, code: str) -> None:
    """/start, then the invitation code typed as a separate message."""
    person.send("/start")
    said(person, "kode undangan")
    person.send(code)
    said(person, "terdaftar")


def open_report(person, first_question: str = "balita sasaran", timeout: float = 10.0):
    """/lapor; when two months are open (early in a month) the newer one is chosen."""
    person.send("/lapor")
    message = person.wait_for(
        lambda m: (
            is_new(m) and (first_question in m.content or "Untuk bulan apa" in m.content or "Laporan apa" in m.content)
        ),
        timeout,
    )
    if "Laporan apa" in message.content:
        return message
    if "Untuk bulan apa" in message.content:
        person.press(-1, message)  # periods are listed oldest first
        message = said(person, first_question, timeout)
    return message


def jakarta_today():
    return datetime.now(ZoneInfo("Asia/Jakarta")).date()


def activity_date() -> tuple[str, str]:
    """A date for the 'tanggal' question that is never in the future: (typed, stored ISO)."""
    day = jakarta_today().replace(day=1)
    return day.strftime("%d-%m-%Y"), day.isoformat()


def settled(world) -> None:
    """Until the bot has finished every update it acted on (its replies sent, not only its
    changes committed): a kill after this point is a kill between two updates."""
    wait_until(
        lambda: world.scalar("SELECT COUNT(*) FROM handled_updates WHERE replied = 0") == 0,
        what="the bot to finish handling what it took",
    )


def wait_until(condition, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.005)


def polled_past(server, update_id: int) -> bool:
    """The bot confirmed ``update_id``: it asked for updates with a higher offset."""
    return any(p.get("offset", 0) > update_id for p in server.calls("getUpdates"))


def transcript(person, last: int = 12) -> str:
    """The chat's last bot messages, for failure messages."""
    return "\n".join(f"  [{m.message_id}] {m.content[:90]!r}" for m in person.messages[-last:])
