"""Data: the long table, one row per answer (per option for multichoice)."""

from datetime import date, datetime

from export_sample import INDICATORS, PERIODS, RAW_DATA, SUBMITTED, VILLAGES, rows

HEADER = (
    "Periode",
    "Provinsi",
    "Kabupaten/Kota",
    "Kecamatan",
    "Kode desa",
    "Desa",
    "Posyandu",
    "Formulir",
    "ID indikator",
    "Indikator",
    "Nilai",
    "Satuan",
    "Revisi",
    "Dikirim pada",
    "Dikirim oleh (peran)",
)
FORM_TITLES = {"gizi": "Gizi Balita", "kia": "KIA"}
CLEANED_NAMES = {"Mel\x07ati": "Melati"}
CLEANED_TEXT = {"+62 812\x00 ok": "+62 812 ok"}


def expected_rows() -> list[tuple]:
    villages = {village.code: village for village in VILLAGES}
    indicators = {indicator.id: indicator for indicator in INDICATORS}
    result = []
    for period, code, _, name, form, indicator_id, value, revision in RAW_DATA:
        if period not in PERIODS:
            continue
        village = villages[code]
        place = (
            period,
            "Jawa Barat",
            village.regency.name,
            village.district.name,
            code,
            village.name,
            CLEANED_NAMES.get(name, name),
            FORM_TITLES[form],
        )
        tail = (revision, SUBMITTED, "kader")
        indicator = indicators.get(indicator_id)
        if indicator is None:  # not in the catalogue: written as is, labelled by id
            result.append((*place, indicator_id, indicator_id, value, None, *tail))
        elif indicator.options and indicator.kind == "multichoice":
            for option in indicator.options:
                chosen = None if value is None else int(option.id in value)
                result.append(
                    (*place, f"{indicator_id}__{option.id}", f"{indicator.label}: {option.label}", chosen, None, *tail)
                )
        else:
            shown = {"hujan": "Hujan"}.get(value, value) if isinstance(value, str) else value
            shown = CLEANED_TEXT.get(shown, shown)
            if isinstance(shown, bool):
                shown = int(shown)
            if isinstance(shown, date):
                shown = datetime(shown.year, shown.month, shown.day)
            result.append((*place, indicator_id, indicator.label, shown, indicator.unit or None, *tail))
    return result


def test_header_on_first_row_for_pivots(workbook):
    ws = workbook["Data"]
    assert rows(ws, 1)[0] == HEADER
    assert ws.freeze_panes == "A2"


def test_every_row_cell_by_cell(workbook):
    ws = workbook["Data"]
    expected = expected_rows()
    assert rows(ws, 2) == expected
    assert ws.auto_filter.ref == f"A1:O{len(expected) + 1}"


def column(ws, header: str) -> list:
    index = HEADER.index(header) + 1
    return [ws.cell(row, index) for row in range(2, ws.max_row + 1)]


def test_user_text_is_never_a_formula_or_an_error(workbook):
    ws = workbook["Data"]
    texts = {cell.value: cell for cell in column(ws, "Nilai") if isinstance(cell.value, str)}
    for hostile in ('=HYPERLINK("http://x")', "+62 812 ok", "@SUM(A1)", "-5 balita", "#N/A"):
        assert texts[hostile].data_type == "s"
        assert texts[hostile].quotePrefix
    assert not texts["Hujan"].quotePrefix


def test_control_characters_are_stripped(workbook):
    ws = workbook["Data"]
    assert "Melati" in {cell.value for cell in column(ws, "Posyandu")}
    assert not any("\x00" in str(cell.value) or "\x07" in str(cell.value) for row in ws.iter_rows() for cell in row)


def test_dates_are_date_cells(workbook):
    ws = workbook["Data"]
    values = column(ws, "Nilai")
    date_cell = next(cell for cell in values if isinstance(cell.value, datetime))
    assert date_cell.is_date and date_cell.number_format == "dd/mm/yyyy"
    submitted = column(ws, "Dikirim pada")
    assert all(cell.is_date and cell.number_format == "dd/mm/yyyy hh:mm" for cell in submitted)


def test_numbers_keep_their_format_and_missing_stays_empty(workbook):
    ws = workbook["Data"]
    ids = [cell.value for cell in column(ws, "ID indikator")]
    values = column(ws, "Nilai")
    weight = values[ids.index("berat")]
    assert weight.value == 11.5 and weight.number_format == "0.0"
    assert values[ids.index("balita_s")].number_format == "#,##0"
    assert [values[i].value for i, value in enumerate(ids) if value == "balita_s"] == [25, None, 10]
