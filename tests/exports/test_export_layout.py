"""Workbook-wide rules: sheet names, panes, filters, widths, row limit, language, output."""

import io
import zipfile

import pytest
from export_sample import make_selection, make_source, rows
from openpyxl import load_workbook

from exports import build_workbook
from exports.table import MAX_SHEET_TITLE

SHEETS = [
    "Ringkasan",
    "Grafik",
    "Indikator",
    "Kelengkapan",
    "Rumah Tangga",
    "Rumah Tangga per Bulan",
    "Daftar Rumah Tangga",
    "Data",
    "Keterangan",
]
# sheet: (frozen pane, auto filter) for the fixture
TABLES = {
    "Ringkasan": ("C4", "A3:N7"),
    "Indikator": ("C4", "A3:J51"),
    "Kelengkapan": ("C4", "A3:M11"),
    "Rumah Tangga": ("C4", "A3:F7"),
    "Rumah Tangga per Bulan": ("C4", "A3:I15"),
    "Daftar Rumah Tangga": ("B4", "A3:H6"),
    "Data": ("A2", "A1:O18"),
}


def test_sheet_names_and_order(workbook):
    assert workbook.sheetnames == SHEETS
    assert all(len(name) <= MAX_SHEET_TITLE for name in workbook.sheetnames)


@pytest.mark.parametrize("sheet", TABLES)
def test_tables_have_frozen_header_and_auto_filter(workbook, sheet):
    ws = workbook[sheet]
    assert (ws.freeze_panes, ws.auto_filter.ref) == TABLES[sheet]


@pytest.mark.parametrize("sheet", TABLES)
def test_every_column_has_a_width(workbook, sheet):
    ws = workbook[sheet]
    header_row = int(TABLES[sheet][1].split(":")[0][1:])
    for cell in ws[header_row]:
        assert ws.column_dimensions[cell.column_letter].width >= 6, cell.coordinate
        assert cell.font.b


def test_stats_count_data_rows_and_bytes(tmp_path):
    path = tmp_path / "export.xlsx"
    stats = build_workbook(make_source(), path)
    assert {sheet: count for sheet, count in stats.rows.items() if sheet in TABLES} == {
        "Ringkasan": 4,
        "Indikator": 48,
        "Kelengkapan": 8,
        "Rumah Tangga": 4,
        "Rumah Tangga per Bulan": 12,
        "Daftar Rumah Tangga": 3,
        "Data": 17,
    }
    assert stats.rows["Grafik"] == 3
    assert stats.bytes == path.stat().st_size


def test_writes_to_a_binary_file():
    buffer = io.BytesIO()
    stats = build_workbook(make_source(), buffer)
    assert stats.bytes == len(buffer.getvalue())
    assert zipfile.ZipFile(buffer).testzip() is None
    assert load_workbook(buffer).sheetnames == SHEETS


def test_tables_continue_on_numbered_sheets_past_the_row_limit(build):
    _, whole = build(make_source())
    stats, split = build(make_source(), max_rows=6)
    data_sheets = [name for name in split.sheetnames if name.startswith("Data")]
    assert data_sheets == ["Data", "Data (2)", "Data (3)", "Data (4)"]
    continued = []
    for name in data_sheets:
        ws = split[name]
        assert ws.max_row <= 6
        assert rows(ws, 1)[0] == rows(whole["Data"], 1)[0]  # the header is repeated
        assert (ws.freeze_panes, ws.auto_filter.ref) == ("A2", f"A1:O{ws.max_row}")
        continued += rows(ws, 2)
    assert continued == rows(whole["Data"], 2)
    assert sum(stats.rows[name] for name in data_sheets) == 17


def test_continued_sheets_follow_their_first_sheet(build):
    _, split = build(make_source(), max_rows=6)
    bases = [name.split(" (")[0] for name in split.sheetnames]
    assert list(dict.fromkeys(bases)) == SHEETS  # each family is contiguous, in the usual order
    assert "Indikator (16)" in split.sheetnames  # 48 rows, 3 per sheet under the title and header
    assert all(len(name) <= MAX_SHEET_TITLE for name in split.sheetnames)
    indicator_rows = [row for name in split.sheetnames if name.startswith("Indikator") for row in rows(split[name], 4)]
    assert len(indicator_rows) == 48


def test_a_row_limit_without_room_for_data_is_refused():
    with pytest.raises(ValueError):
        build_workbook(make_source(), io.BytesIO(), max_rows=3)


@pytest.mark.parametrize(
    ("language", "months", "title", "status"),
    [
        (
            "id",
            ("Mar 2026", "Mei 2026", "Agu 2026"),
            "Ringkasan per desa — Kabupaten Bandung — Maret 2026 s.d. Agustus 2026",
            "Tepat waktu",
        ),
        (
            "en",
            ("Mar 2026", "May 2026", "Aug 2026"),
            "Summary per village — Kabupaten Bandung — March 2026 to August 2026",
            "On time",
        ),
    ],
)
def test_language_of_labels_and_month_names(build, language, months, title, status):
    selection = make_selection(periods=("2026-03", "2026-05", "2026-08"), language=language)
    _, workbook = build(make_source(selection))
    assert workbook.sheetnames == SHEETS  # sheet names stay Indonesian
    assert workbook["Ringkasan"]["A1"].value == title
    assert rows(workbook["Indikator"], 3)[0][-3:] == months
    assert workbook["Kelengkapan"]["A2"].value == status


def test_english_headers(build):
    _, workbook = build(make_source(make_selection(language="en")))
    assert rows(workbook["Data"], 1)[0][:6] == (
        "Period",
        "Province",
        "Regency/City",
        "District",
        "Village code",
        "Village",
    )
    assert workbook["Keterangan"]["A3"].value == "Export selection"
