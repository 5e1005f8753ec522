"""The demo's pure parts: the terminal's commands and rendering, and the made-up history."""

from __future__ import annotations

import random

import pytest

from devtools.demo import terminal
from devtools.demo.history import plausible_answers
from domain import formflow
from domain.forms import load_forms
from domain.periods import Period
from runtime.settings import REPO_DIR

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
