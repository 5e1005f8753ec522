"""Kelengkapan: status per month with fills, legend, counts and clamped rates."""

import pytest
from export_sample import approx_rows, make_source, rows

from exports.model import CompletenessEntry, ReportStatus
from exports.tally import rate

HEADER_ROW = 3
GREEN, AMBER, RED = "C6EFCE", "FFEB9C", "FFC7CE"


def test_legend_row_has_the_three_colours(workbook):
    ws = workbook["Kelengkapan"]
    assert rows(ws, 2)[0] == ("Tepat waktu", "Terlambat", "Tidak lapor", "(kosong) tidak diharapkan")
    assert [ws.cell(2, column).fill.fgColor.rgb[-6:] for column in (1, 2, 3)] == [GREEN, AMBER, RED]


def test_header(workbook):
    assert rows(workbook["Kelengkapan"], HEADER_ROW)[0] == (
        "Kode desa",
        "Desa",
        "Kecamatan",
        "Posyandu",
        "Formulir",
        "Jan 2026",
        "Feb 2026",
        "Mar 2026",
        "Laporan diharapkan",
        "Laporan masuk",
        "Laporan tepat waktu",
        "Tingkat pelaporan",
        "Tingkat tepat waktu",
    )


def test_rows_per_posyandu_and_form_then_village_total(workbook):
    sukamaju = ("32.04.01.2001", "Sukamaju", "Cileunyi")
    cibiru = ("32.04.01.2002", "Cibiru Wetan", "Cileunyi")
    cipaganti = ("32.73.05.1001", "Cipaganti", "Coblong")
    total = ("Total desa", "Semua formulir")
    assert rows(workbook["Kelengkapan"], HEADER_ROW + 1) == approx_rows(
        [
            (*sukamaju, "Mawar", "Gizi Balita", "Tepat waktu", "Terlambat", "Tidak lapor", 3, 2, 1, 2 / 3, 1 / 3),
            # not expected in March: empty; the duplicate February entry counts once
            (*sukamaju, "Melati", "KIA", "Tepat waktu", "Tepat waktu", None, 2, 2, 2, 1, 1),
            (*sukamaju, *total, 1, 1, 0, 5, 4, 3, 0.8, 0.6),
            (*cibiru, "Anggrek", "Gizi Balita", "Tidak lapor", "Tidak lapor", "Terlambat", 3, 1, 0, 1 / 3, 0),
            (*cibiru, *total, 0, 0, 1, 3, 1, 0, 1 / 3, 0),
            (*cipaganti, "Dahlia", "Gizi Balita", "Tepat waktu", "Tepat waktu", "Tepat waktu", 3, 3, 3, 1, 1),
            (*cipaganti, *total, 1, 1, 1, 3, 3, 3, 1, 1),
            ("32.73.05.1002", "Lebakgede", "Coblong", *total, None, None, None, 0, 0, 0),  # no rate of nothing
        ]
    )


def test_status_cells_are_filled_by_status(workbook):
    ws = workbook["Kelengkapan"]
    fills = [ws.cell(4, column).fill.fgColor.rgb[-6:] for column in (6, 7, 8)]
    assert fills == [GREEN, AMBER, RED]
    assert ws.cell(5, 8).value is None and ws.cell(5, 8).fill.fill_type is None


def test_rates_are_percent_and_total_rows_bold(workbook):
    ws = workbook["Kelengkapan"]
    assert ws.cell(4, 12).number_format == "0.0%"
    assert ws.cell(6, 6).number_format == "0.0%"  # monthly reporting rate of the village
    assert ws.cell(6, 4).font.b and ws.cell(6, 9).font.b


def test_rates_never_exceed_one_even_with_duplicated_entries(build):
    entries = [CompletenessEntry("32.04.01.2001", "p1", "Mawar", "gizi", "2026-01", ReportStatus.ON_TIME)] * 5
    _, workbook = build(make_source(completeness=entries))
    for sheet, columns in (("Kelengkapan", (12, 13)), ("Ringkasan", (9, 10))):
        ws = workbook[sheet]
        rates = [ws.cell(row, column).value for row in range(4, ws.max_row + 1) for column in columns]
        assert all(value is None or 0 <= value <= 1 for value in rates)
        assert 1 in rates


@pytest.mark.parametrize(("part", "whole", "expected"), [(3, 4, 0.75), (5, 4, 1.0), (0, 0, None), (0, 3, 0)])
def test_rate_is_clamped_to_one(part, whole, expected):
    assert rate(part, whole) == expected
