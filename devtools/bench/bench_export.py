"""Benchmark of exports.build_workbook against a bare openpyxl write-only dump.

Synthetic data: villages x months x every indicator of a ~60-indicator
catalogue, posyandu-level raw answers, completeness, and households, all
generated lazily on every pass (nothing is materialised). Each run happens in
a fresh subprocess so its peak RSS (ru_maxrss) is its own.

    python devtools/bench/bench_export.py                     # 1,000 villages, 12 months
    python devtools/bench/bench_export.py --villages 100      # quick look

Prints wall seconds, peak RSS and file size of both, and the ratios.
Targets: builder within 2x of the bare dump's time, peak memory under 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from openpyxl import Workbook

from exports import build_workbook
from exports.catalogue import Catalogue
from exports.grouping import by_village, values_by_indicator
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

K = IndicatorKind
FORMS = {"gizi": "Gizi Balita", "kia": "KIA Ibu Hamil", "imun": "Imunisasi", "kegiatan": "Kegiatan"}
STATUSES = (ReportStatus.ON_TIME,) * 6 + (ReportStatus.LATE,) * 2 + (ReportStatus.MISSING,)
FLAGS = ("miskin", "air", "sanitasi", "stunting", "pkh", "bpnt", "pbi", "blt")


class Lazy:
    """A re-iterable stream: every pass calls ``factory`` for a fresh generator."""

    def __init__(self, factory, *args):
        self.factory, self.args = factory, args

    def __iter__(self):
        return self.factory(*self.args)


def catalogue() -> tuple[Indicator, ...]:
    def make(index, form, kind, **extra):
        return Indicator(
            f"{form}_{index:02d}",
            form,
            FORMS[form],
            f"{FORMS[form]} indikator {index}",
            "orang" if kind is K.COUNT else "",
            f"Definisi {form} {index}",
            kind,
            **extra,
        )

    options = tuple(Option(f"o{n}", f"Opsi {n}") for n in range(4))
    indicators = [make(n, "gizi", K.COUNT) for n in range(16)]
    indicators += [make(n, "gizi", K.MEASURE) for n in range(16, 20)]
    indicators += [make(n, "kia", K.COUNT) for n in range(12)]
    indicators += [make(n, "kia", K.YESNO) for n in range(12, 15)]
    indicators += [make(n, "imun", K.COUNT) for n in range(10)]
    indicators += [
        make(0, "kegiatan", K.CHOICE, options=options),
        make(1, "kegiatan", K.MULTICHOICE, options=options),
        make(2, "kegiatan", K.MULTICHOICE, options=options),
        make(3, "kegiatan", K.TEXT),
        make(4, "kegiatan", K.DATE),
    ]
    indicators += [make(n, "gizi", K.PERCENT, formula=f"gizi_{n:02d} / gizi_00", key=n < 23) for n in range(20, 28)]
    return tuple(indicators)


def villages(count: int, posyandu: int) -> list[Village]:
    province = Area("32", "Jawa Barat")
    result = []
    for n in range(count):
        regency = Area(f"32.{n // 250 + 1:02d}", f"Kabupaten {n // 250 + 1}")
        district = Area(f"{regency.code}.{n // 10 % 25 + 1:02d}", f"Kecamatan {n // 10 + 1}")
        code = f"{district.code}.{2001 + n % 10}"
        result.append(
            Village(
                code,
                f"Desa {n + 1}",
                district,
                regency,
                province,
                tuple(Posyandu(f"{code}-p{p}", f"Posyandu {p + 1}") for p in range(posyandu)),
            )
        )
    return result


def answer(indicator: Indicator, rng: random.Random, aggregate: bool):
    kind = indicator.kind
    if rng.random() < 0.03:
        return None
    if kind is K.COUNT:
        return rng.randrange(0, 80)
    if kind is K.MEASURE:
        return round(rng.uniform(5, 20), 1)
    if kind is K.PERCENT:
        return rng.random()
    if kind is K.YESNO:
        return rng.random() < 0.7
    if kind is K.CHOICE:
        return rng.choice(indicator.options).id
    if kind is K.MULTICHOICE:
        if aggregate:
            return {option.id: rng.randrange(3) for option in indicator.options}
        return [option.id for option in indicator.options if rng.random() < 0.5]
    if kind is K.TEXT:
        return rng.choice(("Lancar", "Kader kurang", "=hujan deras", "Ada kunjungan bidan"))
    return date(2026, 1, 1) + timedelta(days=rng.randrange(360))


def village_values(villages, periods, indicators):
    rng = random.Random(1)
    for village in villages:
        for indicator in indicators:
            if indicator.kind in (K.TEXT, K.DATE):
                continue  # nothing to aggregate per village
            for period in periods:
                yield VillageValue(village.code, period, indicator.id, answer(indicator, rng, True))


def raw_values(villages, periods, indicators):
    rng = random.Random(2)
    submitted = datetime(2026, 1, 20, 9, 0)
    answered = [indicator for indicator in indicators if indicator.kind is not K.PERCENT]
    for village in villages:
        for posyandu in village.posyandu:
            for period in periods:
                for indicator in answered:
                    yield RawValue(
                        period,
                        village.code,
                        posyandu.id,
                        posyandu.name,
                        indicator.form_id,
                        indicator.id,
                        answer(indicator, rng, False),
                        1,
                        submitted,
                        "kader",
                    )


def completeness(villages, periods):
    rng = random.Random(3)
    for village in villages:
        for posyandu in village.posyandu:
            for form in FORMS:
                for period in periods:
                    yield CompletenessEntry(
                        village.code, posyandu.id, posyandu.name, form, period, rng.choice(STATUSES)
                    )


def household_indicators() -> tuple[HouseholdIndicator, ...]:
    counts = [HouseholdIndicator(f"rt_{flag}", f"Rumah tangga {flag}", "RT", f"Jumlah RT {flag}") for flag in FLAGS]
    shares = [
        HouseholdIndicator(f"rt_{flag}_pct", f"Persentase RT {flag}", "%", f"Bagian RT {flag}", K.PERCENT)
        for flag in FLAGS[:4]
    ]
    return tuple(counts + shares)


def household_values(villages, periods, indicators):
    rng = random.Random(4)
    for village in villages:
        for indicator in indicators:
            for period in periods:
                value = rng.random() if indicator.kind is K.PERCENT else rng.randrange(100)
                yield HouseholdValue(village.code, period, indicator.id, value)


def households(villages, count):
    rng = random.Random(5)
    per_village = count // len(villages)
    for village in villages:
        for n in range(per_village):
            flags = frozenset(flag for flag in FLAGS if rng.random() < 0.3)
            yield HouseholdRecord(
                f"{village.code}-H{n:04d}", village.code, f"{n // 50 + 1:03d}", f"{n % 50 // 10 + 1:03d}", flags
            )


def make_source(args) -> MemorySource:
    periods = tuple(f"2026-{month:02d}" for month in range(1, args.months + 1))
    indicators = catalogue()
    village_list = villages(args.villages, args.posyandu)
    household_catalogue = household_indicators()
    selection = Selection(periods, "Provinsi Jawa Barat", datetime(2027, 1, 5, 8, 0), Generator("koordinator", "Bench"))
    return MemorySource(
        selection,
        indicators=indicators,
        villages=village_list,
        village_values=Lazy(village_values, village_list, periods, indicators),
        raw_values=Lazy(raw_values, village_list, periods, indicators),
        completeness=Lazy(completeness, village_list, periods),
        household_indicators=household_catalogue,
        household_values=Lazy(household_values, village_list, periods, household_catalogue),
        household_flags=tuple(Option(flag, flag) for flag in FLAGS),
        households=Lazy(households, village_list, args.households),
    )


def bare_dump(source: MemorySource, path: Path) -> None:
    """The same tables as the builder's big sheets, as plain rows: no styles,
    guards, formats, panes, filters, summaries or chart."""
    wb = Workbook(write_only=True)
    periods = source.selection.periods
    village_list = list(source.villages())
    cat = Catalogue(source.indicators())
    sheet = wb.create_sheet("Indikator")
    for village, records in by_village(village_list, source.village_values()):
        values = values_by_indicator(records, periods)
        for series in cat.all_series():
            months = values.get(series.indicator.id, {})
            sheet.append(
                [
                    village.code,
                    village.name,
                    village.district.name,
                    series.indicator.form_title,
                    series.id,
                    series.label,
                    series.unit,
                    *(series.pick(months.get(period)) for period in periods),
                ]
            )
    sheet = wb.create_sheet("Kelengkapan")
    for entry in source.completeness():
        sheet.append([entry.village_code, entry.posyandu_name, entry.form_id, entry.period, entry.status.value])
    sheet = wb.create_sheet("Rumah Tangga")
    for value in source.household_values():
        sheet.append([value.village_code, value.period, value.indicator_id, value.value])
    sheet = wb.create_sheet("Daftar Rumah Tangga")
    flags = source.household_flags()
    for household in source.households():
        sheet.append(
            [
                household.pseudonym,
                household.village_code,
                household.rw,
                household.rt,
                *(int(flag.id in household.flags) for flag in flags),
            ]
        )
    _bare_data(wb, source, village_list, cat)
    wb.save(path)


def _bare_data(wb, source, village_list, cat, max_rows=1_048_576) -> None:
    places = {v.code: (v.province.name, v.regency.name, v.district.name, v.code, v.name) for v in village_list}
    sheet, used, number = None, max_rows, 0
    for raw in source.raw_values():
        for series in cat.series(raw.indicator_id):
            if used == max_rows:
                number += 1
                sheet, used = wb.create_sheet(f"Data ({number})"), 0
            value = series.pick(raw.value)
            sheet.append(
                [
                    raw.period,
                    *places[raw.village_code],
                    raw.posyandu_name,
                    series.indicator.form_title,
                    series.id,
                    series.label,
                    int(value) if isinstance(value, bool) else value,
                    series.unit,
                    raw.revision,
                    raw.submitted_at,
                    raw.submitted_by_role,
                ]
            )
            used += 1


def run_one(kind: str, args) -> dict:
    source = make_source(args)
    path = Path(args.out_dir) / f"{kind}.xlsx"
    start = time.perf_counter()
    if kind == "builder":
        build_workbook(source, path)
    else:
        bare_dump(source, path)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"seconds": seconds, "peak_mb": peak_mb, "mb": path.stat().st_size / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--villages", type=int, default=1000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--posyandu", type=int, default=1, help="posyandu per village")
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--out-dir", default=None)
    parser.add_argument("--run", choices=("builder", "bare"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(args.run, args)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = args.out_dir or tmp
        results = {kind: _in_subprocess(kind, out_dir) for kind in ("bare", "builder")}
    _report(args, results)


def _in_subprocess(kind: str, out_dir: str) -> dict:
    command = [sys.executable, __file__, *sys.argv[1:], "--run", kind, "--out-dir", out_dir]
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=os.environ)
    return json.loads(done.stdout.splitlines()[-1])


def _report(args, results: dict) -> None:
    print(
        f"{args.villages} villages x {args.months} months x {len(catalogue())} indicators, "
        f"{args.posyandu} posyandu/village, {args.households} households"
    )
    for kind, label in (("bare", "bare write-only dump"), ("builder", "build_workbook")):
        r = results[kind]
        print(f"  {label:22} {r['seconds']:8.1f} s  peak RSS {r['peak_mb']:7.1f} MB  file {r['mb']:6.1f} MB")
    bare, built = results["bare"], results["builder"]
    print(
        f"  ratio (builder / bare) time {built['seconds'] / bare['seconds']:.2f}x, "
        f"peak RSS {built['peak_mb'] / bare['peak_mb']:.2f}x"
    )


if __name__ == "__main__":
    main()
