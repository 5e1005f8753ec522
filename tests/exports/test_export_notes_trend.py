"""Keterangan (definitions, selection, legend) and Grafik (the trend chart)."""

from datetime import datetime

from export_sample import HOUSEHOLD_INDICATORS, INDICATORS, approx_rows, rows
from openpyxl.chart import LineChart


def find_row(ws, first_cell: str) -> int:
    return next(row for row in range(1, ws.max_row + 1) if ws.cell(row, 1).value == first_cell)


def test_selection_and_who_generated_it(workbook):
    ws = workbook["Keterangan"]
    start = find_row(ws, "Pilihan ekspor")
    assert rows(ws, start)[:7] == [
        ("Pilihan ekspor",),
        ("Wilayah", "Kabupaten Bandung"),
        ("Periode", "Januari 2026 s.d. Maret 2026"),
        ("Jumlah desa", 4),
        ("Dibuat pada", datetime(2026, 4, 2, 9, 30)),
        ("Dibuat oleh", "bidan koordinator: Siti Aminah"),
        ("Bahasa", "id"),
    ]
    assert ws.cell(start + 4, 2).is_date


def test_status_legend_with_fills(workbook):
    ws = workbook["Keterangan"]
    start = find_row(ws, "Arti status laporan")
    assert [ws.cell(start + n, 1).value for n in (1, 2, 3, 4)] == [
        "Tepat waktu",
        "Terlambat",
        "Tidak lapor",
        "(kosong) tidak diharapkan",
    ]
    assert [ws.cell(start + n, 1).fill.fgColor.rgb[-6:] for n in (1, 2, 3)] == ["C6EFCE", "FFEB9C", "FFC7CE"]


def test_indicator_definitions_with_units_formulas_and_options(workbook):
    ws = workbook["Keterangan"]
    start = find_row(ws, "Definisi indikator")
    header, *definitions = rows(ws, start + 1)[: len(INDICATORS) + 1]
    assert header == (
        "ID indikator",
        "Formulir",
        "Indikator",
        "Jenis",
        "Satuan",
        "Definisi",
        "Rumus",
        "Opsi",
        "Indikator utama",
    )
    by_id = {row[0]: row for row in definitions}
    assert [row[0] for row in definitions] == [indicator.id for indicator in INDICATORS]
    assert by_id["ds"] == (
        "ds",
        "Gizi Balita",
        "D/S",
        "Persentase (turunan)",
        "%",
        "Partisipasi",
        "balita_d / balita_s",
        None,
        "Ya",
    )
    assert by_id["nd"][6] == "=naik / balita_d"  # a formula text stays text
    assert by_id["kegiatan"][7] == "imunisasi = Imunisasi; penyuluhan = Penyuluhan"
    formula_cell = ws.cell(start + 2 + [i.id for i in INDICATORS].index("nd"), 7)
    assert formula_cell.data_type == "s"


def test_household_definitions(workbook):
    ws = workbook["Keterangan"]
    start = find_row(ws, "Definisi indikator rumah tangga")
    assert rows(ws, start + 1) == [
        ("ID indikator", "Formulir", "Indikator", "Jenis", "Satuan", "Definisi"),
        *(
            (
                i.id,
                "Rumah tangga",
                i.label,
                "Jumlah" if i.kind == "count" else "Persentase (turunan)",
                i.unit,
                i.definition,
            )
            for i in HOUSEHOLD_INDICATORS
        ),
    ]


def test_trend_table_holds_monthly_means_as_percent_numbers(workbook):
    ws = workbook["Grafik"]
    assert rows(ws, 3) == approx_rows(
        [
            ("Bulan", "D/S", "N/D"),  # the key rates; BGM/D is not key
            ("Jan 2026", (0.75 + 0.5) / 2, (0.8 + 0.7) / 2),
            ("Feb 2026", (0.85 + 0.9) / 2, 0.5),  # a missing N/D is left out of the mean, not counted as 0
            ("Mar 2026", (35 / 41 + 0.9 + 0.7) / 3, (0.9 + 0.6) / 2),
        ]
    )
    assert {ws.cell(row, column).number_format for row in (4, 5, 6) for column in (2, 3)} == {"0.0%"}


def test_native_line_chart_over_the_table(workbook):
    charts = workbook["Grafik"]._charts
    assert len(charts) == 1
    chart = charts[0]
    assert isinstance(chart, LineChart)
    assert [series.val.numRef.f for series in chart.series] == ["'Grafik'!$B$4:$B$6", "'Grafik'!$C$4:$C$6"]
    assert [series.tx.strRef.f for series in chart.series] == ["'Grafik'!B3", "'Grafik'!C3"]
    assert chart.series[0].cat.numRef.f == "'Grafik'!$A$4:$A$6"  # month labels as categories
    assert chart.x_axis.delete is False and chart.y_axis.delete is False
