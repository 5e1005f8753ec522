"""Ringkasan: completeness over the range and key rates of the latest month."""

from export_sample import approx_rows, rows

HEADER_ROW = 3


def test_title_names_scope_and_period_range(workbook):
    assert workbook["Ringkasan"]["A1"].value == (
        "Ringkasan per desa — Kabupaten Bandung — Januari 2026 s.d. Maret 2026"
    )


def test_header(workbook):
    assert rows(workbook["Ringkasan"], HEADER_ROW)[0] == (
        "Kode desa",
        "Desa",
        "Kecamatan",
        "Kabupaten/Kota",
        "Jumlah posyandu",
        "Laporan diharapkan",
        "Laporan masuk",
        "Laporan tepat waktu",
        "Tingkat pelaporan",
        "Tingkat tepat waktu",
        "D/S (Mar 2026)",
        "D/S: Perubahan dari Feb 2026 (poin %)",
        "N/D (Mar 2026)",
        "N/D: Perubahan dari Feb 2026 (poin %)",
    )


def test_one_row_per_village_with_completeness_and_key_rates(workbook):
    assert rows(workbook["Ringkasan"], HEADER_ROW + 1) == approx_rows(
        [
            # duplicate Feb entry of Melati counts once: 5 expected, 4 in, 3 on time
            (
                "32.04.01.2001",
                "Sukamaju",
                "Cileunyi",
                "Kab. Bandung",
                2,
                5,
                4,
                3,
                0.8,
                0.6,
                35 / 41,
                (35 / 41 - 0.85) * 100,
                0.9,
            ),  # N/D of February is missing: no change
            ("32.04.01.2002", "Cibiru Wetan", "Cileunyi", "Kab. Bandung", 1, 3, 1, 0, 1 / 3, 0, 0.9),
            ("32.73.05.1001", "Cipaganti", "Coblong", "Kota Bandung", 1, 3, 3, 3, 1, 1, 0.7, -20, 0.6, 10),
            ("32.73.05.1002", "Lebakgede", "Coblong", "Kota Bandung", 0, 0, 0, 0),  # nothing: empty, not 0
        ]
    )


def test_number_formats(workbook):
    ws = workbook["Ringkasan"]
    assert [ws.cell(6, column).number_format for column in range(6, 15)] == [  # Cipaganti: all present
        "#,##0",
        "#,##0",
        "#,##0",
        "0.0%",
        "0.0%",
        "0.0%",
        "+0.0;-0.0;0.0",
        "0.0%",
        "+0.0;-0.0;0.0",
    ]


def test_single_month_has_no_change_columns(build):
    from export_sample import make_selection, make_source

    _, workbook = build(make_source(make_selection(periods=("2026-03",))))
    header = rows(workbook["Ringkasan"], HEADER_ROW)[0]
    assert header[-2:] == ("D/S (Mar 2026)", "N/D (Mar 2026)")
