"""The whole journey through `python bot.py run` as a process, on the Bot API double: a kader
registers, answers the monthly report (wrong answers on the way), the bot is SIGKILLed mid-report
and started again, she continues and submits; a coordinator downloads the Excel summary and finds
her numbers in it; she adds a household and updates it; a reminder round from the command line
reaches the kader who has not reported."""

from __future__ import annotations

import shutil
from io import BytesIO

import pytest
from openpyxl import load_workbook

from runtime.settings import REPO_DIR
from tests.e2e.conftest import (
    TEST_FORMS,
    VILLAGE,
    activity_date,
    answer,
    jakarta_today,
    register,
    said,
    settled,
    wait_until,
)
from tests.handlers.test_household_conversation import ANSWERS as HOUSEHOLD_ANSWERS
from tests.support.households import KEY, KK, NAME, NIK

SITI, BUDI, RINA = 1001, 2001, 1002


@pytest.fixture
def forms_dir(tmp_path):
    """The small test report form and the real household form."""
    folder = tmp_path / "forms"
    folder.mkdir()
    shutil.copy(TEST_FORMS / "uji.yaml", folder)
    shutil.copy(REPO_DIR / "forms" / "rumah_tangga.yaml", folder)
    return folder


def test_report_kill_export_household_and_reminders(world, make_bot, server, forms_dir):
    bot = make_bot(FORMS_DIR=str(forms_dir), DATA_KEY=KEY)
    siti = server.user(SITI, "Siti")
    register(siti, world.codes[0])

    # 1. The report, with wrong answers, a SIGKILL in the middle, and the rest after the restart.
    #    Until the 15th two months are open: she reports the older, the one reminders are about.
    siti.send("/lapor")
    month = siti.wait_for(lambda m: "Untuk bulan apa" in m.content or "balita sasaran" in m.content)
    if "Untuk bulan apa" in month.content:
        siti.press(0, month)
        said(siti, "balita sasaran")
    answer(siti, "lima puluh", "dengan angka")
    answer(siti, "50", "ditimbang")
    answer(siti, "60", "tidak boleh lebih dari balita sasaran")
    answer(siti, "40", "kelas ibu")
    settled(world)
    bot.kill()
    bot.start(server)
    typed_date, _ = activity_date()
    for text, expect in [
        ("ya", "peserta kelas"),
        ("12", "Berat rata-rata"),
        ("12,5", "Di mana"),
        ("2", "Layanan apa"),
        ("1, 3", "Tanggal kegiatan"),
        (typed_date, "Catatan"),
        ("/lewati", "Periksa lagi"),
    ]:
        answer(siti, text, expect)
    siti.press("Kirim")
    said(siti, "Terkirim")
    period = world.scalar("SELECT period FROM reports")
    assert world.report_values()["ditimbang"] == 40

    # 2. A coordinator of the village downloads the summary: her numbers are in it.
    [code] = world.cli("invite", "--role", "koordinator", "--village", VILLAGE).stdout.split()
    budi = server.user(BUDI, "Budi")
    register(budi, code)
    budi.send(f"/ekspor {period} {period}")  # the months typed; the only area is chosen for him
    said(budi, "Rekap sedang dibuat")
    wait_until(lambda: server.documents(BUDI), timeout=60, what="the workbook to arrive")
    [(name, content)] = server.documents(BUDI)
    assert name.endswith(".xlsx")
    workbook = load_workbook(BytesIO(content), read_only=True)
    try:
        rows = [tuple(row) for row in workbook["Data"].iter_rows(values_only=True)]
    finally:
        workbook.close()
    mawar = [row for row in rows if "Mawar" in row]
    assert any("ditimbang" in str(row) and 40 in row for row in mawar), rows[:5]
    assert any(50 in row for row in mawar) and any(12.5 in row for row in mawar)

    # 3. A household added, found by its KK number, and one field changed: a second version.
    answer(siti, "/rumahtangga", "Data rumah tangga")
    siti.press("➕ Tambah keluarga baru")
    said(siti, "setuju")
    siti.press("Ya")
    said(siti, "nomor Kartu Keluarga")
    for text, expect in [
        (KK, "NIK kepala keluarga"),
        (NIK, "nama kepala keluarga"),
        (NAME, "jenis kelamin"),
        ("1", "dusun"),
        *HOUSEHOLD_ANSWERS,
    ]:
        answer(siti, text, expect)
    siti.press("✅ Kirim")
    assert "versi 1" in said(siti, "Tersimpan").text
    answer(siti, "/rumahtangga", "Data rumah tangga")
    siti.press("🔎 Cari nomor KK")
    said(siti, "Ketik nomor KK")
    assert "Versi 1" in answer(siti, KK, NAME).text
    siti.press("✏️ Ubah data")
    said(siti, "Periksa lagi")
    answer(siti, "9", "jumlah anggota")
    answer(siti, "5", "Periksa lagi")
    siti.press("✅ Kirim")
    assert "versi 2: 1 data diubah" in said(siti, "Tersimpan").text
    assert world.scalar("SELECT COUNT(*) FROM household_versions") == 2
    settled(world)

    # 4. A reminder round from the command line, while the bot runs: the kader of Melati, who sent
    #    nothing, is reminded; Siti, who sent her report, is not.
    melati = int(world.scalar("SELECT id FROM posyandu WHERE name = 'Melati'"))
    [code] = world.cli("invite", "--role", "kader", "--village", VILLAGE, "--posyandu", melati).stdout.split()
    rina = server.user(RINA, "Rina")
    register(rina, code)
    if jakarta_today().day > 15:
        pytest.skip("reminders: after the 15th no month of the test form is open to remind about")
    result = world.cli("remind", "--now").stdout
    assert "sent 1" in result, result
    reminder = said(rina, "Pengingat laporan")
    assert "Laporan Uji" in reminder.text and "Melati" in reminder.text
    assert not [m for m in siti.messages if "Pengingat laporan" in m.text]
