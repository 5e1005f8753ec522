"""The monthly report conversation through a real Application and the local Bot API, with a
small form that has every question type (tests/support/forms/uji.yaml)."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.models import ScopeEntry
from domain.roles import Role
from tests.support.harness import make_settings, running_bot

FORMS = Path(__file__).parent.parent / "support" / "forms"
VILLAGE = "32.04.12.2001"


@pytest.fixture
async def uji(server, tmp_path, storage, clock, posyandu_ids):
    settings = make_settings(tmp_path, server, forms_dir=FORMS)
    async with running_bot(server, settings, storage, clock) as application:
        yield application


async def register(server, storage, posyandu_id, user_id=1001, role=Role.KADER):
    scope = [ScopeEntry(area_code=VILLAGE, posyandu_id=posyandu_id if role is Role.KADER else None)]
    [code] = await storage.users.create_invitations(role, scope)
    person = server.user(user_id, "Siti")
    person.send(f"/start {code}")
    await said(person, "terdaftar")
    return person


async def said(person, substring, timeout=10.0):
    """The next new bot message containing ``substring`` (edits of old messages do not count)."""
    return await person.await_for(lambda m: substring in m.content and "edit_date" not in m.data, timeout)


async def answer(person, text, expect):
    person.send(text)
    return await said(person, expect)


async def fill_to_review(person):
    await answer(person, "50", "ditimbang")
    await answer(person, "40", "kelas ibu")
    person.press("Ya")
    await said(person, "peserta kelas")
    await answer(person, "12", "Berat rata-rata")
    await answer(person, "12,5 kg", "Di mana")
    person.press("Balai desa")
    await said(person, "Layanan apa")
    person.press("Penimbangan")
    await person.await_for(lambda m: "☑ Penimbangan" in m.button_texts)
    person.press("Vitamin A")
    await person.await_for(lambda m: "☑ Vitamin A" in m.button_texts)
    person.press("Selesai")
    await said(person, "Tanggal kegiatan")
    await answer(person, "17-11-2026", "Catatan")
    person.send("/lewati")
    return await said(person, "Periksa lagi")


async def test_full_report_with_wrong_answers_review_and_receipt(uji, server, storage, posyandu_ids):
    siti = await register(server, storage, posyandu_ids["Mawar"])
    siti.send("/lapor")
    await said(siti, "balita sasaran")
    await answer(siti, "lima puluh", "dengan angka")
    await answer(siti, "12,5", "angka bulat")
    await answer(siti, "-3", "kurang dari 0")
    reply = await answer(siti, "501", "terlalu besar")
    assert "balita sasaran" in reply.text  # the same question again
    review = await fill_to_review(siti)
    for expected in (
        "50 anak",
        "40 anak",
        "Ya",
        "12,5 kg",
        "Balai desa",
        "Penimbangan, Vitamin A",
        "17 November 2026",
        "—",
    ):
        assert expected in review.text
    siti.press("Kirim")
    receipt = await said(siti, "Terkirim")
    assert "revisi 1" in receipt.text and "80,0%" in receipt.text  # D/S = 40/50
    values = await storage.reports.latest("uji_bulanan", posyandu_ids["Mawar"], "2026-11")
    assert values == {
        "sasaran": 50,
        "ditimbang": 40,
        "ada_kelas": True,
        "peserta_kelas": 12,
        "berat_rata": 12.5,
        "tempat": "balai",
        "layanan": ["timbang", "vitamin"],
        "tanggal": "2026-11-17",
        "catatan": None,
    }
    assert await storage.reports.session(1001) is None and await storage.reports.drafts_of(1001) == []


async def test_hard_rule_blocks_and_keeps_earlier_answers(uji, server, storage, posyandu_ids):
    siti = await register(server, storage, posyandu_ids["Mawar"])
    siti.send("/lapor")
    await said(siti, "balita sasaran")
    await answer(siti, "30", "ditimbang")
    reply = await answer(siti, "31", "tidak boleh lebih dari balita sasaran")
    assert "ditimbang (D)?" in reply.text
    draft = (await storage.reports.drafts_of(1001))[0]
    assert draft.answers == {"sasaran": 30}


async def test_three_wrong_tries_show_help_and_example(uji, server, storage, posyandu_ids):
    siti = await register(server, storage, posyandu_ids["Mawar"])
    siti.send("/lapor")
    await said(siti, "balita sasaran")
    await answer(siti, "50", "ditimbang")
    for _ in range(2):
        reply = await answer(siti, "banyak", "dengan angka")
        assert "register" not in reply.text
    reply = await answer(siti, "banyak", "dengan angka")
    assert "Hitung dari buku register" in reply.text and "Contoh jawaban" in reply.text


async def test_soft_rule_against_last_month_asks_to_confirm(uji, server, storage, posyandu_ids, clock):
    siti = await register(server, storage, posyandu_ids["Mawar"])
    draft = await storage.reports.open_draft("uji_bulanan", posyandu_ids["Mawar"], "2026-10", 1001)
    user = await storage.users.get(1001)
    await storage.reports.submit(draft, user, VILLAGE, {"sasaran": 20, "ditimbang": 10})
    siti.send("/lapor")
    await said(siti, "balita sasaran")
    await answer(siti, "45", "lebih dari dua kali bulan lalu")
    siti.press("Ubah")
    await said(siti, "balita sasaran")
    await answer(siti, "45", "lebih dari dua kali")
    siti.press("Ya, benar")
    await said(siti, "ditimbang")
    draft = (await storage.reports.drafts_of(1001))[0]
    assert draft.answers == {"sasaran": 45} and draft.confirmed == {"sasaran": ["s_double"]}


async def test_relevant_skip_back_and_clearing(uji, server, storage, posyandu_ids):
    siti = await register(server, storage, posyandu_ids["Mawar"])
    siti.send("/lapor")
    await said(siti, "balita sasaran")
    await answer(siti, "50", "ditimbang")
    await answer(siti, "40", "kelas ibu")
    siti.press("Tidak")
    await said(siti, "Berat rata-rata")  # peserta_kelas is not relevant
    siti.send("/lewati")
    await said(siti, "Di mana")
    draft = (await storage.reports.drafts_of(1001))[0]
    assert draft.answers == {"sasaran": 50, "ditimbang": 40, "ada_kelas": False, "berat_rata": None}
    siti.send("/kembali")
    await said(siti, "Berat rata-rata")
    siti.send("/kembali")
    await said(siti, "kelas ibu")
    siti.press("Ya")
    await said(siti, "peserta kelas")  # now relevant: asked
    await answer(siti, "8", "Di mana")  # then on to the next unanswered one
    await answer(siti, "/kembali", "Berat rata-rata")
    await answer(siti, "/kembali", "peserta kelas")
    siti.send("/kembali")
    await said(siti, "kelas ibu")
    siti.press("Tidak")
    reply = await said(siti, "tidak berlaku lagi")  # peserta_kelas cleared
    assert "Di mana" in reply.text
    draft = (await storage.reports.drafts_of(1001))[0]
    assert "peserta_kelas" not in draft.answers


async def test_required_question_cannot_be_skipped(uji, server, storage, posyandu_ids):
    siti = await register(server, storage, posyandu_ids["Mawar"])
    siti.send("/lapor")
    await said(siti, "balita sasaran")
    await answer(siti, "/lewati", "wajib dijawab")
    await answer(siti, "/kembali", "pertanyaan pertama")


async def test_zero_is_a_real_answer(uji, server, storage, posyandu_ids):
    siti = await register(server, storage, posyandu_ids["Mawar"])
    siti.send("/lapor")
    await said(siti, "balita sasaran")
    await answer(siti, "0", "ditimbang")
    assert (await storage.reports.drafts_of(1001))[0].answers == {"sasaran": 0}


async def test_cancel_keeps_the_draft_and_lapor_offers_to_continue(uji, server, storage, posyandu_ids):
    siti = await register(server, storage, posyandu_ids["Mawar"])
    siti.send("/lapor")
    await said(siti, "balita sasaran")
    await answer(siti, "50", "ditimbang")
    await answer(siti, "/batal", "tersimpan")
    await answer(siti, "40", "/lapor")  # outside the form: a pointer, nothing saved
    assert (await storage.reports.drafts_of(1001))[0].answers == {"sasaran": 50}
    siti.send("/lapor")
    await said(siti, "belum selesai")
    siti.press("Laporan Uji")
    reply = await said(siti, "ditimbang")
    assert "Melanjutkan" in reply.text


async def test_review_edit_by_button_and_by_number(uji, server, storage, posyandu_ids):
    siti = await register(server, storage, posyandu_ids["Mawar"])
    siti.send("/lapor")
    await said(siti, "balita sasaran")
    await fill_to_review(siti)
    siti.press("2")
    await said(siti, "Jawaban sekarang: 40 anak")
    review = await answer(siti, "45", "Periksa lagi")
    assert "45 anak" in review.text
    await answer(siti, "99", "Ketik nomor")
    await answer(siti, "1", "balita sasaran")
    await answer(siti, "44", "tidak boleh lebih dari balita sasaran")  # D=45 > S=44: refused
    await answer(siti, "60", "Periksa lagi")


async def test_revision_keeps_history_and_records_changes(uji, server, storage, posyandu_ids):
    siti = await register(server, storage, posyandu_ids["Mawar"])
    siti.send("/lapor")
    await said(siti, "balita sasaran")
    await fill_to_review(siti)
    siti.press("Kirim")
    await said(siti, "revisi 1")
    siti.send("/lapor")
    review = await said(siti, "sudah dikirim (revisi 1)")
    assert "Periksa lagi" in review.text
    siti.press("2")
    await answer(siti, "41", "Periksa lagi")
    siti.press("Kirim")
    await said(siti, "revisi 2")
    history = await storage.reports.revisions("uji_bulanan", posyandu_ids["Mawar"], "2026-11")
    assert [h["revision"] for h in history] == [1, 2]
    assert history[1]["changes"] == {"ditimbang": [40, 41]}
    assert (await storage.reports.latest("uji_bulanan", posyandu_ids["Mawar"], "2026-11"))["ditimbang"] == 41


async def test_locked_period_and_coordinator_unlock(uji, server, storage, posyandu_ids, clock):
    siti = await register(server, storage, posyandu_ids["Mawar"])
    clock.advance(days=22)  # 15 December: November is still open (locks after the 15th)
    siti.send("/lapor")
    await said(siti, "Untuk bulan apa")
    siti.press("November 2026")
    await said(siti, "balita sasaran")
    await fill_to_review(siti)
    clock.advance(days=1)  # 16 December: November is locked now
    siti.press("Kirim")
    await said(siti, "terkunci")
    coordinator = await storage.users.get(1001)
    await storage.reports.unlock("uji_bulanan", posyandu_ids["Mawar"], "2026-11", coordinator)
    siti.send("/lapor")
    await said(siti, "belum selesai")
    siti.press(0)
    await said(siti, "Periksa lagi")
    siti.press("Kirim")
    await said(siti, "Terkirim")


async def test_stickers_photos_edits_and_other_commands_get_a_gentle_reask(uji, server, storage, posyandu_ids):
    siti = await register(server, storage, posyandu_ids["Mawar"])
    siti.send("/lapor")
    await said(siti, "balita sasaran")
    siti.send_sticker()
    assert "balita sasaran" in (await said(siti, "berupa tulisan")).text
    siti.send_photo()
    await said(siti, "berupa tulisan")
    siti.send_voice()
    await said(siti, "berupa tulisan")
    siti.send("tujuh")
    await said(siti, "dengan angka")
    siti.edit(siti.sent[-1].message_id, "7")
    await said(siti, "balita sasaran")
    await answer(siti, "/rumahtangga", "sedang mengisi")
    await answer(siti, "/ekspor", "bukan untuk peran")
    await answer(siti, "/bantuan", "/kembali")
    assert (await storage.reports.drafts_of(1001))[0].answers == {}


async def test_old_and_forged_buttons_are_refused(uji, server, storage, posyandu_ids):
    siti = await register(server, storage, posyandu_ids["Mawar"])
    siti.send("/lapor")
    await said(siti, "balita sasaran")
    await answer(siti, "50", "ditimbang")
    await answer(siti, "40", "kelas ibu")
    old = siti.last
    siti.press("Ya")
    await said(siti, "peserta kelas")
    siti.press_data("f:1:y:", old.message_id)
    siti.press_data("f:999:k:")
    siti.press_data("l:0:f:nope")
    siti.press_data("💥" * 16)
    for _ in range(100):  # every press gets an answer, and nothing changes
        if len(siti.callback_answers) >= 5:
            break
        await asyncio.sleep(0.05)
    assert len(siti.callback_answers) >= 5
    draft = (await storage.reports.drafts_of(1001))[0]
    assert draft.answers == {"sasaran": 50, "ditimbang": 40, "ada_kelas": True}


async def test_bidan_chooses_between_posyandu(uji, server, storage, posyandu_ids):
    ani = await register(server, storage, None, user_id=1002, role=Role.BIDAN)
    ani.send("/lapor")
    await said(ani, "posyandu mana")
    ani.press("Melati")
    await said(ani, "balita sasaran")
    assert (await storage.reports.drafts_of(1002))[0].posyandu_id == posyandu_ids["Melati"]


async def test_coordinator_reopens_a_locked_month_in_scope_only(uji, server, storage, posyandu_ids, clock):
    siti = await register(server, storage, posyandu_ids["Mawar"])
    [code] = await storage.users.create_invitations(Role.KOORDINATOR, [ScopeEntry(area_code="32.04")])
    budi = server.user(2001, "Budi")
    budi.send(f"/start {code}")
    await said(budi, "terdaftar")
    clock.advance(days=25)  # 18 December: November is locked, so only December is offered
    siti.send("/lapor")
    await said(siti, "Desember 2026")
    await answer(siti, "/batal", "tersimpan")
    await answer(budi, f"/buka {posyandu_ids['Kenanga']} 2026-11", "bukan wilayah Anda")
    await answer(budi, "/buka x", "Cara pakai")
    await answer(budi, f"/buka {posyandu_ids['Mawar']} 2026-11", "dibuka sampai")
    siti.send("/lapor")
    await said(siti, "belum selesai")
    siti.press("Laporan baru")
    await said(siti, "Untuk bulan apa")
    siti.press("November 2026")
    await said(siti, "balita sasaran")
    assert (await storage.audit.recent(1, action="report.unlock"))[0].actor_id == 2001


async def test_the_same_update_twice_makes_one_revision(uji, server, storage, posyandu_ids):
    from telegram import Update

    siti = await register(server, storage, posyandu_ids["Mawar"])
    siti.send("/lapor")
    await said(siti, "balita sasaran")
    await fill_to_review(siti)
    review = siti.last
    data = next(
        b["callback_data"] for row in review.reply_markup["inline_keyboard"] for b in row if "Kirim" in b["text"]
    )
    raw = {
        "update_id": 777777,
        "callback_query": {
            "id": "dup-1",
            "chat_instance": "1",
            "data": data,
            "from": {"id": 1001, "is_bot": False, "first_name": "Siti"},
            "message": {
                "message_id": review.message_id,
                "date": 0,
                "chat": {"id": 1001, "type": "private"},
                "from": {"id": 123456, "is_bot": True, "first_name": "Lapor Desa"},
                "text": "x",
            },
        },
    }
    for _ in range(2):
        await uji.process_update(Update.de_json(raw, uji.bot))
    await said(siti, "Terkirim")
    history = await storage.reports.revisions("uji_bulanan", posyandu_ids["Mawar"], "2026-11")
    assert len(history) == 1
    server.violations.clear()  # the double rightly refuses answering one callback query id twice


async def test_restart_mid_conversation_continues_where_it_was(server, tmp_path, storage, clock, posyandu_ids):
    settings = make_settings(tmp_path, server, forms_dir=FORMS)
    async with running_bot(server, settings, storage, clock):
        siti = await register(server, storage, posyandu_ids["Mawar"])
        siti.send("/lapor")
        await said(siti, "balita sasaran")
        await answer(siti, "50", "ditimbang")
    # The bot is down; the person answers anyway. Telegram keeps the update for the next start.
    siti.send("40")
    async with running_bot(server, settings, storage, clock):
        await said(siti, "kelas ibu")
        siti.press("Tidak")
        await said(siti, "Berat rata-rata")
    assert (await storage.reports.drafts_of(1001))[0].answers == {"sasaran": 50, "ditimbang": 40, "ada_kelas": False}


async def test_where_a_person_is_lives_only_in_the_database(server, tmp_path, storage, clock, posyandu_ids):
    settings = make_settings(tmp_path, server, forms_dir=FORMS)
    async with running_bot(server, settings, storage, clock):
        siti = await register(server, storage, posyandu_ids["Mawar"])
        siti.send("/lapor")
        await said(siti, "balita sasaran")
        await answer(siti, "50", "ditimbang")
    tables = {r["name"] for r in await storage.db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert not {"ptb_conversations", "ptb_data"} & tables  # no second record of PTB routing state
    async with running_bot(server, settings, storage, clock):
        await answer(siti, "40", "kelas ibu")
    assert (await storage.reports.drafts_of(1001))[0].answers == {"sasaran": 50, "ditimbang": 40}


async def test_today_is_the_villages_own_date_in_wit(uji, server, storage, clock, posyandu_ids):
    """00:30 in Jayapura (WIT) is still yesterday in Jakarta: the date typed is today, not future."""
    clock.set(datetime(2026, 12, 1, 15, 30, tzinfo=UTC))  # 2 December 00:30 WIT, 1 December 22:30 WIB
    [code] = await storage.users.create_invitations(
        Role.KADER, [ScopeEntry(area_code="91.03.01.2001", posyandu_id=posyandu_ids["Cempaka"])]
    )
    yosef = server.user(1009, "Yosef")
    yosef.send(f"/start {code}")
    await said(yosef, "terdaftar")
    yosef.send("/lapor")
    await said(yosef, "Untuk bulan apa")
    yosef.press("November 2026")
    await said(yosef, "balita sasaran")
    await answer(yosef, "50", "ditimbang")
    await answer(yosef, "40", "kelas ibu")
    yosef.press("Tidak")
    await said(yosef, "Berat rata-rata")
    await answer(yosef, "12", "Di mana")
    yosef.press("Balai desa")
    await said(yosef, "Layanan apa")
    yosef.press("Penimbangan")
    await yosef.await_for(lambda m: "☑ Penimbangan" in m.button_texts)
    yosef.press("Selesai")
    await said(yosef, "Tanggal kegiatan")
    await answer(yosef, "02-12-2026", "Catatan")  # was refused as a date in the future
    assert (await storage.reports.drafts_of(1009))[0].answers["tanggal"] == "2026-12-02"


async def test_an_oversized_id_in_button_data_is_a_stale_button(uji, server, storage, posyandu_ids):
    siti = await register(server, storage, posyandu_ids["Mawar"])
    siti.send("/lapor")
    await said(siti, "balita sasaran")
    session = await storage.reports.session(1001)
    for data in (
        f"f:{session.nonce}:e:99999999999999999999999",
        f"l:{session.nonce}:d:99999999999999999999999",
        "r:0:99999999999999999999999:2026-11",
        f"f:{session.nonce * 10**30}:k:",
    ):
        answered = len(siti.callback_answers)
        siti.press_data(data)
        for _ in range(100):
            if len(siti.callback_answers) > answered:
                break
            await asyncio.sleep(0.02)
        assert len(siti.callback_answers) > answered, data
    await answer(siti, "50", "ditimbang")  # still at the same question, nothing broke
