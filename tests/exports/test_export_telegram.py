"""fit_for_telegram: the file, a zip of it, or one workbook per regency/district."""

import base64
import random
import zipfile
from dataclasses import replace
from datetime import datetime

import pytest
from export_sample import INDICATORS, WEST_JAVA, make_source
from openpyxl import load_workbook

from exports import ExportTooLarge, build_workbook, fit_for_telegram
from exports.memory import MemorySource
from exports.model import Area, Posyandu, RawValue, Village

REGENCY_A, REGENCY_B = Area("32.04", "Kab. Bandung"), Area("32.73", "Kota Bandung")
VILLAGES = (
    Village("32.04.01.2001", "Sukamaju", Area("32.04.01", "Cileunyi"), REGENCY_A, WEST_JAVA, (Posyandu("p1", "A"),)),
    Village("32.04.02.2001", "Cimekar", Area("32.04.02", "Cinunuk"), REGENCY_A, WEST_JAVA, (Posyandu("p2", "B"),)),
    Village("32.73.05.1001", "Cipaganti", Area("32.73.05", "Coblong"), REGENCY_B, WEST_JAVA, (Posyandu("p3", "C"),)),
)
ROWS_PER_VILLAGE = 600


def noisy_source(villages=VILLAGES) -> MemorySource:
    """The same amount of hard-to-compress text in each village."""
    rng = random.Random(7)
    raw = [
        RawValue(
            "2026-01",
            village.code,
            "p",
            "P",
            "kia",
            "catatan",
            base64.b64encode(rng.randbytes(45)).decode(),
            1,
            datetime(2026, 1, 20),
            "kader",
        )
        for village in villages
        for _ in range(ROWS_PER_VILLAGE)
    ]
    return make_source(
        villages=villages,
        indicators=INDICATORS,
        raw_values=raw,
        village_values=(),
        completeness=(),
        household_values=(),
        households=None,
    )


def build_noisy(tmp_path, villages=VILLAGES):
    source = noisy_source(villages)
    path = tmp_path / "laporan.xlsx"
    build_workbook(source, path)
    return source, path, path.stat().st_size


def test_a_small_file_is_sent_as_it_is(tmp_path):
    path = tmp_path / "laporan.xlsx"
    source = make_source()
    build_workbook(source, path)
    assert fit_for_telegram(path, source) == [path]


def test_a_zip_is_sent_when_it_fits(tmp_path):
    repeated = [
        RawValue("2026-01", village.code, "p1", "Mawar", "gizi", "balita_s", n, 1, datetime(2026, 1, 20), "kader")
        for village in VILLAGES
        for n in range(500)
    ]
    source = make_source(
        villages=VILLAGES, raw_values=repeated, village_values=(), completeness=(), household_values=(), households=None
    )
    path = tmp_path / "laporan.xlsx"
    build_workbook(source, path)
    (sent,) = fit_for_telegram(path, source, limit=path.stat().st_size // 2)
    assert sent.name == "laporan.zip" and sent.stat().st_size <= path.stat().st_size // 2
    with zipfile.ZipFile(sent) as archive:
        assert archive.read("laporan.xlsx") == path.read_bytes()


def test_split_per_regency(tmp_path):
    regency_c = Area("32.05", "Kab. Garut")
    villages = (*VILLAGES[:1], replace(VILLAGES[1], regency=regency_c), VILLAGES[2])
    source, path, size = build_noisy(tmp_path, villages)
    parts = fit_for_telegram(path, source, limit=size // 2)  # the zip of the whole is still too big
    assert [part.name for part in parts] == ["laporan-32.04.xlsx", "laporan-32.05.xlsx", "laporan-32.73.xlsx"]
    for part, village in zip(parts, villages, strict=True):
        workbook = load_workbook(part)
        assert {row[4] for row in workbook["Data"].iter_rows(min_row=2, values_only=True)} == {village.code}
        assert workbook["Data"].max_row == ROWS_PER_VILLAGE + 1
        assert workbook["Ringkasan"]["A1"].value.startswith(
            f"Ringkasan per desa — Kabupaten Bandung — {village.regency.name} — "
        )
    assert path.exists() and not (tmp_path / "laporan.zip").exists()


def test_a_regency_too_big_even_zipped_is_split_per_district(tmp_path):
    source, path, size = build_noisy(tmp_path)
    parts = fit_for_telegram(path, source, limit=int(size * 0.3))
    assert [part.name for part in parts] == [
        "laporan-32.04-32.04.01.zip",
        "laporan-32.04-32.04.02.zip",
        "laporan-32.73.zip",
    ]
    assert all(part.stat().st_size <= size * 0.3 for part in parts)
    assert sorted(file.name for file in tmp_path.iterdir()) == sorted([path.name, *(p.name for p in parts)])
    with zipfile.ZipFile(parts[0]) as archive:
        assert archive.namelist() == ["laporan-32.04-32.04.01.xlsx"]


def test_too_large_even_per_district(tmp_path):
    source, path, size = build_noisy(tmp_path)
    with pytest.raises(ExportTooLarge):
        fit_for_telegram(path, source, limit=size // 10)
