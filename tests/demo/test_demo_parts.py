"""The demo's pure parts: the terminal's commands and rendering, and the made-up history."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from devtools.demo import terminal
from devtools.demo.history import plausible_answers
from devtools.demo.world import build_world
from domain import formflow
from domain.clock import FixedClock
from domain.forms import load_forms
from domain.periods import Period
from runtime.settings import REPO_DIR
from storage import Storage
from storage.users import Outcome

FORMS = load_forms(REPO_DIR / "forms")


@pytest.mark.parametrize(
    "line, command",
    [
        ("/lapor", terminal.Send("/lapor")),
        ("  52 anak ", terminal.Send("52 anak")),
        ("", None),
        ("   ", None),
        (":1", terminal.Press(1)),
        (": 12", terminal.Press(12)),
        (":q", terminal.Quit()),
        (":quit", terminal.Quit()),
        (":as bidan", terminal.SwitchTo("bidan")),
        (":as  Koordinator", terminal.SwitchTo("koordinator")),
        (":help", terminal.Help()),
        (":who", terminal.People()),
        (":as", terminal.Unknown(":as")),
        (":xyz", terminal.Unknown(":xyz")),
    ],
)
def test_parse(line, command):
    assert terminal.parse(line) == command


def test_buttons_are_numbered_in_reading_order_one_row_per_line():
    lines = terminal.message_lines("Ada kelas ibu?\nBulan ini", [["Ya", "Tidak"], ["⬅️ Kembali"]])
    assert lines == ["bot> Ada kelas ibu?", "     Bulan ini", "     [1] Ya   [2] Tidak", "     [3] ⬅️ Kembali"]
    assert terminal.message_lines("Baru", edited=True) == ["bot (edited)> Baru"]


def test_choose_person_by_role_alias_name_or_unique_prefix():
    people = [("kader", "cadre", "siti"), ("bidan", "midwife", "ani"), ("koordinator", "coordinator", "budi")]
    assert [terminal.choose_person(w, people) for w in ("bidan", "siti", "coordinator", "ko", "b", "x")] == [
        1,
        0,
        2,
        2,
        None,
        None,
    ]


@pytest.mark.parametrize("form_id", sorted(f.id for f in FORMS.values() if f.kind == "report"))
def test_history_answers_are_complete_and_break_no_hard_rule(form_id):
    form, rng = FORMS[form_id], random.Random(3)
    prev = None
    for period in (Period(2026, m) for m in range(1, 13)):
        answers = plausible_answers(form, period, rng, prev)
        context = formflow.Context(prev=prev or {}, month=period.month)
        assert formflow.is_complete(form, answers, context)
        assert formflow.all_broken_rules(form, answers, "hard", context) == []
        prev = answers


@pytest.mark.parametrize("day", [1, 2, 15, 28])
async def test_the_guests_invitation_code_works_on_the_day_the_demo_is_built(tmp_path, day):
    """It used to be made on the back-dated clock of the history, so it had always expired."""
    now = datetime(2026, 12, day, 3, 0, tzinfo=UTC)
    world = await build_world(tmp_path / "demo.sqlite3", load_forms(REPO_DIR / "forms"), now)
    storage = await Storage.open(world.database, FixedClock(now + timedelta(hours=1)))
    try:
        result = await storage.users.register(999_123, "Tamu", world.invitation)
    finally:
        await storage.close()
    assert result.outcome is Outcome.REGISTERED
