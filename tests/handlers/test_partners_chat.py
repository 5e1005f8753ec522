"""Review of reports (/tinjau), progress (/capaian) and the admin's /mitra through a real Application."""

from domain.models import ScopeEntry
from domain.roles import Role
from features.partners.service import import_targets
from tests.partners.support import CIBIRU, OEBOBO, SUKAMAJU, forms, setup_alliance
from tests.support.harness import ADMIN_ID

FORM = "posyandu_bulanan"


async def registered(server, storage, user_id, role, *areas, posyandu_id=None, partner=None):
    scope = [ScopeEntry(area_code=area, posyandu_id=posyandu_id) for area in areas]
    [code] = await storage.users.create_invitations(role, scope, partner=partner)
    person = server.user(user_id, f"User {user_id}")
    person.send(f"/start {code}")
    await person.await_text("terdaftar")
    return person


async def submit(storage, telegram_id, posyandu_id, village, period, answers):
    user = await storage.users.get(telegram_id)
    draft = await storage.reports.open_draft(FORM, posyandu_id, period, telegram_id)
    return await storage.reports.submit(draft, user, village, answers)


async def test_midwife_asks_for_a_correction_and_the_cadre_is_told(bot, server, storage, posyandu_ids):
    mawar = posyandu_ids["Mawar"]
    kader = await registered(server, storage, 1001, Role.KADER, SUKAMAJU, posyandu_id=mawar)
    bidan = await registered(server, storage, 1002, Role.BIDAN, SUKAMAJU)
    other = await registered(server, storage, 1003, Role.BIDAN, CIBIRU)
    await submit(storage, 1001, mawar, SUKAMAJU, "2026-10", {"balita_sasaran_s": 50, "balita_ditimbang_d": 60})

    bidan.send(f"/tinjau {mawar} 2026-10 perbaiki")
    await bidan.await_text("Tulis catatan")
    other.send(f"/tinjau {mawar} 2026-10 ok")
    await other.await_text("bukan wilayah Anda")
    bidan.send(f"/tinjau {mawar} 2026-09 ok")
    await bidan.await_text("Belum ada laporan Mawar bulan September 2026")
    bidan.send(f"/tinjau {mawar} 2026-10 perbaiki D lebih dari S <cek>")
    await bidan.await_text("ditandai perlu perbaikan")
    told = await kader.await_text("perlu diperbaiki")
    assert "Catatan: D lebih dari S <cek>" in told.text and "/lapor" in told.text
    review = await storage.reviews.latest(FORM, mawar, "2026-10")
    assert (review.state, review.note, review.revision, review.reviewer_role) == (
        "needs_correction",
        "D lebih dari S <cek>",
        1,
        "bidan",
    )
    assert await storage.reports.unlocked(FORM, mawar, "2026-10")  # October is locked by now: reopened

    await submit(storage, 1001, mawar, SUKAMAJU, "2026-10", {"balita_sasaran_s": 50, "balita_ditimbang_d": 45})
    bidan.send(f"/tinjau {mawar} 2026-10 ok")
    await bidan.await_text("(revisi 2) ditandai terverifikasi")
    await kader.await_text("sudah diperiksa dan terverifikasi")
    actions = [e.action for e in await storage.audit.recent(limit=10)]
    assert actions.count("report.review") == 2 and "report.unlock" in actions


async def test_kader_may_not_review(bot, server, storage, posyandu_ids):
    kader = await registered(server, storage, 1001, Role.KADER, SUKAMAJU, posyandu_id=posyandu_ids["Mawar"])
    kader.send(f"/tinjau {posyandu_ids['Mawar']} 2026-10 ok")
    await kader.await_text("bukan untuk peran Anda")


async def test_capaian_for_a_coordinator_of_a_partner_programme(bot, server, storage, posyandu_ids):
    await setup_alliance(storage)
    await import_targets(
        storage,
        forms(),
        "programme,indicator,village,kind,month,value\n"
        "sehat,partisipasi_d_s,,baseline,2026-01,60\n"
        "sehat,partisipasi_d_s,,target,2026-12,85\n",
    )
    kader = await registered(server, storage, 1001, Role.KADER, SUKAMAJU, posyandu_id=posyandu_ids["Mawar"])
    await registered(server, storage, 1002, Role.KADER, CIBIRU, posyandu_id=posyandu_ids["Anggrek"])
    await submit(
        storage, 1001, posyandu_ids["Mawar"], SUKAMAJU, "2026-11", {"balita_sasaran_s": 100, "balita_ditimbang_d": 70}
    )
    await submit(
        storage, 1002, posyandu_ids["Anggrek"], CIBIRU, "2026-11", {"balita_sasaran_s": 10, "balita_ditimbang_d": 10}
    )
    koordinator = await registered(server, storage, 1005, Role.KOORDINATOR, partner=("baznas", "sehat"))
    koordinator.send("/capaian")
    summary = await koordinator.await_text("Capaian November 2026")
    lines = summary.text.splitlines()
    assert lines[0] == "📊 Capaian November 2026 — 2 desa"  # Sukamaju and Oebobo: not Unpad's Cibiru
    assert lines[1] == "Sesuai target: 0 · Tertinggal: 1 · Belum ada data: 1"
    assert (
        "• Sukamaju — Partisipasi penimbangan (D/S): 70,0% (seharusnya 82,7%, target 85,0% pada Desember 2026)" in lines
    )
    assert "• Oebobo — Partisipasi penimbangan (D/S)" in lines
    koordinator.send("/capaian 2026-13")
    await koordinator.await_text("Cara pakai")
    kader.send("/capaian")
    await kader.await_text("bukan untuk peran Anda")


async def test_admin_manages_partners_in_the_chat(bot, server, storage):
    admin = server.user(ADMIN_ID, "Admin")
    admin.send("/mitra tambah baznas civil_society BAZNAS Kab. Bandung")
    await admin.await_text("Tersimpan")
    admin.send("/mitra program sehat Desa Sehat")
    await admin.await_text("Tersimpan")
    admin.send(f"/mitra formulir sehat {FORM}")
    await admin.await_text("Tersimpan")
    admin.send(f"/mitra gabung sehat {SUKAMAJU} 2026-01")
    await admin.await_text("Tersimpan")
    admin.send(f"/mitra peran baznas {SUKAMAJU} sponsor")
    await admin.await_text("Tidak bisa: Peran harus salah satu dari")
    admin.send(f"/mitra peran baznas {SUKAMAJU} donatur sehat")
    await admin.await_text("Tersimpan")
    admin.send(f"/mitra peran baznas {SUKAMAJU} donatur sehat")
    await admin.await_text("Tidak ada yang berubah")
    admin.send("/mitra")
    listing = await admin.await_text("Program")
    assert "baznas BAZNAS Kab. Bandung (Organisasi masyarakat sipil) — 1 desa" in listing.text
    assert f"sehat Desa Sehat — 1 desa · formulir: {FORM}" in listing.text
    admin.send("/mitra apa")
    await admin.await_text("Cara pakai /mitra")
    assert [r.role for r in await storage.partners.roles()] == ["donatur"]
    assert OEBOBO not in [m.village_code for m in await storage.partners.memberships()]
