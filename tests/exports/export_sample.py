"""Sample data for the export tests: a small, hand-checkable export of
4 villages in 2 regencies, 3 months, every indicator kind, hostile user
text, gaps, and a household list."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from exports.memory import MemorySource
from exports.model import (
    Area,
    CompletenessEntry,
    Generator,
    HouseholdIndicator,
    HouseholdRecord,
    HouseholdValue,
    Indicator,
    IndicatorKind,
    Option,
    Posyandu,
    RawValue,
    ReportStatus,
    Selection,
    Village,
    VillageValue,
)

PERIODS = ("2026-01", "2026-02", "2026-03")
GENERATED_AT = datetime(2026, 4, 2, 9, 30)

WEST_JAVA = Area("32", "Jawa Barat")
KAB_BANDUNG = Area("32.04", "Kab. Bandung")
KOTA_BANDUNG = Area("32.73", "Kota Bandung")
CILEUNYI = Area("32.04.01", "Cileunyi")
COBLONG = Area("32.73.05", "Coblong")

VILLAGES = (
    Village(
        "32.04.01.2001",
        "Sukamaju",
        CILEUNYI,
        KAB_BANDUNG,
        WEST_JAVA,
        (Posyandu("p1", "Mawar"), Posyandu("p2", "Melati")),
    ),
    Village("32.04.01.2002", "Cibiru Wetan", CILEUNYI, KAB_BANDUNG, WEST_JAVA, (Posyandu("p3", "Anggrek"),)),
    Village("32.73.05.1001", "Cipaganti", COBLONG, KOTA_BANDUNG, WEST_JAVA, (Posyandu("p4", "Dahlia"),)),
    Village("32.73.05.1002", "Lebakgede", COBLONG, KOTA_BANDUNG, WEST_JAVA, ()),  # nothing at all
)

K = IndicatorKind
INDICATORS = (
    Indicator("balita_s", "gizi", "Gizi Balita", "Balita ada (S)", "anak", "Balita di wilayah", K.COUNT),
    Indicator("balita_d", "gizi", "Gizi Balita", "Balita ditimbang (D)", "anak", "Ditimbang", K.COUNT),
    Indicator("berat", "gizi", "Gizi Balita", "Rata-rata berat", "kg", "Rata-rata", K.MEASURE),
    Indicator("pmt", "gizi", "Gizi Balita", "PMT diberikan", "", "Ada PMT", K.YESNO),
    Indicator(
        "cuaca",
        "gizi",
        "Gizi Balita",
        "Cuaca",
        "",
        "Cuaca hari H",
        K.CHOICE,
        (Option("cerah", "Cerah"), Option("hujan", "Hujan")),
    ),
    Indicator(
        "kegiatan",
        "kia",
        "KIA",
        "Kegiatan",
        "",
        "Kegiatan meja 5",
        K.MULTICHOICE,
        (Option("imunisasi", "Imunisasi"), Option("penyuluhan", "Penyuluhan")),
    ),
    Indicator("catatan", "kia", "KIA", "Catatan", "", "Catatan bebas", K.TEXT),
    Indicator("tanggal", "kia", "KIA", "Tanggal kegiatan", "", "Hari H", K.DATE),
    Indicator(
        "ds", "gizi", "Gizi Balita", "D/S", "%", "Partisipasi", K.PERCENT, formula="balita_d / balita_s", key=True
    ),
    Indicator("nd", "gizi", "Gizi Balita", "N/D", "%", "Naik berat", K.PERCENT, formula="=naik / balita_d", key=True),
    Indicator("bgm", "gizi", "Gizi Balita", "BGM/D", "%", "Di bawah garis merah", K.PERCENT),
)

# Village-level values: {(village, period): {indicator: value}}; absent = missing.
VILLAGE_DATA = {
    ("32.04.01.2001", "2026-01"): {
        "balita_s": 40,
        "balita_d": 30,
        "berat": 11.25,
        "pmt": True,
        "cuaca": "cerah",
        "kegiatan": {"imunisasi": 2, "penyuluhan": 1},
        "ds": 0.75,
        "nd": 0.8,
        "bgm": 0.1,
    },
    ("32.04.01.2001", "2026-02"): {"balita_s": 40, "balita_d": 34, "ds": 0.85, "nd": None},
    ("32.04.01.2001", "2026-03"): {
        "balita_s": 41,
        "balita_d": 35,
        "ds": 35 / 41,
        "nd": 0.9,
        "kegiatan": ["penyuluhan"],
    },
    ("32.04.01.2002", "2026-01"): {"balita_s": 20, "balita_d": 10, "ds": 0.5, "nd": 0.7},
    ("32.04.01.2002", "2026-03"): {"balita_s": 20, "balita_d": 18, "ds": 0.9, "pmt": False},
    ("32.73.05.1001", "2026-02"): {"balita_s": 10, "balita_d": 9, "ds": 0.9, "nd": 0.5},
    ("32.73.05.1001", "2026-03"): {"balita_s": 10, "balita_d": 7, "ds": 0.7, "nd": 0.6},
}
OUTSIDE_PERIOD = VillageValue("32.04.01.2001", "2025-12", "ds", 0.99)  # must be ignored

SUBMITTED = datetime(2026, 1, 20, 14, 5)
# (period, village, posyandu id, name, form, indicator, value, revision)
RAW_DATA = (
    ("2026-01", "32.04.01.2001", "p1", "Mawar", "gizi", "balita_s", 25, 1),
    ("2026-01", "32.04.01.2001", "p1", "Mawar", "gizi", "berat", 11.5, 1),
    ("2026-01", "32.04.01.2001", "p1", "Mawar", "gizi", "pmt", True, 2),
    ("2026-01", "32.04.01.2001", "p1", "Mawar", "gizi", "cuaca", "hujan", 1),
    ("2026-01", "32.04.01.2001", "p1", "Mawar", "kia", "kegiatan", ["imunisasi"], 1),
    ("2026-01", "32.04.01.2001", "p1", "Mawar", "kia", "catatan", '=HYPERLINK("http://x")', 1),
    ("2026-01", "32.04.01.2001", "p1", "Mawar", "kia", "tanggal", date(2026, 1, 14), 1),
    ("2026-01", "32.04.01.2001", "p2", "Mel\x07ati", "kia", "catatan", "+62 812\x00 ok", 1),
    ("2026-01", "32.04.01.2001", "p2", "Melati", "kia", "kegiatan", None, 1),
    ("2026-02", "32.04.01.2001", "p2", "Melati", "kia", "catatan", "@SUM(A1)", 1),
    ("2026-02", "32.04.01.2001", "p2", "Melati", "kia", "catatan", "-5 balita", 1),
    ("2026-02", "32.04.01.2001", "p2", "Melati", "kia", "catatan", "#N/A", 1),
    ("2026-02", "32.04.01.2001", "p2", "Melati", "gizi", "balita_s", None, 1),
    ("2026-03", "32.73.05.1001", "p4", "Dahlia", "gizi", "balita_s", 10, 3),
    ("2026-03", "32.73.05.1001", "p4", "Dahlia", "gizi", "lama", "x", 1),  # not in the catalogue
    ("2025-12", "32.73.05.1001", "p4", "Dahlia", "gizi", "balita_s", 99, 1),  # outside the selection
)

S = ReportStatus
# (village, posyandu id, name, form, period, status); p2/kia not expected in March.
COMPLETENESS_DATA = (
    ("32.04.01.2001", "p1", "Mawar", "gizi", "2026-01", S.ON_TIME),
    ("32.04.01.2001", "p1", "Mawar", "gizi", "2026-02", S.LATE),
    ("32.04.01.2001", "p1", "Mawar", "gizi", "2026-03", S.MISSING),
    ("32.04.01.2001", "p2", "Melati", "kia", "2026-01", S.ON_TIME),
    ("32.04.01.2001", "p2", "Melati", "kia", "2026-02", S.ON_TIME),
    ("32.04.01.2001", "p2", "Melati", "kia", "2026-02", S.ON_TIME),  # duplicate: counts once
    ("32.04.01.2002", "p3", "Anggrek", "gizi", "2026-01", S.MISSING),
    ("32.04.01.2002", "p3", "Anggrek", "gizi", "2026-02", S.MISSING),
    ("32.04.01.2002", "p3", "Anggrek", "gizi", "2026-03", S.LATE),
    ("32.73.05.1001", "p4", "Dahlia", "gizi", "2026-01", S.ON_TIME),
    ("32.73.05.1001", "p4", "Dahlia", "gizi", "2026-02", S.ON_TIME),
    ("32.73.05.1001", "p4", "Dahlia", "gizi", "2026-03", S.ON_TIME),
)

HOUSEHOLD_INDICATORS = (
    HouseholdIndicator("rt_miskin", "RT miskin/rentan (desil 1-4)", "RT", "Desil 1-4", K.COUNT),
    HouseholdIndicator("rt_miskin_pct", "Persentase RT miskin/rentan", "%", "Desil 1-4 / semua RT", K.PERCENT),
    HouseholdIndicator("rt_pkh", "RT penerima PKH", "RT", "Program Keluarga Harapan", K.COUNT),
)
HOUSEHOLD_DATA = {
    ("32.04.01.2001", "2026-01"): {"rt_miskin": 120, "rt_miskin_pct": 0.3, "rt_pkh": 40},
    ("32.04.01.2001", "2026-03"): {"rt_miskin": 118, "rt_miskin_pct": 0.295},
    ("32.73.05.1001", "2026-03"): {"rt_miskin": 15, "rt_miskin_pct": 0.05, "rt_pkh": None},
}
HOUSEHOLD_FLAGS = (Option("miskin", "Miskin/rentan"), Option("air", "Air minum layak"), Option("pkh", "PKH"))
HOUSEHOLDS = (
    HouseholdRecord("H-0001", "32.04.01.2001", "002", "001", frozenset({"miskin", "pkh"})),
    HouseholdRecord("=H2", "32.04.01.2001", "002", "003", frozenset({"air"})),
    HouseholdRecord("H-0003", "32.73.05.1001", "005", "010", frozenset()),
)


def village_values() -> list[VillageValue]:
    return [
        VillageValue(village, period, indicator, value)
        for (village, period), values in sorted(VILLAGE_DATA.items())
        for indicator, value in values.items()
    ]


def make_selection(periods=PERIODS, language="id") -> Selection:
    return Selection(
        periods=periods,
        scope_label="Kabupaten Bandung",
        generated_at=GENERATED_AT,
        generated_by=Generator("bidan koordinator", "Siti Aminah"),
        language=language,
    )


def make_source(selection: Selection | None = None, *, households=HOUSEHOLDS, **overrides) -> MemorySource:
    streams = dict(
        indicators=INDICATORS,
        villages=VILLAGES,
        village_values=[OUTSIDE_PERIOD, *village_values()],
        raw_values=[
            RawValue(period, village, pid, name, form, indicator, value, revision, SUBMITTED, "kader")
            for period, village, pid, name, form, indicator, value, revision in RAW_DATA
        ],
        completeness=[CompletenessEntry(*entry) for entry in COMPLETENESS_DATA],
        household_indicators=HOUSEHOLD_INDICATORS,
        household_values=[
            HouseholdValue(village, period, indicator, value)
            for (village, period), values in sorted(HOUSEHOLD_DATA.items())
            for indicator, value in values.items()
        ],
        household_flags=HOUSEHOLD_FLAGS,
        households=households,
    )
    streams.update(overrides)
    return MemorySource(selection or make_selection(), **streams)


def rows(ws, first_row: int) -> list[tuple]:
    """Cell values from ``first_row`` down, trailing empty cells trimmed."""
    result = []
    for row in ws.iter_rows(min_row=first_row, values_only=True):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        result.append(tuple(values))
    return result


def approx_rows(expected: list[tuple]) -> list:
    """Rows compared with float tolerance (percent arithmetic)."""
    return [pytest.approx(row) for row in expected]
