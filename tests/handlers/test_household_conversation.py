"""/rumahtangga through a real Application and the local Bot API: add, find (KK, name, RT/RW),
change a few fields, validations, the duplicate KK, moved/dissolved, location, access per role,
and the database file without identity numbers in clear text."""

import logging
from pathlib import Path

import pytest

from domain.households import Status
from domain.models import ScopeEntry
from domain.roles import Role
from storage import Storage
from tests.handlers.test_report_conversation import answer, said
from tests.support.harness import make_settings, running_bot, seed
from tests.support.households import KEY, KK, NAME, NIK, VILLAGE, full_answers, store_household

NIK_FEMALE = "3204125508850004"  # day 55 = 15 + 40


@pytest.fixture
async def hstorage(settings, clock):
    store = await Storage.open(settings.database_path, clock, data_key=KEY)
    yield store
    await store.close()


@pytest.fixture
async def hbot(server, tmp_path, hstorage, clock):
    ids = await seed(hstorage)
    settings = make_settings(tmp_path, server, data_key=KEY)
    async with running_bot(server, settings, hstorage, clock) as application:
        application.bot_data["posyandu"] = ids
        yield application


async def register(server, storage, user_id, role=Role.KADER, area=VILLAGE, posyandu_id=None):
    if role is Role.KADER and posyandu_id is None:
        posyandu_id = (await storage.areas.posyandu_in(VILLAGE))[0].id
    [code] = await storage.users.create_invitations(role, [ScopeEntry(area_code=area, posyandu_id=posyandu_id)])
    person = server.user(user_id, "Siti")
    person.send(f"/start {code}")
    await said(person, "terdaftar")
    return person


ANSWERS = [  # typed answer -> what the next question says
    ("Krajan", "RT berapa"),
    ("4", "RW berapa"),
    ("13", "jumlah anggota"),
    ("4", "anak balita"),
    ("1", "baduta"),
    ("1", "ibu hamil"),
    ("0", "remaja putri"),
    ("1", "lansia"),
    ("0", "disabilitas"),
    ("0", "pasangan suami-istri"),
    ("ya", "umur istri"),
    ("28", "anak kandung"),
    ("2", "jarak umur"),
    ("tidak", "sumber air minum"),
    ("2", "buang air besar"),
    ("1", "jenis kloset"),
    ("1", "Ke mana kotoran"),
    ("1", "sumber penerangan"),
    ("1", "daya listrik"),
    ("2", "Lantai rumah"),
    ("2", "Dinding"),
    ("1", "Atap"),
    ("2", "luas lantai"),
    ("48", "pendapatan"),
    ("2", "desil"),
    ("3", "Dari data mana"),
    ("1", "tanggal berapa"),
    ("/lewati", "Bantuan sosial"),
    ("1", "Periksa lagi"),
]


async def fill_new(person, kk=KK, nik=NIK, name=NAME):
    person.press("➕ Tambah keluarga baru")
    await said(person, "setuju")
    person.press("Ya")
    await said(person, "nomor Kartu Keluarga")
    await answer(person, kk, "NIK kepala keluarga")
    await answer(person, nik, "nama kepala keluarga")
    await answer(person, name, "jenis kelamin")
    await answer(person, "1", "dusun")
    for text, expect in ANSWERS[:-1]:
        await answer(person, text, expect)
    return await answer(person, *ANSWERS[-1])


async def open_menu(person, command="/rumahtangga"):
    return await answer(person, command, "Data rumah tangga")


# -- add ----------------------------------------------------------------------------------------
async def test_add_a_household_in_the_chat(hbot, server, hstorage):
    siti = await register(server, hstorage, 1001)
    await open_menu(siti)
    review = await fill_new(siti)
    assert NAME in review.text and KK in review.text and "Leding" in review.text
    siti.press("✅ Kirim")
    saved = await said(siti, "Tersimpan")
    assert "versi 1" in saved.text
    household = await hstorage.households.find_by_kk(VILLAGE, KK)
    assert household.answers == full_answers()
    assert household.status is Status.ACTIVE and household.rt == "004" and household.rw == "013"
    assert await hstorage.households.draft_of(1001) is None and await hstorage.reports.session(1001) is None
    [entry] = await hstorage.audit.recent(action="household.add")
    assert entry.subject == household.pseudonym and entry.actor_id == 1001
    assert KK not in str(entry.details) and NAME not in str(entry.details)


# -- find and update ----------------------------------------------------------------------------
async def test_find_by_kk_and_change_only_one_field(hbot, server, hstorage):
    siti = await register(server, hstorage, 1001)
    await store_household(hstorage, 1001)
    await open_menu(siti)
    siti.press("🔎 Cari nomor KK")
    await said(siti, "Ketik nomor KK")
    await answer(siti, "3204 1215 0318 0009", "Tidak ditemukan")
    siti.press("🔎 Cari nomor KK")
    await said(siti, "Ketik nomor KK")
    card = await answer(siti, "3204-1215-0318-0007", NAME)
    assert NIK in card.text and "RT 004 / RW 013" in card.text and "Versi 1" in card.text
    siti.press("✏️ Ubah data")
    review = await said(siti, "Periksa lagi")
    assert "Tekan nomor data" in review.text
    await answer(siti, "9", "jumlah anggota")
    await answer(siti, "5", "Periksa lagi")
    siti.press("✅ Kirim")
    saved = await said(siti, "Tersimpan")
    assert "versi 2: 1 data diubah" in saved.text
    household = await hstorage.households.find_by_kk(VILLAGE, KK)
    assert household.answers == full_answers(jumlah_anggota=5)
    versions = await hstorage.households.versions(household.id)
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["changed"] == ["jumlah_anggota"] and versions[1]["saved_by"] == 1001
    assert await hstorage.households.version_answers(household.id, 1) == full_answers()  # kept, not overwritten


async def test_nothing_changed_makes_no_version(hbot, server, hstorage):
    siti = await register(server, hstorage, 1001)
    saved = await store_household(hstorage, 1001)
    await open_menu(siti)
    siti.press("📋 Daftar per RT/RW")
    await said(siti, "Ketik RT/RW")
    await answer(siti, "4/13", "Pilih")
    siti.press(f"{NAME} · RT 004/RW 013")
    await said(siti, "Versi 1")
    siti.press("✏️ Ubah data")
    await said(siti, "Periksa lagi")
    siti.press("✅ Kirim")
    await said(siti, "Tidak ada yang berubah")
    assert len(await hstorage.households.versions(saved.household_id)) == 1


async def test_find_by_name_is_tolerant(hbot, server, hstorage):
    siti = await register(server, hstorage, 1001)
    await store_household(hstorage, 1001)
    await store_household(hstorage, 1001, kk="3204121503180015", name="Siti Aminah")
    await open_menu(siti)
    siti.press("🔎 Cari nama kepala keluarga")
    await said(siti, "Ketik nama")
    found = await answer(siti, "budi santosa", "Ditemukan 1")
    assert found.button_texts[0].startswith(NAME)
    siti.press(found.button_texts[0])
    await said(siti, "Versi 1")


async def test_rt_rw_list_is_paged(hbot, server, hstorage):
    siti = await register(server, hstorage, 1001)
    for serial in range(1, 11):
        await store_household(
            hstorage,
            1001,
            kk=f"3204121503180{serial:03d}",
            name=f"Warga Nomor {serial}",
            rt="002" if serial % 2 else "003",
        )
    await open_menu(siti)
    siti.press("📋 Daftar per RT/RW")
    await said(siti, "Ketik RT/RW")
    page = await answer(siti, "13", "1–8 dari 10")
    assert sum(1 for b in page.button_texts if "RW 013" in b) == 8
    siti.press("Berikutnya ▶️")
    page = await said(siti, "9–10 dari 10")
    siti.press("◀️ Sebelumnya")
    await said(siti, "1–8 dari 10")
    siti.press("⬅️ Menu")
    await said(siti, "Data rumah tangga")
    siti.press("📋 Daftar per RT/RW")
    await said(siti, "Ketik RT/RW")
    await answer(siti, "2/13", "1–5 dari 5")


# -- validations and the duplicate KK -----------------------------------------------------------
async def test_identity_validations_and_soft_warnings(hbot, server, hstorage):
    siti = await register(server, hstorage, 1001)
    await open_menu(siti)
    siti.press("➕ Tambah keluarga baru")
    await said(siti, "setuju")
    siti.press("Ya")
    await said(siti, "nomor Kartu Keluarga")
    await answer(siti, "320412150318000", "harus 16 angka")
    await answer(siti, "3273011503180009", "kabupaten/kota lain")  # Kota Bandung, not Kab. Bandung: a warning
    siti.press("Ya, benar")
    await said(siti, "NIK kepala keluarga")
    await answer(siti, "3204123208850003", "Tanggal lahir di dalam NIK")  # day 32
    await answer(siti, "3204121513850003", "Tanggal lahir di dalam NIK")  # month 13
    await answer(siti, NIK_FEMALE, "nama kepala keluarga")
    await answer(siti, "Sri Wahyuni", "jenis kelamin")
    await answer(siti, "1", "tidak sama dengan NIK")  # L, but the NIK says a woman
    siti.press("✏️ Ubah")
    await said(siti, "jenis kelamin")
    await answer(siti, "2", "dusun")
    for text, expect in ANSWERS[:4]:
        await answer(siti, text, expect)
    await answer(siti, "4", "harus lebih kecil dari jumlah anggota")  # 4 under-fives in a family of 4
    draft = await hstorage.households.draft_of(1001)
    assert draft.answers["no_kk"] == "3273011503180009" and draft.confirmed == {"no_kk": ["no_kk_wilayah"]}
    assert draft.answers["jenis_kelamin_kk"] == "p" and "jumlah_balita" not in draft.answers


async def test_a_registered_kk_offers_the_existing_household(hbot, server, hstorage):
    siti = await register(server, hstorage, 1001)
    await store_household(hstorage, 1001)
    await open_menu(siti)
    siti.press("➕ Tambah keluarga baru")
    await said(siti, "setuju")
    siti.press("Ya")
    await said(siti, "nomor Kartu Keluarga")
    offer = await answer(siti, KK, "sudah terdaftar")
    assert NAME in offer.text
    siti.press("✏️ Ubah nomor KK")
    await said(siti, "nomor Kartu Keluarga")
    await answer(siti, KK, "sudah terdaftar")
    siti.press("📂 Buka data itu")
    await said(siti, "Versi 1")
    assert await hstorage.households.draft_of(1001) is None
    assert len(await hstorage.households.in_area(VILLAGE, None, None)) == 2  # (list, total)
    assert (await hstorage.households.in_area(VILLAGE, None, None))[1] == 1


# -- status, location ---------------------------------------------------------------------------
async def test_mark_moved_then_active_again_keeps_every_version(hbot, server, hstorage):
    siti = await register(server, hstorage, 1001)
    saved = await store_household(hstorage, 1001)
    await open_menu(siti)
    siti.press("🔎 Cari nomor KK")
    await said(siti, "Ketik nomor KK")
    await answer(siti, KK, "Versi 1")
    siti.press("🚚 Tandai pindah")
    await said(siti, "Datanya tetap tersimpan")
    siti.press("Ya, tandai")
    card = await said(siti, "Status disimpan")
    assert "pindah" in card.text and "✏️ Ubah data" not in card.button_texts
    siti.press("✅ Aktifkan lagi")
    await said(siti, "Datanya tetap tersimpan")
    siti.press("Ya, tandai")
    await said(siti, "Status disimpan")
    versions = await hstorage.households.versions(saved.household_id)
    assert [(v["version"], v["status"], v["changed"]) for v in versions] == [
        (1, "active", []),
        (2, "moved", ["status"]),
        (3, "active", ["status"]),
    ]
    actions = [e.action for e in await hstorage.audit.recent(limit=5)]
    assert actions[:2] == ["household.active", "household.moved"]


async def test_dissolved_household_is_kept(hbot, server, hstorage):
    siti = await register(server, hstorage, 1001)
    saved = await store_household(hstorage, 1001)
    user = await hstorage.users.get(1001)
    await hstorage.households.set_status(saved.household_id, Status.DISSOLVED, user)
    household = await hstorage.households.get(saved.household_id)
    assert household.status is Status.DISSOLVED and household.answers == full_answers()
    await open_menu(siti)
    siti.press("📋 Daftar per RT/RW")
    await said(siti, "Ketik RT/RW")
    listing = await answer(siti, "*", "1–1 dari 1")
    assert "(bubar)" in listing.button_texts[0]


async def test_share_the_house_location(hbot, server, hstorage):
    siti = await register(server, hstorage, 1001)
    await store_household(hstorage, 1001)
    await open_menu(siti)
    siti.press("🔎 Cari nomor KK")
    await said(siti, "Ketik nomor KK")
    await answer(siti, KK, "Lokasi: belum ada")
    siti.press("✏️ Ubah data")
    await said(siti, "Periksa lagi")
    siti.send_location(51.5, -0.12)
    await said(siti, "di luar Indonesia")
    siti.send_location(-6.9175, 107.6191)
    await said(siti, "Lokasi rumah disimpan")
    siti.press("✅ Kirim")
    saved = await said(siti, "Tersimpan")
    assert "1 data diubah" in saved.text
    household = await hstorage.households.find_by_kk(VILLAGE, KK)
    assert household.location == {"lat": -6.9175, "lon": 107.6191}


# -- access per role ----------------------------------------------------------------------------
async def test_coordinator_sees_a_pseudonym_until_granted_full_access(hbot, server, hstorage):
    await register(server, hstorage, 1001)
    saved = await store_household(hstorage, 1001)
    koordinator = await register(server, hstorage, 3001, Role.KOORDINATOR, area="32.04")
    menu = await open_menu(koordinator, f"/rumahtangga {VILLAGE}")
    assert "➕ Tambah keluarga baru" not in menu.button_texts
    assert "🔎 Cari nama kepala keluarga" not in menu.button_texts
    koordinator.press("🔎 Cari nomor KK")
    await said(koordinator, "Ketik nomor KK")
    card = await answer(koordinator, KK, saved.pseudonym)
    assert "…0007" in card.text and KK not in card.text and NAME not in card.text and NIK not in card.text
    assert "✏️ Ubah data" not in card.button_texts and "🚚 Tandai pindah" not in card.button_texts
    assert await hstorage.households.set_full_access(3001, True, actor_id=9000)
    koordinator.press("⬅️ Menu")
    menu = await said(koordinator, "Data rumah tangga")
    assert "🔎 Cari nama kepala keluarga" in menu.button_texts
    koordinator.press("🔎 Cari nomor KK")
    await said(koordinator, "Ketik nomor KK")
    card = await answer(koordinator, KK, NAME)
    assert NIK in card.text and "✏️ Ubah data" not in card.button_texts
    [grant] = await hstorage.audit.recent(action="access.grant")
    assert grant.subject == "3001" and grant.actor_id == 9000


async def test_coordinator_outside_the_area_and_other_roles_cannot_look(hbot, server, hstorage):
    await register(server, hstorage, 1001)
    await store_household(hstorage, 1001)
    outsider = await register(server, hstorage, 3002, Role.KOORDINATOR, area="53.71")
    await answer(outsider, f"/rumahtangga {VILLAGE}", "Ketik kode desanya")
    perangkat = await register(server, hstorage, 3003, Role.PERANGKAT_DESA)
    await answer(perangkat, "/rumahtangga", "bukan untuk peran Anda")
    other_kader = await register(
        server,
        hstorage,
        3004,
        Role.KADER,
        area="32.04.12.2002",
        posyandu_id=(await hstorage.areas.posyandu_in("32.04.12.2002"))[0].id,
    )
    await open_menu(other_kader)
    other_kader.press("🔎 Cari nomor KK")
    await said(other_kader, "Ketik nomor KK")
    await answer(other_kader, KK, "Tidak ditemukan")  # another village's household


async def test_household_menu_waits_while_a_report_is_open(hbot, server, hstorage):
    siti = await register(server, hstorage, 1001)
    siti.send("/lapor")
    choose = await said(siti, "Laporan apa")
    siti.press(choose.button_texts[0])
    await said(siti, "📋")
    await answer(siti, "/rumahtangga", "sedang mengisi")
    siti.send("/batal")
    await said(siti, "Dihentikan")
    await open_menu(siti)
    siti.send("/batal")
    await said(siti, "/rumahtangga untuk melanjutkan")


# -- at rest ------------------------------------------------------------------------------------
async def test_the_database_files_hold_no_identity_in_clear_text(hbot, server, hstorage, settings):
    siti = await register(server, hstorage, 1001)
    await store_household(hstorage, 1001)
    await open_menu(siti)
    siti.press("➕ Tambah keluarga baru")  # a draft in progress holds identities too
    await said(siti, "setuju")
    siti.press("Ya")
    await said(siti, "nomor Kartu Keluarga")
    await answer(siti, "3204121503180023", "NIK kepala keluarga")
    await answer(siti, "3204124101900002", "nama kepala keluarga")
    await answer(siti, "Wulandari Kusuma", "jenis kelamin")
    ani = await register(server, hstorage, 1002, Role.BIDAN)  # a KK from another regency waits for "yes"
    await open_menu(ani)
    ani.press("➕ Tambah keluarga baru")
    await said(ani, "setuju")
    ani.press("Ya")
    await said(ani, "nomor Kartu Keluarga")
    await answer(ani, OTHER_REGENCY_KK, "kabupaten/kota lain")
    assert (await hstorage.reports.session(1002)).pending["value"] == OTHER_REGENCY_KK  # read back decrypted
    notes = await death_notes(hstorage, 1002)  # the maternal and infant death notes of a KIA report
    backup = Path(settings.backup_dir) / "copy.sqlite3"
    await hstorage.db.backup_to(backup)
    path = Path(settings.database_path)
    stored = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert len(stored) > 10_000
    for where, content in (("database and WAL", stored), ("backup", backup.read_bytes())):
        for secret in (KK, NIK, NAME, "3204121503180023", "3204124101900002", "Wulandari Kusuma", OTHER_REGENCY_KK):
            for encoding in ("utf-8", "utf-16-le"):
                assert secret.encode(encoding) not in content, (where, secret)
        for note in notes:
            for encoding in ("utf-8", "utf-16-le"):
                assert note.encode(encoding) not in content, (where, note)
        assert b"Krajan" in content  # non-sensitive answers are stored in clear (the check can see text)


OTHER_REGENCY_KK = "3273011503180009"  # Kota Bandung, the village is in Kabupaten Bandung
NOTES = {
    "kematian_ibu_catatan": "umur 31, 12 November, di rumah, perdarahan setelah bersalin",
    "kematian_bayi_catatan": "umur 3 hari, 14 November, di Puskesmas, lahir kurang bulan",
}


async def death_notes(storage, bidan_id):
    """A KIA report with both death notes (sent, revised with a changed note) and a draft of the
    next month with a note typed: every place a note is stored. Returns the notes' texts."""
    posyandu = (await storage.areas.posyandu_in(VILLAGE))[0]
    bidan = await storage.users.get(bidan_id)
    answers = {"kematian_ibu": 1, "kematian_bayi": 1, **NOTES}
    draft = await storage.reports.open_draft("kia_bulanan", posyandu.id, "2026-10", bidan_id)
    for question, value in answers.items():
        await storage.reports.save_answer(draft.id, question, value)
    draft = await storage.reports.draft(draft.id)
    assert draft.answers == answers  # read back decrypted
    await storage.reports.submit(draft, bidan, VILLAGE, answers)
    revised = {**answers, "kematian_bayi_catatan": "umur 3 hari, 14 November, di RSUD, infeksi tali pusat"}
    draft = await storage.reports.open_draft("kia_bulanan", posyandu.id, "2026-10", bidan_id, prefill=revised)
    submitted = await storage.reports.submit(draft, bidan, VILLAGE, revised, update_id=777)
    assert submitted.changes == {
        "kematian_bayi_catatan": (NOTES["kematian_bayi_catatan"], revised["kematian_bayi_catatan"])
    }
    assert await storage.reports.latest("kia_bulanan", posyandu.id, "2026-10") == revised
    assert (await storage.reports.submitted_by_update(777)).answers == revised  # the receipt's values
    [_, second] = await storage.reports.revisions("kia_bulanan", posyandu.id, "2026-10")
    assert second["changes"] == {k: list(v) for k, v in submitted.changes.items()}
    draft = await storage.reports.open_draft("kia_bulanan", posyandu.id, "2026-11", bidan_id)
    await storage.reports.save_answer(draft.id, "kematian_ibu_catatan", "umur 25, 20 November, di jalan, eklampsia")
    return [*NOTES.values(), revised["kematian_bayi_catatan"], "umur 25, 20 November, di jalan, eklampsia"]


@pytest.mark.parametrize("action", ["o", "ed", "st", "sy", "pg"])
async def test_an_oversized_household_id_in_button_data_breaks_nothing(hbot, server, hstorage, caplog, action):
    siti = await register(server, hstorage, 1001)
    await open_menu(siti)
    session = await hstorage.reports.session(1001)
    arg = "9" * 25 + (".m" if action in ("st", "sy") else "")
    with caplog.at_level(logging.ERROR):
        siti.press_data(f"h:{session.nonce}:{action}:{arg}")
        reply = await said(siti, "Data rumah tangga")  # back at the menu, no fault
    assert "gangguan" not in reply.text
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
