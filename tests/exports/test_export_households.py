"""Rumah Tangga sheets and the pseudonymous household list."""

from export_sample import approx_rows, make_source, rows

HEADER_ROW = 3
PLACES = {
    "32.04.01.2001": ("32.04.01.2001", "Sukamaju", "Cileunyi"),
    "32.04.01.2002": ("32.04.01.2002", "Cibiru Wetan", "Cileunyi"),
    "32.73.05.1001": ("32.73.05.1001", "Cipaganti", "Coblong"),
    "32.73.05.1002": ("32.73.05.1002", "Lebakgede", "Coblong"),
}


def test_latest_month_per_village(workbook):
    ws = workbook["Rumah Tangga"]
    assert rows(ws, 2)[0] == ("Maret 2026",)
    assert rows(ws, HEADER_ROW)[0] == (
        "Kode desa",
        "Desa",
        "Kecamatan",
        "RT miskin/rentan (desil 1-4) (RT)",
        "Persentase RT miskin/rentan (%)",
        "RT penerima PKH (RT)",
    )
    assert rows(ws, HEADER_ROW + 1) == approx_rows(
        [
            (*PLACES["32.04.01.2001"], 118, 0.295),  # PKH not reported in March: empty
            PLACES["32.04.01.2002"],
            (*PLACES["32.73.05.1001"], 15, 0.05),
            PLACES["32.73.05.1002"],
        ]
    )
    assert ws["E4"].number_format == "0.0%" and ws["D4"].number_format == "#,##0"


def test_per_month_rows(workbook):
    ws = workbook["Rumah Tangga per Bulan"]
    assert rows(ws, HEADER_ROW)[0] == (
        "Kode desa",
        "Desa",
        "Kecamatan",
        "ID indikator",
        "Indikator",
        "Satuan",
        "Jan 2026",
        "Feb 2026",
        "Mar 2026",
    )
    poor = ("rt_miskin", "RT miskin/rentan (desil 1-4)", "RT")
    share = ("rt_miskin_pct", "Persentase RT miskin/rentan", "%")
    pkh = ("rt_pkh", "RT penerima PKH", "RT")
    expected = [
        (*PLACES["32.04.01.2001"], *poor, 120, None, 118),
        (*PLACES["32.04.01.2001"], *share, 0.3, None, 0.295),
        (*PLACES["32.04.01.2001"], *pkh, 40),
    ]
    for code in ("32.04.01.2002",):
        expected += [(*PLACES[code], *poor), (*PLACES[code], *share), (*PLACES[code], *pkh)]
    expected += [
        (*PLACES["32.73.05.1001"], *poor, None, None, 15),
        (*PLACES["32.73.05.1001"], *share, None, None, 0.05),
        (*PLACES["32.73.05.1001"], *pkh),
    ]
    expected += [
        (*PLACES["32.73.05.1002"], *poor),
        (*PLACES["32.73.05.1002"], *share),
        (*PLACES["32.73.05.1002"], *pkh),
    ]
    assert rows(ws, HEADER_ROW + 1) == approx_rows(expected)


def test_household_list_is_pseudonymous_with_flag_columns(workbook):
    ws = workbook["Daftar Rumah Tangga"]
    assert rows(ws, HEADER_ROW) == [
        ("ID samaran", "Kode desa", "Desa", "RW", "RT", "Miskin/rentan", "Air minum layak", "PKH"),
        ("H-0001", "32.04.01.2001", "Sukamaju", "002", "001", 1, 0, 1),
        ("=H2", "32.04.01.2001", "Sukamaju", "002", "003", 0, 1, 0),
        ("H-0003", "32.73.05.1001", "Cipaganti", "005", "010", 0, 0, 0),
    ]
    assert ws["A5"].data_type == "s"  # "=H2" stays text
    assert ws["D4"].data_type == "s"  # RW "002" keeps its zeros


def test_household_list_absent_when_viewer_may_not_see_it(build):
    _, workbook = build(make_source(households=None))
    assert "Daftar Rumah Tangga" not in workbook.sheetnames
    assert "Rumah Tangga" in workbook.sheetnames
