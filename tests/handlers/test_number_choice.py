"""A measure typed "1.200" is not stored as 1.2 (issue 17, item 19): the bot asks which was
meant with two buttons, the question kept until the person answers, through a real
Application and the local Bot API."""

from __future__ import annotations

from tests.handlers.test_bad_input import kader, probe, reach
from tests.handlers.test_report_conversation import answer, said


async def at_the_weight(server, storage, posyandu_ids):
    siti = await kader(server, storage, posyandu_ids)
    await reach(siti, "berat_rata")  # a measure in kg, from 1 to 30
    return siti


async def draft_answers(storage):
    [draft] = await storage.reports.drafts_of(1001)
    return draft.answers


async def test_a_dot_before_three_digits_is_asked_about_and_the_button_decides(uji, server, storage, posyandu_ids):
    siti = await at_the_weight(server, storage, posyandu_ids)
    asked = await answer(siti, "1.200", "Maksudnya")
    assert asked.button_texts == ["1200 kg", "1,2 kg"]
    assert "Berat rata-rata" in asked.text  # the question is kept
    session = await storage.reports.session(1001)
    assert session.cursor == "berat_rata" and session.mode == "confirm"
    assert "berat_rata" not in await draft_answers(storage)  # nothing stored yet
    siti.press("1,2 kg")
    await said(siti, "Di mana")
    assert (await draft_answers(storage))["berat_rata"] == 1.2


async def test_the_other_reading_is_range_checked_and_the_choice_asked_again(uji, server, storage, posyandu_ids):
    siti = await at_the_weight(server, storage, posyandu_ids)
    await answer(siti, "12.500", "Maksudnya")
    siti.press("12500 kg")
    again = await said(siti, "terlalu besar")
    assert "Maksudnya" in again.text and again.button_texts == ["12500 kg", "12,5 kg"]
    assert "berat_rata" not in await draft_answers(storage)
    siti.press("12,5 kg")
    await said(siti, "Di mana")
    assert (await draft_answers(storage))["berat_rata"] == 12.5


async def test_typing_the_answer_again_instead_of_pressing_is_an_answer(uji, server, storage, posyandu_ids):
    siti = await at_the_weight(server, storage, posyandu_ids)
    asked = await answer(siti, "1.200", "Maksudnya")
    await answer(siti, "12,5", "Di mana")
    assert (await draft_answers(storage))["berat_rata"] == 12.5
    siti.press("1,2 kg", asked)  # the question's buttons are spent
    await probe(server, siti)
    assert (await draft_answers(storage))["berat_rata"] == 12.5


async def test_unambiguous_forms_are_taken_at_once(uji, server, storage, posyandu_ids):
    siti = await at_the_weight(server, storage, posyandu_ids)
    await answer(siti, "12.5", "Di mana")
    assert (await draft_answers(storage))["berat_rata"] == 12.5
    siti.send("/kembali")
    await said(siti, "Berat rata-rata")
    await answer(siti, "1.000,5", "terlalu besar")  # read as 1000.5: beyond 30 kg
    await answer(siti, "12,5", "Di mana")


async def test_resuming_the_report_asks_the_question_again_and_old_buttons_are_spent(
    uji, server, storage, posyandu_ids
):
    siti = await at_the_weight(server, storage, posyandu_ids)
    asked = await answer(siti, "1.200", "Maksudnya")
    await answer(siti, "/lapor", "belum selesai")
    siti.press("Laporan Uji · Mawar · November 2026")
    await said(siti, "Berat rata-rata")
    siti.press("1,2 kg", asked)
    await probe(server, siti)
    assert "berat_rata" not in await draft_answers(storage)
    await answer(siti, "1.200", "Maksudnya")
    siti.press("1,2 kg")
    await said(siti, "Di mana")
    assert (await draft_answers(storage))["berat_rata"] == 1.2
