"""Fitting an export under Telegram's 50 MB document limit.

1. The workbook itself, when it fits.
2. Else a .zip of it, when that fits. Deflating the workbook a second time
   pays off because its sheet XML is so regular: the 1,000-village benchmark
   file shrinks from 50.3 to 37.3 MiB in under 2 s (re-deflating the parts
   inside the .xlsx at level 9 only reaches 48.3 MiB, in 33 s).
3. Else one workbook per regency, rebuilt from the source; a regency still too
   large is split per district; a district still too large raises
   ExportTooLarge (the bot then asks for fewer months). Each part is sent as
   it is or zipped, like the whole.

Every file is written next to the workbook: give it a directory of its own
(a temporary one) and delete that after sending.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import replace
from itertools import groupby
from pathlib import Path

from .builder import build_workbook
from .grouping import R
from .model import (
    Area,
    CompletenessEntry,
    EmptySelection,
    ExportError,
    ExportSource,
    HouseholdIndicator,
    HouseholdRecord,
    HouseholdValue,
    Indicator,
    MelPart,
    Option,
    RawValue,
    Village,
    VillageValue,
    mel_of,
)

TELEGRAM_LIMIT = 50 * 1024 * 1024
SPLIT_LEVELS = ("regency", "district")


class ExportTooLarge(ExportError):
    """Even one district's workbook is over the limit."""


def fit_for_telegram(path: str | os.PathLike[str], source: ExportSource, limit: int = TELEGRAM_LIMIT) -> list[Path]:
    """The file(s) to send for the workbook at ``path``, built from ``source``.

    The zip and the split workbooks are written next to ``path``; ``path`` is kept.
    """
    path = Path(path)
    fitted = _fitted(path, limit)
    return [fitted] if fitted else _split(path, source, limit, SPLIT_LEVELS)


def _fitted(path: Path, limit: int) -> Path | None:
    """``path`` if it fits, else its zip if that fits, else None (nothing left behind)."""
    if path.stat().st_size <= limit:
        return path
    zipped = path.with_suffix(".zip")
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.write(path, path.name)
    if zipped.stat().st_size <= limit:
        return zipped
    zipped.unlink()
    return None


def _split(path: Path, source: ExportSource, limit: int, levels: Sequence[str]) -> list[Path]:
    level, *finer = levels
    parts: list[Path] = []
    for area, villages in _areas(source.villages(), level):
        part = path.with_name(f"{path.stem}-{area.code}{path.suffix}")
        subset = AreaSubset(source, area, villages)
        try:
            build_workbook(subset, part)
        except EmptySelection:
            continue  # nothing reported there: nothing to send
        fitted = _fitted(part, limit)
        if fitted:
            parts.append(fitted)
        elif finer:
            parts.extend(_split(part, subset, limit, finer))
        else:
            part.unlink()
            raise ExportTooLarge(f"{area.name}: even zipped, one workbook is over {limit} bytes")
        if fitted != part:
            part.unlink()  # sent zipped or split further
    return parts


def _areas(villages: Iterable[Village], level: str) -> Iterator[tuple[Area, list[Village]]]:
    """Villages (ascending code, so areas are contiguous) grouped by area."""
    for area, group in groupby(villages, key=lambda village: getattr(village, level)):
        yield area, list(group)


class AreaSubset:
    """The part of a source that lies in one area (an ExportSource itself).

    Streams are filtered from the whole source, so each area costs one scan of
    the source's streams.
    """

    def __init__(self, source: ExportSource, area: Area, villages: Sequence[Village]) -> None:
        self.selection = replace(source.selection, scope_label=f"{source.selection.scope_label} — {area.name}")
        self._source = source
        self._villages = tuple(villages)
        self._codes = frozenset(village.code for village in villages)

    def indicators(self) -> Sequence[Indicator]:
        return self._source.indicators()

    def villages(self) -> Iterator[Village]:
        return iter(self._villages)

    def village_values(self, indicator_ids: Collection[str] | None = None) -> Iterator[VillageValue]:
        return self._here(self._source.village_values(indicator_ids))

    def raw_values(self) -> Iterator[RawValue]:
        return self._here(self._source.raw_values())

    def completeness(self) -> Iterator[CompletenessEntry]:
        return self._here(self._source.completeness())

    def household_indicators(self) -> Sequence[HouseholdIndicator]:
        return self._source.household_indicators()

    def mel(self) -> MelPart | None:  # partners: the part in this area, if the source has one
        mel = mel_of(self._source)
        return None if mel is None else mel.within(self._codes)

    def household_values(self) -> Iterator[HouseholdValue]:
        return self._here(self._source.household_values())

    def household_flags(self) -> Sequence[Option]:
        return self._source.household_flags()

    def households(self) -> Iterator[HouseholdRecord] | None:
        households = self._source.households()
        return None if households is None else self._here(households)

    def _here(self, records: Iterable[R]) -> Iterator[R]:
        return (record for record in records if record.village_code in self._codes)
