"""/tinjau holds (issue 17, items 13 and 14): a correction note too long for a Telegram message
is refused with a clear message before anything is stored; the reviewer is told whether the
reporter was told; nobody reviews the revision they submitted themselves."""

from __future__ import annotations

import pytest

from domain.models import ScopeEntry
from domain.roles import Role
from features.partners import chat as partners_chat
from storage import reviews as storage_reviews
from tests.handlers.test_partners_chat import FORM, registered, submit
from tests.partners.support import SUKAMAJU

ANSWERS = {"balita_sasaran_s": 50, "balita_ditimbang_d": 60}


async def _people(server, storage, posyandu_ids):
    """The posyandu Mawar, its kader (1001) and the village's midwife (1002)."""
    mawar = posyandu_ids["Mawar"]
    kader = await registered(server, storage, 1001, Role.KADER, SUKAMAJU, posyandu_id=mawar)
    bidan = await registered(server, storage, 1002, Role.BIDAN, SUKAMAJU)
    return mawar, kader, bidan


# -- item 13: a long correction note ------------------------------------------------------------
async def test_a_note_longer_than_a_message_can_carry_is_refused_and_nothing_is_stored(
    bot, server, storage, posyandu_ids
):
    mawar, kader, bidan = await _people(server, storage, posyandu_ids)
    await submit(storage, 1001, mawar, SUKAMAJU, "2026-10", ANSWERS)
    note = ("Balita ditimbang lebih dari sasaran, mohon dicek lagi di buku register. " * 60)[:3900]
    bidan.send(f"/tinjau {mawar} 2026-10 perbaiki {note}")
    reply = await bidan.await_text("terlalu panjang")
    assert f"{partners_chat.MAX_NOTE}" in reply.text and f"{len(note)}" in reply.text
    assert "diberi tahu" not in reply.text
    assert await storage.reviews.latest(FORM, mawar, "2026-10") is None
    assert not await storage.reports.unlocked(FORM, mawar, "2026-10")
    assert not [m for m in kader.messages if "perlu diperbaiki" in m.text]


async def test_a_note_at_the_limit_reaches_the_reporter_whole(bot, server, storage, posyandu_ids):
    mawar, kader, bidan = await _people(server, storage, posyandu_ids)
    await submit(storage, 1001, mawar, SUKAMAJU, "2026-10", ANSWERS)
    note = ("D lebih dari S <cek> & " * 100)[: partners_chat.MAX_NOTE - 1] + "!"
    bidan.send(f"/tinjau {mawar} 2026-10 perbaiki {note}")
    told = await kader.await_text("perlu diperbaiki")
    assert note.strip() in told.text
    reply = await bidan.await_text("ditandai perlu perbaikan")
    assert "Pelapor sudah diberi tahu" in reply.text
    assert (await storage.reviews.latest(FORM, mawar, "2026-10")).note == note.strip()


async def test_the_reviewer_is_told_when_the_reporter_could_not_be_told(bot, server, storage, posyandu_ids):
    mawar, _kader, bidan = await _people(server, storage, posyandu_ids)
    await submit(storage, 1001, mawar, SUKAMAJU, "2026-10", ANSWERS)
    server.block(1001)  # the kader blocked the bot
    bidan.send(f"/tinjau {mawar} 2026-10 perbaiki D lebih dari S")
    reply = await bidan.await_text("ditandai perlu perbaikan")
    assert "Pelapor sudah diberi tahu" not in reply.text
    assert "tidak bisa diberi tahu" in reply.text
    assert (await storage.reviews.latest(FORM, mawar, "2026-10")).state == "needs_correction"  # the review stands


async def test_the_reviewer_is_told_when_the_reporter_is_no_longer_active(bot, server, storage, posyandu_ids):
    mawar, _kader, bidan = await _people(server, storage, posyandu_ids)
    await submit(storage, 1001, mawar, SUKAMAJU, "2026-10", ANSWERS)
    await storage.users.deactivate(1001)
    bidan.send(f"/tinjau {mawar} 2026-10 ok")
    reply = await bidan.await_text("ditandai terverifikasi")
    assert "tidak bisa diberi tahu" in reply.text


# -- item 14: no review of one's own report -----------------------------------------------------
async def test_a_midwife_cannot_verify_the_report_she_submitted(bot, server, storage, posyandu_ids):
    mawar, _kader, bidan = await _people(server, storage, posyandu_ids)
    await submit(storage, 1002, mawar, SUKAMAJU, "2026-10", ANSWERS)  # the bidan sent it herself
    for verdict in ("ok", "perbaiki cek lagi"):
        bidan.send(f"/tinjau {mawar} 2026-10 {verdict}")
        await bidan.await_text("Anda sendiri yang mengirim")
    assert await storage.reviews.latest(FORM, mawar, "2026-10") is None
    await submit(storage, 1001, mawar, SUKAMAJU, "2026-10", ANSWERS)  # revision 2, by the kader
    bidan.send(f"/tinjau {mawar} 2026-10 ok")
    await bidan.await_text("(revisi 2) ditandai terverifikasi")


async def test_storage_refuses_a_review_by_the_submitter(storage, posyandu_ids):
    [code] = await storage.users.create_invitations(Role.BIDAN, [ScopeEntry(area_code=SUKAMAJU)])
    await storage.users.register(1002, "Bidan", code)
    mawar = posyandu_ids["Mawar"]
    await submit(storage, 1002, mawar, SUKAMAJU, "2026-10", ANSWERS)
    bidan = await storage.users.get(1002)
    with pytest.raises(storage_reviews.OwnRevision):
        await storage.reviews.review(FORM, mawar, "2026-10", "verified", "", bidan)
    assert await storage.reviews.latest(FORM, mawar, "2026-10") is None
