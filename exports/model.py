"""Input contract of the workbook builder.

The builder never sees SQL or Telegram: it reads an :class:`ExportSource`.
Catalogues and the village list are small and are read whole; everything that
grows with villages x months x indicators (or with households) is an iterator
that the builder consumes once per pass, so a storage layer can stream it
straight from a cursor.

Iterator orders (the builder relies on them and raises
:class:`SourceOrderError` when a village-grouped stream is out of order):

* ``villages()``: ascending village code (codes are fixed-width
  ``PP.KK.CC.DDDD``, so this is also province, regency, district order).
* ``village_values()``, ``completeness()``, ``household_values()``: grouped by
  village in ascending village code; any order inside a village group (the
  builder buffers one village's group at a time). Recommended inner order for
  completeness: posyandu, form, period, which is the row order of
  ``Kelengkapan``.
* ``raw_values()`` and ``households()``: written in the order given; recommended
  village code, posyandu, period, form, indicator (resp. village code, RW, RT).

Values for periods outside ``Selection.periods`` are ignored. Memory use is
bounded by the catalogues, the village list and one village's group.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol, TypeAlias

PERIOD_PATTERN = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
# A NIK (national identity number) is 16 digits; it must never reach a workbook.
NIK_PATTERN = re.compile(r"\d{16}")

MultichoiceValue: TypeAlias = Sequence[str] | Mapping[str, float]
"""Selected option ids (one report), or option id -> count (an aggregate)."""

Value: TypeAlias = int | float | bool | str | date | datetime | MultichoiceValue | None
"""``None`` means missing and is written as an empty cell, never as 0."""


class Language(StrEnum):
    ID = "id"
    EN = "en"


class IndicatorKind(StrEnum):
    COUNT = "count"
    MEASURE = "measure"
    YESNO = "yesno"
    CHOICE = "choice"
    MULTICHOICE = "multichoice"
    TEXT = "text"
    DATE = "date"
    PERCENT = "percent"  # derived rate; values are fractions (0.853 = 85.3%)


NUMERIC_KINDS = frozenset({IndicatorKind.COUNT, IndicatorKind.MEASURE, IndicatorKind.YESNO, IndicatorKind.PERCENT})


class ReportStatus(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class Generator:
    """Who asked for the export: a role and a display name, never a NIK."""

    role: str
    display_name: str

    def __post_init__(self) -> None:
        if NIK_PATTERN.search(self.display_name):
            raise ValueError("generated_by must not contain a NIK")


@dataclass(frozen=True, slots=True)
class Selection:
    periods: tuple[str, ...]  # "YYYY-MM", ascending
    scope_label: str  # e.g. "Kabupaten Bandung"
    generated_at: datetime  # naive local time
    generated_by: Generator
    language: Language = Language.ID

    def __post_init__(self) -> None:
        object.__setattr__(self, "periods", tuple(self.periods))
        for period in self.periods:
            if not PERIOD_PATTERN.fullmatch(period):
                raise ValueError(f"period {period!r} is not YYYY-MM")
        if list(self.periods) != sorted(set(self.periods)):
            raise ValueError("periods must be unique and ascending")
        object.__setattr__(self, "language", Language(self.language))

    @property
    def latest(self) -> str:
        return self.periods[-1]

    @property
    def previous(self) -> str | None:
        return self.periods[-2] if len(self.periods) > 1 else None


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Indicator:
    """One catalogue entry, labels already in the selection's language."""

    id: str
    form_id: str
    form_title: str
    label: str
    unit: str
    definition: str
    kind: IndicatorKind
    options: tuple[Option, ...] = ()  # choice and multichoice kinds
    formula: str | None = None  # derived (percent) indicators
    key: bool = False  # headline indicator shown in Ringkasan and Grafik


@dataclass(frozen=True, slots=True)
class Area:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Posyandu:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Village:
    code: str  # Kemendagri PP.KK.CC.DDDD
    name: str
    district: Area
    regency: Area
    province: Area
    posyandu: tuple[Posyandu, ...] = ()


@dataclass(frozen=True, slots=True)
class VillageValue:
    """A value aggregated per village and month (derived rates included)."""

    village_code: str
    period: str
    indicator_id: str
    value: Value


@dataclass(frozen=True, slots=True)
class RawValue:
    """One answer of one posyandu report, as submitted (latest revision)."""

    period: str
    village_code: str
    posyandu_id: str
    posyandu_name: str
    form_id: str
    indicator_id: str
    value: Value
    revision: int
    submitted_at: datetime  # naive local time
    submitted_by_role: str


@dataclass(frozen=True, slots=True)
class CompletenessEntry:
    """One expected report (posyandu x form x month) and what became of it."""

    village_code: str
    posyandu_id: str
    posyandu_name: str
    form_id: str
    period: str
    status: ReportStatus


@dataclass(frozen=True, slots=True)
class HouseholdIndicator:
    id: str
    label: str
    unit: str
    definition: str
    kind: IndicatorKind = IndicatorKind.COUNT  # COUNT or PERCENT (a share)


@dataclass(frozen=True, slots=True)
class HouseholdValue:
    village_code: str
    period: str
    indicator_id: str
    value: int | float | None


@dataclass(frozen=True, slots=True)
class HouseholdRecord:
    """A household under a pseudonym: no names, no NIK, no KK number."""

    pseudonym: str
    village_code: str
    rw: str
    rt: str
    flags: frozenset[str] = field(default_factory=frozenset)  # ids of household_flags()


class ExportSource(Protocol):
    """What the storage layer provides for one export (see module docstring)."""

    selection: Selection

    def indicators(self) -> Sequence[Indicator]:
        """Catalogue in display order."""

    def villages(self) -> Iterable[Village]:
        """Villages in scope, ascending code."""

    def village_values(self, indicator_ids: Collection[str] | None = None) -> Iterable[VillageValue]:
        """Grouped by ascending village code; only ``indicator_ids`` when given
        (an empty collection means none, not all)."""

    def raw_values(self) -> Iterable[RawValue]:
        """The long table, in the order it should appear."""

    def completeness(self) -> Iterable[CompletenessEntry]:
        """Every expected report, grouped by ascending village code."""

    def household_indicators(self) -> Sequence[HouseholdIndicator]:
        """Household catalogue in display order."""

    def household_values(self) -> Iterable[HouseholdValue]:
        """Grouped by ascending village code."""

    def household_flags(self) -> Sequence[Option]:
        """Columns of the household list, in display order."""

    def households(self) -> Iterable[HouseholdRecord] | None:
        """Pseudonymous household list, or None when the viewer may not see it."""


def as_number(value: Value) -> float:
    """The value of a numeric indicator; anything else in its place is the source's mistake."""
    if not isinstance(value, int | float):
        raise TypeError(f"a numeric indicator has the value {value!r}")
    return value


class ExportError(Exception):
    """Base of the errors the bot turns into a message."""


class EmptySelection(ExportError):
    """No villages, or nothing reported, for the selection: send a message, not a file."""


class SourceOrderError(ExportError):
    """A stream broke the documented order or names a village outside the selection."""


# -- partners and MEL (optional: a source without ``mel()`` gets none of these sheets) ----------
class ProgressStatus(StrEnum):
    ON_TRACK = "on_track"
    BEHIND = "behind"
    NO_DATA = "no_data"


@dataclass(frozen=True, slots=True)
class PartnerRoleRow:
    """Who supports the village in which role; labels already in the selection's language."""

    village_code: str
    partner: str
    partner_type: str
    role: str
    programme: str  # empty: every programme in the village


@dataclass(frozen=True, slots=True)
class ProgressRow:
    """One village and indicator in the latest month against its programme's target."""

    village_code: str
    programme: str
    indicator_id: str
    baseline: float | None
    baseline_month: str | None
    target: float | None
    target_month: str | None
    expected: float | None
    actual: float | None
    status: ProgressStatus | None


@dataclass(frozen=True, slots=True)
class QualityRow:
    village_code: str
    posyandu_name: str
    form_id: str
    period: str
    kind: str  # soft_rule | jump | repeated
    indicator_id: str = ""
    previous: float | None = None
    value: float | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ReviewRow:
    village_code: str
    posyandu_name: str
    form_id: str
    period: str
    revision: int  # the revision reviewed
    latest_revision: int
    state: str  # verified | needs_correction
    note: str
    reviewer_role: str
    reviewed_at: datetime  # naive local time


@dataclass(frozen=True)
class MelPart:
    """Partners, progress, quality flags and reviews; every stream grouped by ascending village."""

    partners: Sequence[PartnerRoleRow] = ()
    progress: Callable[[], Iterable[ProgressRow]] = lambda: iter(())
    quality: Callable[[], Iterable[QualityRow]] = lambda: iter(())
    reviews: Sequence[ReviewRow] = ()

    def within(self, codes: Collection[str]) -> MelPart:
        """The part that lies in the villages ``codes``."""
        return MelPart(
            partners=tuple(r for r in self.partners if r.village_code in codes),
            progress=lambda: (r for r in self.progress() if r.village_code in codes),
            quality=lambda: (r for r in self.quality() if r.village_code in codes),
            reviews=tuple(r for r in self.reviews if r.village_code in codes),
        )


def mel_of(source: object) -> MelPart | None:
    """The source's partner and MEL part, if it has one."""
    mel: Callable[[], MelPart | None] | None = getattr(source, "mel", None)
    return mel() if mel is not None else None
