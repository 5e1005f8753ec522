"""Bad input in every state of every conversation: stickers, photos, voice, documents, places,
contacts, edits, forwards, very long and odd texts, other conversations' commands, old and
forged buttons. Each gets a reply or a gentle re-ask (never the "something went wrong" message,
never an ERROR log line), the conversation's state and stored answers stay as they were, and
the `server` fixture checks every Bot API request was valid (so what people typed is escaped
wherever it is echoed: unescaped HTML would be refused by the double).

One test per state; inside it the inputs are sent one by one, each followed by a probe (a button
press nobody handles, which gets one answerCallbackQuery). Updates are processed in order, so
when the probe is answered the bad input has been fully handled and the database can be read.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import pytest

from domain.answers import normalise_text
from domain.models import ScopeEntry
from domain.roles import Role
from tests.handlers.test_report_conversation import said

VILLAGE = "32.04.12.2001"
NIK = "3204125708900001"
LONG = ("Laporan posyandu bulan ini " * 160)[:4000]
INTERNAL_ERROR = "Maaf, ada gangguan"

# Texts that are never a valid answer to any question of uji.yaml except the free text one.
TEXTS = {
    "long": LONG,
    "emoji": "👍🏽🙏🇮🇩",
    "rtl": "\u202eمرحبا بالعالم שלום",
    "null_bytes": "\x00\x00abc\x00def",
    "sql": "'; DROP TABLE reports; --",
    "html": "<b>tebal</b> &amp; <script>alert(1)</script>",
    "markdown": "*_[`link](http://x)",
    "nik": NIK,
}


def _send_text(text):
    return lambda person, ctx: person.send(text)


def _edit(person, ctx):
    own = [m for m in person.sent if m.chat_id == person.id and m.text]
    return person.edit(own[-1].message_id, "77")


def _old_button(person, ctx):
    """A real button on an older message (one whose nonce is not the current one)."""

    def old(message):
        nonces = {
            b.get("callback_data", "").split(":")[1:2] and b["callback_data"].split(":")[1] for b in message.buttons
        }
        return (
            message.buttons
            and str(ctx.nonce) not in nonces
            and not any(b.get("callback_data", "").startswith("lang:") for b in message.buttons)
        )

    found = next((m for m in reversed(person.messages) if old(m)), None)
    return None if found is None else person.press(0, found)


MESSAGES = {
    "sticker": lambda p, c: p.send_sticker(),
    "photo": lambda p, c: p.send_photo(caption="<b>50</b>"),
    "voice": lambda p, c: p.send_voice(),
    "document": lambda p, c: p.send_document("laporan.xlsx", b"PK\x03\x04 not really", caption="*_["),
    "location": lambda p, c: p.send_location(-6.93, 107.72),
    "contact": lambda p, c: p.send_contact("+6281234567890"),
    "forwarded": lambda p, c: p.forward("<i>dari grup</i> *_[", "Bu Ani"),
    "edited": _edit,
    **{name: _send_text(text) for name, text in TEXTS.items()},
}
PRESSES = {
    "old_button": _old_button,
    "forged_stale_nonce": lambda p, c: p.press_data("f:1:y:"),
    "forged_far_nonce": lambda p, c: p.press_data("f:99999:k:"),
    "forged_choice": lambda p, c: p.press_data("l:0:f:nope"),
    "forged_export": lambda p, c: p.press_data("x:0:a:*"),
    "forged_language": lambda p, c: p.press_data("lang:xx"),
    "forged_garbage": lambda p, c: p.press_data("💥" * 16),
    "forged_colons": lambda p, c: p.press_data("f:::::::"),
    # Data with the current nonce: out-of-range indexes and unknown actions.
    "forged_current_index": lambda p, c: p.press_data(f"f:{c.nonce}:o:99"),
    "forged_current_edit": lambda p, c: p.press_data(f"f:{c.nonce}:e:77"),
    "forged_current_toggle": lambda p, c: p.press_data(f"f:{c.nonce}:t:-1"),
    "forged_current_action": lambda p, c: p.press_data(f"f:{c.nonce}:zz:0"),
    "forged_current_choice": lambda p, c: p.press_data(f"l:{c.nonce}:zz:٣"),
    "forged_current_month": lambda p, c: p.press_data(f"x:{c.nonce}:m:99"),
}
COMMANDS = {  # commands of other conversations, and ones the role may not use
    "other_start": "/start",
    "other_export": "/ekspor",
    "other_report": "/lapor@OtherBot",
    "not_for_role": "/undang kader 32 1",
    "unknown": "/rumahtangga",
}


@dataclass
class Probe:
    nonce: Any = None


# -- fixtures and helpers -----------------------------------------------------------------------
async def register(server, storage, user_id, role, scope):
    [code] = await storage.users.create_invitations(role, scope)
    person = server.user(user_id, "Siti")
    person.send(f"/start {code}")
    await said(person, "terdaftar")
    return person


async def probe(server, person) -> None:
    """A press nobody handles; when it is answered, everything sent before it was handled."""
    with server.state.cond:
        query_id = f"{person.id}{server.state._next_callback:08d}"
    person.press_data("zz:probe")
    for _ in range(2000):
        if any(a.get("callback_query_id") == query_id for a in person.callback_answers):
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the probe was not answered: the bot is stuck")


async def sweep(server, person, snapshot, nonce, inputs, caplog, *, silent=()):
    """Send each input, wait until it is handled, and check the reply and the state."""
    before = await snapshot()
    person.mark_seen()
    for name, send in inputs.items():
        answers = len(person.callback_answers)
        with caplog.at_level(logging.WARNING):
            sent = send(person, Probe(await nonce()))
            if sent is None:
                continue
            await probe(server, person)
        replies = [m.content for m in person.unseen]
        person.mark_seen()
        pressed = len(person.callback_answers) - answers - 1  # without the probe's own answer
        assert replies or pressed or name in silent, f"{name}: no reply at all"
        assert not any(INTERNAL_ERROR in r for r in replies), f"{name}: {replies}"
        assert await snapshot() == before, f"{name} changed the state"
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert errors == [], f"{name}: {errors}"
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert NIK not in logged
    return before


def forms_snapshot(storage, user_id):
    async def snapshot():
        session = await storage.reports.session(user_id)
        drafts = await storage.reports.drafts_of(user_id)
        return (
            (session.kind, session.draft_id, session.cursor, session.mode, {k: v for k, v in session.pending.items()})
            if session
            else None,
            [(d.id, d.answers, d.confirmed) for d in drafts],
            await storage.db.fetchval("SELECT COUNT(*) FROM report_revisions"),
        )

    async def nonce():
        session = await storage.reports.session(user_id)
        return session.nonce if session else 0

    return snapshot, nonce


ALL_INPUTS = {**MESSAGES, **{n: _send_text(c) for n, c in COMMANDS.items()}, **PRESSES}


async def kader(server, storage, posyandu_ids):
    return await register(
        server, storage, 1001, Role.KADER, [ScopeEntry(area_code=VILLAGE, posyandu_id=posyandu_ids["Mawar"])]
    )


async def reach(person, question: str) -> None:
    """Answer the uji form up to ``question`` (its id), or to the review."""
    steps = [
        ("sasaran", "50", "ditimbang"),
        ("ditimbang", "40", "kelas ibu"),
        ("ada_kelas", "Ya", "peserta kelas"),
        ("peserta_kelas", "12", "Berat rata-rata"),
        ("berat_rata", "12,5", "Di mana"),
        ("tempat", "Balai desa", "Layanan apa"),
        ("layanan", "Penimbangan", "Tanggal kegiatan"),
        ("tanggal", "17-11-2026", "Catatan"),
        ("catatan", "/lewati", "Periksa lagi"),
    ]
    person.send("/lapor")
    await said(person, "balita sasaran")
    for qid, value, then in steps:
        if qid == question:
            return
        if qid in ("ada_kelas", "tempat"):
            person.press(value)
        elif qid == "layanan":
            person.press(value)
            await person.await_for(lambda m, value=value: f"☑ {value}" in m.button_texts)
            person.press("Selesai")
        else:
            person.send(value)
        await said(person, then)


# -- the forms conversation ---------------------------------------------------------------------
QUESTION_STATES = ["sasaran", "berat_rata", "ada_kelas", "tempat", "layanan", "tanggal", "review"]


@pytest.mark.parametrize("question", QUESTION_STATES)
async def test_bad_input_at_each_question_type_and_the_review(uji, server, storage, posyandu_ids, caplog, question):
    siti = await kader(server, storage, posyandu_ids)
    await reach(siti, question)
    if question == "layanan":  # a choice made but not yet confirmed with "Selesai" stays made
        siti.press("Imunisasi")
        await siti.await_for(lambda m: "☑ Imunisasi" in m.button_texts)
    snapshot, nonce = forms_snapshot(storage, 1001)
    before = await sweep(server, siti, snapshot, nonce, ALL_INPUTS, caplog)
    assert before[0][2] == (None if question == "review" else question)
    # Still usable: the right answer (or "Kirim") moves on.
    if question == "review":
        siti.press("Kirim")
        await said(siti, "Terkirim")
    else:
        await reach_next(siti, question)


async def reach_next(person, question):
    moves = {
        "sasaran": ("50", "ditimbang"),
        "berat_rata": ("12,5", "Di mana"),
        "ada_kelas": ("Ya", "peserta kelas"),
        "tempat": ("Posyandu", "Layanan apa"),
        "layanan": ("Selesai", "Tanggal kegiatan"),
        "tanggal": ("17-11-2026", "Catatan"),
    }
    value, then = moves[question]
    if question in ("ada_kelas", "tempat", "layanan"):
        person.press(value)
    else:
        person.send(value)
    await said(person, then)


async def test_free_text_answers_are_stored_as_typed_and_echoed_escaped(uji, server, storage, posyandu_ids, caplog):
    siti = await kader(server, storage, posyandu_ids)
    await reach(siti, "catatan")
    snapshot, nonce = forms_snapshot(storage, 1001)
    # A forwarded text is a text: here it is an answer, like anything typed.
    non_text = {n: s for n, s in ALL_INPUTS.items() if n not in TEXTS and n != "forwarded"}
    await sweep(server, siti, snapshot, nonce, non_text, caplog)
    for name, text in TEXTS.items():
        siti.send(text)
        if name == "long":  # longer than the question's limit (200): refused, asked again
            await said(siti, "Catatan")
            continue
        review = await said(siti, "Periksa lagi")
        stored = (await storage.reports.drafts_of(1001))[0].answers["catatan"]
        assert stored == normalise_text(text) and stored in review.text
        siti.send("/kembali")
        await said(siti, "Catatan")


async def test_bad_input_while_a_soft_rule_waits_for_confirmation(uji, server, storage, posyandu_ids, caplog):
    siti = await kader(server, storage, posyandu_ids)
    draft = await storage.reports.open_draft("uji_bulanan", posyandu_ids["Mawar"], "2026-10", 1001)
    await storage.reports.submit(draft, await storage.users.get(1001), VILLAGE, {"sasaran": 20, "ditimbang": 10})
    siti.send("/lapor")
    await said(siti, "balita sasaran")
    siti.send("45")
    await said(siti, "lebih dari dua kali")
    snapshot, nonce = forms_snapshot(storage, 1001)
    before = await sweep(server, siti, snapshot, nonce, ALL_INPUTS, caplog)
    assert before[0][3] == "confirm" and before[0][4]["value"] == 45
    siti.press("Ya, benar")  # the newest confirmation message: the question is still waiting for it
    await said(siti, "ditimbang")
    assert (await storage.reports.drafts_of(1001))[0].answers == {"sasaran": 45}


async def test_bad_input_while_choosing_what_to_report(uji, server, storage, posyandu_ids, caplog):
    ani = await register(server, storage, 1002, Role.BIDAN, [ScopeEntry(area_code=VILLAGE)])
    ani.send("/lapor")
    await said(ani, "posyandu mana")
    snapshot, nonce = forms_snapshot(storage, 1002)
    before = await sweep(server, ani, snapshot, nonce, ALL_INPUTS, caplog)
    assert before[0][3] == "choose"
    ani.press("Melati")
    await said(ani, "balita sasaran")


# -- registration, /ekspor, /bahasa -------------------------------------------------------------
async def test_bad_input_while_registering(uji, server, storage, posyandu_ids, caplog, clock):
    [code] = await storage.users.create_invitations(
        Role.KADER, [ScopeEntry(area_code=VILLAGE, posyandu_id=posyandu_ids["Mawar"])]
    )
    budi = server.user(1003, "Budi")
    budi.send("/start")
    await said(budi, "kode undangan")

    async def snapshot():
        return await storage.users.get(1003)

    async def nonce():
        return 0

    await sweep(server, budi, snapshot, nonce, ALL_INPUTS, caplog, silent={"edited"})
    clock.advance(hours=2)  # five wrong codes in an hour wait an hour
    budi.send(f"/start {code}")
    await said(budi, "terdaftar")


def export_snapshot(storage, user_id):
    async def snapshot():
        session = await storage.reports.session(user_id)
        return {"kind": session.kind, **session.pending} if session else {}

    async def nonce():
        session = await storage.reports.session(user_id)
        return session.nonce if session else None

    return snapshot, nonce


@pytest.mark.parametrize("step", ["area", "months"])
async def test_bad_input_while_exporting(uji, server, storage, posyandu_ids, caplog, step):
    ani = await register(server, storage, 3001, Role.KOORDINATOR, [ScopeEntry(area_code="32.04")])
    ani.send("/ekspor")
    await said(ani, "Pilih wilayah")
    if step == "months":
        ani.press("Desa Sukamaju")
        await said(ani, "Pilih bulan")
    snapshot, nonce = export_snapshot(storage, 3001)
    inputs = {n: s for n, s in ALL_INPUTS.items() if n != "other_export"}  # /ekspor starts over, rightly
    before = await sweep(server, ani, snapshot, nonce, inputs, caplog, silent={"edited"})
    assert before["kind"] == "export" and before["step"] == step
    if step == "area":
        ani.press("Desa Sukamaju")
        await said(ani, "Pilih bulan")
    else:
        ani.press("Bulan ini")
        await said(ani, "sedang dibuat")


async def test_bad_input_after_bahasa(uji, server, storage, posyandu_ids, caplog):
    siti = await kader(server, storage, posyandu_ids)
    siti.send("/bahasa")
    choose = await siti.await_for(lambda m: "English" in m.button_texts)

    async def snapshot():
        return (await storage.users.get(1001)).language, await storage.reports.session(1001)

    async def nonce():
        return 0

    await sweep(server, siti, snapshot, nonce, ALL_INPUTS, caplog, silent={"edited"})
    siti.press("English", choose)
    await siti.await_text("Language changed to English")
    assert (await storage.users.get(1001)).language == "en"
