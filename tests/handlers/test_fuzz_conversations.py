"""A seeded random walk through the conversations: three people in two villages send answers,
junk, commands, stickers and edits, and press real, old and forged buttons. After every step:
no exception reached the error handler (no ERROR log line, no "something went wrong"), every
answer the bot accepted is in the draft (or in the submitted revision), and at the end no
person was ever shown another village's posyandu or village."""

from __future__ import annotations

import logging
import random
from datetime import date

import pytest

from domain.answers import AnswerError, parse_answer
from domain.models import ScopeEntry
from domain.roles import Role
from tests.handlers.test_bad_input import INTERNAL_ERROR, probe
from tests.handlers.test_report_conversation import said

SUKAMAJU, CIBIRU = "32.04.12.2001", "32.04.12.2002"
STEPS = 300
TODAY = date(2026, 11, 23)
ANSWERS = [
    "0",
    "3",
    "12",
    "40",
    "50",
    "12,5",
    "7 kg",
    "Ya",
    "tidak",
    "1",
    "2",
    "1, 3",
    "17-11-2026",
    "hari ini",
    "catatan singkat",
    "lima",
    "-4",
    "99999",
    "32-13-2026",
    "<b>x</b>",
    "",
    "👍",
]
COMMANDS = ["/lapor", "/lapor", "/kembali", "/lewati", "/batal", "/bantuan", "/start", "/bahasa", "/ekspor"]
FOREIGN = {
    SUKAMAJU: ("Anggrek", "Cibiru Wetan", "Kenanga", "Cempaka"),
    CIBIRU: ("Mawar", "Melati", "Sukamaju", "Kenanga", "Cempaka"),
}


async def person(server, storage, user_id, role, village, posyandu_id=None):
    [code] = await storage.users.create_invitations(role, [ScopeEntry(area_code=village, posyandu_id=posyandu_id)])
    someone = server.user(user_id, f"Orang {user_id}")
    someone.send(f"/start {code}")
    await said(someone, "terdaftar")
    return someone


def sensible(rng: random.Random, someone, form, session) -> str | None:
    """What a careful person would do next: a right answer, the right button, or "Kirim"."""
    last = someone.last
    buttons = bool(last and last.buttons)
    question = form.question(session.cursor) if session and session.mode == "ask" and session.cursor else None
    if question is not None and question.type.value in ("count", "measure", "date", "text"):
        text = {"count": str(rng.randrange(0, 40)), "measure": "12,5", "date": "17-11-2026", "text": "baik"}[
            question.type.value
        ]
        someone.send(text)
        return text
    if session is None or not buttons:
        someone.send("/lapor")
    elif question is not None and question.type.value == "multichoice":
        someone.press(rng.choice([0, 1, 2, len(last.buttons) - 1]), last)
    elif question is not None:  # yes/no, choice: one of the first two buttons
        someone.press(rng.randrange(2), last)
    elif session.mode == "ask" and session.cursor is None and last.find_button("Kirim"):
        someone.press("Kirim", last)
    else:  # choosing, or a soft rule to confirm
        someone.press(0, last)
    return None


def act(rng: random.Random, someone, nonce: int) -> str | None:
    """One random action; returns the text sent when it was a plain text (a possible answer)."""
    roll = rng.random()
    if roll < 0.40:
        text = rng.choice(ANSWERS)
        if text:
            someone.send(text)
            return text
    if roll < 0.55:
        someone.send(rng.choice(COMMANDS))
    elif roll < 0.80:
        with_buttons = [m for m in someone.messages[-4:] if m.buttons]
        if with_buttons:
            message = rng.choice(with_buttons)
            someone.press(rng.randrange(len(message.buttons)), message)
        else:
            someone.send("/lapor")
    elif roll < 0.88:
        someone.press_data(
            rng.choice(
                [
                    f"f:{nonce}:o:{rng.randrange(-1, 9)}",
                    f"f:{nonce}:e:{rng.randrange(12)}",
                    f"l:{nonce}:y:{rng.randrange(1, 9)}",
                    f"f:{nonce}:k:",
                    "x:1:a:*",
                ]
            )
        )
    elif roll < 0.94:
        rng.choice([someone.send_sticker, someone.send_photo, someone.send_voice])()
    else:
        own = [m for m in someone.sent if m.text and m.chat_id == someone.id]
        someone.edit(own[-1].message_id, "40")
    return None


@pytest.mark.parametrize("seed", [2026])
async def test_random_walk_keeps_the_invariants(uji, server, storage, posyandu_ids, caplog, seed):
    people = {
        1001: (await person(server, storage, 1001, Role.KADER, SUKAMAJU, posyandu_ids["Mawar"]), SUKAMAJU),
        1002: (await person(server, storage, 1002, Role.KADER, CIBIRU, posyandu_ids["Anggrek"]), CIBIRU),
        1003: (await person(server, storage, 1003, Role.BIDAN, SUKAMAJU), SUKAMAJU),
    }
    form = uji.bot_data["services"].forms["uji_bulanan"]
    reports = storage.reports
    rng = random.Random(seed)
    submitted = checked = 0
    for step in range(STEPS):
        user_id = rng.choice(sorted(people))
        someone, _ = people[user_id]
        before = await reports.session(user_id)
        before_draft = await reports.draft(before.draft_id) if before and before.draft_id else None
        revisions = await storage.db.fetchval("SELECT COUNT(*) FROM report_revisions")
        with caplog.at_level(logging.WARNING):
            if rng.random() < 0.6:
                text = sensible(rng, someone, form, before)
            else:
                text = act(rng, someone, before.nonce if before else 0)
            await probe(server, someone)
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert errors == [], f"step {step}: {errors}"
        after = await reports.session(user_id)
        # An answer the bot took (it moved on from the question) is in the draft.
        if (
            text
            and before
            and before.mode == "ask"
            and before.cursor
            and after
            and after.draft_id == before.draft_id
            and after.cursor != before.cursor
        ):
            question = form.question(before.cursor)
            try:
                expected = parse_answer(question, text, TODAY)
            except AnswerError:
                expected = None
            if expected is not None:
                checked += 1
                draft = await reports.draft(after.draft_id)
                assert draft.answers.get(question.id) == expected, f"step {step}: {text!r} for {question.id} lost"
        # A submission stores the draft's answers.
        if await storage.db.fetchval("SELECT COUNT(*) FROM report_revisions") > revisions:
            submitted += 1
            latest = await reports.latest(before_draft.form_id, before_draft.posyandu_id, before_draft.period)
            assert {k: v for k, v in latest.items() if v is not None} == {
                k: v for k, v in before_draft.answers.items() if v is not None and k in latest
            }
    assert checked >= 10 and submitted >= 5  # the walk got somewhere
    for user_id, (someone, village) in people.items():
        shown = "\n".join(m.content + " " + " ".join(m.button_texts) for m in someone.messages)
        assert INTERNAL_ERROR not in shown
        leaked = [name for name in FOREIGN[village] if name in shown]
        assert leaked == [], f"{user_id} was shown {leaked}"
