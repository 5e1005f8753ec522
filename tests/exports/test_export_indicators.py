"""Indikator: village x indicator rows, months as columns."""

from datetime import date

from export_sample import INDICATORS, PERIODS, VILLAGE_DATA, VILLAGES, approx_rows, make_source, rows

from exports.model import IndicatorKind, VillageValue

HEADER_ROW = 3

# (row id, form, label, unit, how to read the village value)
SERIES = [
    ("balita_s", "Gizi Balita", "Balita ada (S)", "anak"),
    ("balita_d", "Gizi Balita", "Balita ditimbang (D)", "anak"),
    ("berat", "Gizi Balita", "Rata-rata berat", "kg"),
    ("pmt", "Gizi Balita", "PMT diberikan", None),
    ("cuaca", "Gizi Balita", "Cuaca", None),
    ("kegiatan__imunisasi", "KIA", "Kegiatan: Imunisasi", None),
    ("kegiatan__penyuluhan", "KIA", "Kegiatan: Penyuluhan", None),
    ("catatan", "KIA", "Catatan", None),
    ("tanggal", "KIA", "Tanggal kegiatan", None),
    ("ds", "Gizi Balita", "D/S", "%"),
    ("nd", "Gizi Balita", "N/D", "%"),
    ("bgm", "Gizi Balita", "BGM/D", "%"),
]


def expected_cell(series_id: str, value):
    if value is None:
        return None
    if "__" in series_id:
        option = series_id.split("__")[1]
        return value.get(option, 0) if isinstance(value, dict) else int(option in value)
    if series_id == "cuaca":
        return {"cerah": "Cerah", "hujan": "Hujan"}[value]
    return int(value) if isinstance(value, bool) else value


def expected_rows() -> list[tuple]:
    result = []
    for village in VILLAGES:
        for series_id, form, label, unit in SERIES:
            indicator = series_id.split("__")[0]
            months = [expected_cell(series_id, VILLAGE_DATA.get((village.code, p), {}).get(indicator)) for p in PERIODS]
            row = [village.code, village.name, village.district.name, form, series_id, label, unit, *months]
            while row[-1] is None:
                row.pop()
            result.append(tuple(row))
    return result


def test_header_has_month_names(workbook):
    assert rows(workbook["Indikator"], HEADER_ROW)[0] == (
        "Kode desa",
        "Desa",
        "Kecamatan",
        "Formulir",
        "ID indikator",
        "Indikator",
        "Satuan",
        "Jan 2026",
        "Feb 2026",
        "Mar 2026",
    )


def test_every_village_and_series_cell_by_cell(workbook):
    assert rows(workbook["Indikator"], HEADER_ROW + 1) == approx_rows(expected_rows())


def test_number_formats_follow_the_kind(workbook):
    ws = workbook["Indikator"]
    by_id = {ws.cell(row, 5).value: ws.cell(row, 8) for row in range(4, 4 + len(SERIES))}
    assert by_id["balita_s"].number_format == "#,##0"
    assert by_id["berat"].number_format == "0.0"
    assert by_id["ds"].number_format == "0.0%"
    assert by_id["bgm"].number_format == "0.0%"
    assert by_id["ds"].data_type == "n"


def test_dates_at_village_level_are_date_cells(build):
    values = [VillageValue("32.04.01.2001", "2026-02", "tanggal", date(2026, 2, 9))]
    _, workbook = build(make_source(village_values=values))
    ws = workbook["Indikator"]
    cell = next(ws.cell(r, 9) for r in range(4, 20) if ws.cell(r, 5).value == "tanggal")
    assert cell.is_date and cell.value.date() == date(2026, 2, 9)


def test_catalogue_covers_every_kind():
    assert {indicator.kind for indicator in INDICATORS} == set(IndicatorKind)
