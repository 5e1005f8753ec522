"""The partner and MEL sheets of a real export (database -> workbook), checked cell by cell."""

import asyncio
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from domain.roles import Role
from exports import build_workbook
from exports.model import Generator, Selection
from features.exporting.source import StorageExportSource
from features.partners.service import import_targets
from tests.exports.export_sample import rows
from tests.partners.support import CIBIRU, OEBOBO, SUKAMAJU, forms, person, setup_alliance

FORM = "posyandu_bulanan"
TARGETS = """programme,indicator,village,kind,month,value
sehat,partisipasi_d_s,,baseline,2026-01,60
sehat,partisipasi_d_s,,target,2026-12,85
sehat,partisipasi_d_s,32.04.12.2002,target,2026-12,70
"""
RULE = "d_dua_kali_bulan_lalu"


async def submit(storage, clock, user, posyandu_id, village, period, answers, confirmed=None, day=3):
    clock.set(datetime(2026, 11, day, 3, 0, tzinfo=UTC))
    draft = await storage.reports.open_draft(FORM, posyandu_id, period, user.telegram_id)
    for question, rules in (confirmed or {}).items():
        await storage.reports.save_answer(draft.id, question, answers[question], confirmed=rules)
    draft = await storage.reports.draft(draft.id)
    return await storage.reports.submit(draft, user, village, answers)


@pytest.fixture
async def workbook(storage, clock, posyandu_ids, tmp_path):
    await setup_alliance(storage)
    await import_targets(storage, forms(), TARGETS)
    kader = await person(storage, 1001, Role.KADER, SUKAMAJU, posyandu_id=posyandu_ids["Mawar"])
    cibiru = await person(storage, 1002, Role.KADER, CIBIRU, posyandu_id=posyandu_ids["Anggrek"])
    bidan = await person(storage, 1003, Role.BIDAN, SUKAMAJU)
    mawar = posyandu_ids["Mawar"]
    await submit(storage, clock, kader, mawar, SUKAMAJU, "2026-09", {"balita_sasaran_s": 100, "balita_ditimbang_d": 40})
    await submit(
        storage,
        clock,
        kader,
        mawar,
        SUKAMAJU,
        "2026-10",
        {"balita_sasaran_s": 100, "balita_ditimbang_d": 85},
        confirmed={"balita_ditimbang_d": [RULE]},
    )
    await submit(storage, clock, kader, mawar, SUKAMAJU, "2026-11", {"balita_sasaran_s": 100, "balita_ditimbang_d": 85})
    await submit(
        storage,
        clock,
        cibiru,
        posyandu_ids["Anggrek"],
        CIBIRU,
        "2026-11",
        {"balita_sasaran_s": 20, "balita_ditimbang_d": 12},
    )
    clock.set(datetime(2026, 11, 10, 2, 0, tzinfo=UTC))
    await storage.reviews.review(FORM, mawar, "2026-10", "verified", "", bidan)
    await storage.reviews.review(FORM, mawar, "2026-11", "needs_correction", "=D sama dengan Oktober?", bidan)
    await submit(
        storage, clock, kader, mawar, SUKAMAJU, "2026-11", {"balita_sasaran_s": 100, "balita_ditimbang_d": 86}, day=11
    )  # revised after the review
    selection = Selection(
        periods=("2026-10", "2026-11"),
        scope_label="Uji",
        generated_at=datetime(2026, 11, 23, 10, 0),
        generated_by=Generator("admin", "Uji"),
    )
    source = await StorageExportSource.load(storage, forms(), selection, [SUKAMAJU, CIBIRU, OEBOBO])
    path = tmp_path / "mel.xlsx"
    await asyncio.to_thread(build_workbook, source, path)
    return load_workbook(path)


def test_sheets_come_before_keterangan(workbook):
    assert workbook.sheetnames[-5:] == ["Capaian", "Mitra", "Kualitas Data", "Tinjauan", "Keterangan"]


def test_capaian_cell_by_cell(workbook):
    ws = workbook["Capaian"]
    assert ws["A1"].value == "Capaian terhadap target — Uji — Oktober 2026 s.d. November 2026"
    assert rows(ws, 3)[0] == (
        "Kode desa",
        "Desa",
        "Kecamatan",
        "Program",
        "ID indikator",
        "Indikator",
        "Satuan",
        "Baseline",
        "Bulan baseline",
        "Target",
        "Bulan target",
        "Seharusnya (Nov 2026)",
        "Nilai (Nov 2026)",
        "Status capaian",
    )
    got = rows(ws, 4)
    label = "Partisipasi penimbangan (D/S)"
    assert [row[:11] for row in got] == [
        (
            SUKAMAJU,
            "Sukamaju",
            "Cileunyi",
            "Desa Sehat",
            "partisipasi_d_s",
            label,
            "%",
            0.6,
            "Jan 2026",
            0.85,
            "Des 2026",
        ),
        (
            CIBIRU,
            "Cibiru Wetan",
            "Cileunyi",
            "Desa Sehat",
            "partisipasi_d_s",
            label,
            "%",
            0.6,
            "Jan 2026",
            0.7,
            "Des 2026",
        ),
        (OEBOBO, "Oebobo", "Oebobo", "Desa Sehat", "partisipasi_d_s", label, "%", 0.6, "Jan 2026", 0.85, "Des 2026"),
    ]
    expected = [0.6 + 0.25 * 10 / 11, 0.6 + 0.1 * 10 / 11, 0.6 + 0.25 * 10 / 11]
    assert [row[11] for row in got] == pytest.approx(expected)
    assert [row[12] for row in got] == [0.86, 0.6, None]
    assert [row[13] for row in got] == ["Sesuai target", "Tertinggal", "Belum ada data"]
    assert ws["L4"].number_format == "0.0%" and ws["N5"].fill.start_color.rgb.endswith("FFC7CE")


def test_mitra_cell_by_cell(workbook):
    ws = workbook["Mitra"]
    assert rows(ws, 3) == [
        ("Kode desa", "Desa", "Kecamatan", "Mitra", "Jenis mitra", "Peran", "Program"),
        (
            SUKAMAJU,
            "Sukamaju",
            "Cileunyi",
            "BAZNAS Kab. Bandung",
            "Organisasi masyarakat sipil",
            "Donatur",
            "Semua program",
        ),
        (
            SUKAMAJU,
            "Sukamaju",
            "Cileunyi",
            "BAZNAS Kab. Bandung",
            "Organisasi masyarakat sipil",
            "Penggerak masyarakat",
            "Semua program",
        ),
        (
            CIBIRU,
            "Cibiru Wetan",
            "Cileunyi",
            "Universitas Padjadjaran",
            "Akademisi",
            "Pembimbing teknis",
            "Semua program",
        ),
        (OEBOBO, "Oebobo", "Oebobo", "BAZNAS Kab. Bandung", "Organisasi masyarakat sipil", "Fasilitator", "Desa Sehat"),
    ]


def test_kualitas_data_cell_by_cell(workbook):
    ws = workbook["Kualitas Data"]
    assert ws["A2"].value.startswith("Kualitas data: nilai yang melanggar aturan lunak")
    message = next(r.message.id for r in forms()[FORM].rules if r.id == RULE)
    form = "Laporan Bulanan Posyandu"
    weighed = "Berapa balita yang ditimbang bulan ini (D)?"
    got = rows(ws, 3)
    assert got[0] == (
        "Kode desa",
        "Desa",
        "Kecamatan",
        "Posyandu",
        "Formulir",
        "Periode",
        "Catatan kualitas",
        "ID indikator",
        "Indikator",
        "Nilai bulan sebelumnya",
        "Nilai",
        "Rincian",
    )
    # September is outside the selection but is compared with October
    assert [row[:8] + row[9:] for row in got[1:]] == [
        (
            SUKAMAJU,
            "Sukamaju",
            "Cileunyi",
            "Mawar",
            form,
            "2026-10",
            "Aturan lunak dilanggar, dikonfirmasi",
            "balita_ditimbang_d",
            None,
            85,
            message,
        ),
        (SUKAMAJU, "Sukamaju", "Cileunyi", "Mawar", form, "2026-10", "Lonjakan", "balita_ditimbang_d", 40, 85),
    ]
    assert got[1][8] == got[2][8] == weighed


def test_tinjauan_cell_by_cell(workbook):
    ws = workbook["Tinjauan"]
    form = "Laporan Bulanan Posyandu"
    assert rows(ws, 3) == [
        (
            "Kode desa",
            "Desa",
            "Kecamatan",
            "Posyandu",
            "Formulir",
            "Periode",
            "Revisi ditinjau",
            "Status tinjauan",
            "Catatan tinjauan",
            "Peninjau (peran)",
            "Ditinjau pada",
            "Sudah direvisi",
        ),
        (
            SUKAMAJU,
            "Sukamaju",
            "Cileunyi",
            "Mawar",
            form,
            "2026-10",
            1,
            "Terverifikasi",
            None,
            "bidan",
            datetime(2026, 11, 10, 9, 0),
        ),
        (
            SUKAMAJU,
            "Sukamaju",
            "Cileunyi",
            "Mawar",
            form,
            "2026-11",
            1,
            "Perlu perbaikan",
            "=D sama dengan Oktober?",
            "bidan",
            datetime(2026, 11, 10, 9, 0),
            "Ya",
        ),
    ]
    assert ws["I5"].data_type == "s"  # a note that looks like a formula stays text


def test_ringkasan_and_keterangan(workbook):
    ws = workbook["Ringkasan"]
    header = rows(ws, 3)[0]
    assert header[-2:] == ("Indikator sesuai target", "Indikator tertinggal")
    assert [row[-2:] for row in rows(ws, 4)] == [(1, 0), (0, 1), (0, 0)]
    notes = [row[0] for row in rows(workbook["Keterangan"], 1) if row]
    assert "Capaian dan kualitas data" in notes
    assert any(str(text).startswith("Nilai seharusnya pada bulan M ada pada garis lurus") for text in notes)
    assert any(str(text).startswith("Sesuai target: nilai desa sudah mencapai") for text in notes)
