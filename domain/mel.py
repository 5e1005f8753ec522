"""Monitoring, Evaluation and Learning: baselines and targets (the targets CSV), progress against
target, and data-quality flags. Pure: no Telegram, no SQL.

Progress rule (also written in the workbook's Keterangan sheet, see PROGRESS_RULE):
the expected value of month M lies on the straight line from the baseline (or the last target
before M) to the next target at or after M; after the last target it is the last target. A
village is *on track* when its value of M has reached the expected value in the direction of the
target (up when the target is above the baseline, down when below), otherwise *behind*. Without
a baseline, the status is known only from the first target's month on (or once the target is
reached), and higher counts as better. Months before the village joined the programme, or
before the baseline, have no status.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from domain.forms import FormSpec, QuestionType
from domain.imports import ImportProblem
from domain.periods import Period

TARGETS_HEADER = ("programme", "indicator", "village", "kind", "month", "value")
ALL_VILLAGES = ""  # a baseline or target for every village of the programme
KINDS = ("baseline", "target")
_NUMBER = re.compile(r"^-?\d+([.,]\d+)?$")


# -- the targets CSV ----------------------------------------------------------------------------
@dataclass(frozen=True)
class TargetRow:
    programme: str
    indicator: str
    village: str  # ALL_VILLAGES for every village of the programme
    kind: str  # baseline | target
    month: str  # YYYY-MM
    value: float  # rates as fractions (80% -> 0.8)


@dataclass(frozen=True)
class TargetCatalogue:
    """What a targets file may name: per programme code, its indicators (id -> is a rate) and
    member villages."""

    indicators: Mapping[str, Mapping[str, bool]]
    villages: Mapping[str, frozenset[str]]


class TargetsInvalid(ValueError):
    """The file has bad rows; nothing may be imported. ``problems`` has every bad line."""

    def __init__(self, problems: list[ImportProblem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def parse_targets_csv(text: str, catalogue: TargetCatalogue) -> list[TargetRow]:
    """Every row checked; raises TargetsInvalid listing all bad lines (all or nothing).

    Rates (percent indicators) are written in percent, 0 to 100, with or without '%'."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or tuple(h.strip().lower() for h in header) != TARGETS_HEADER:
        raise TargetsInvalid([ImportProblem(1, f"the header must be {','.join(TARGETS_HEADER)}")])
    rows: list[TargetRow] = []
    problems: list[ImportProblem] = []
    seen: dict[tuple[str, ...], int] = {}  # (programme, indicator, village, kind[, month]): line
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        try:
            row = _target_row(line, cells, catalogue)
            key = (row.programme, row.indicator, row.village, row.kind) + (
                () if row.kind == "baseline" else (row.month,)
            )
            if key in seen:
                what = "a baseline" if row.kind == "baseline" else f"a target for {row.month}"
                raise ImportProblem(line, f"{what} of {row.indicator} for this village was given on line {seen[key]}")
            seen[key] = line
            rows.append(row)
        except ImportProblem as problem:
            problems.append(problem)
    if not rows and not problems:
        problems.append(ImportProblem(2, "the file has no rows"))
    if problems:
        raise TargetsInvalid(problems)
    return rows


def _target_row(line: int, cells: list[str], catalogue: TargetCatalogue) -> TargetRow:
    if len(cells) != len(TARGETS_HEADER):
        raise ImportProblem(line, f"expected {len(TARGETS_HEADER)} columns, found {len(cells)}")
    programme, indicator, village, kind, month, value = (c.strip() for c in cells)
    if programme not in catalogue.indicators:
        raise ImportProblem(line, f"programme {programme!r} is not known")
    rates = catalogue.indicators[programme]
    if indicator not in rates:
        raise ImportProblem(line, f"indicator {indicator!r} is not in a form of programme {programme}")
    village = ALL_VILLAGES if village in ("", "*") else village
    if village and village not in catalogue.villages.get(programme, ()):
        raise ImportProblem(line, f"village {village} is not in programme {programme}")
    kind = kind.lower()
    if kind not in KINDS:
        raise ImportProblem(line, f"kind must be baseline or target, not {kind!r}")
    try:
        month = str(Period.parse(month))
    except ValueError:
        raise ImportProblem(line, f"month {month!r} is not YYYY-MM") from None
    number = value.removesuffix("%").strip()
    if not _NUMBER.match(number):
        raise ImportProblem(line, f"value {value!r} is not a number")
    amount = float(number.replace(",", "."))
    if rates[indicator]:
        if not 0 <= amount <= 100:
            raise ImportProblem(line, f"{indicator} is a rate: the value must be 0 to 100 (percent)")
        amount = round(amount / 100, 10)
    elif amount < 0:
        raise ImportProblem(line, "the value cannot be negative")
    return TargetRow(programme, indicator, village, kind, month, amount)


def target_catalogue(
    programmes: Mapping[str, Iterable[str]], forms: Mapping[str, FormSpec], villages: Mapping[str, Iterable[str]]
) -> TargetCatalogue:
    """Indicators a target may name: the numeric questions and derived indicators of each
    programme's forms (programme code -> form ids)."""
    indicators: dict[str, dict[str, bool]] = {}
    for code, form_ids in programmes.items():
        found: dict[str, bool] = {}
        for form_id in form_ids:
            form = forms.get(form_id)
            if form is None:
                continue
            for q in form.questions:
                if q.type in (QuestionType.COUNT, QuestionType.MEASURE, QuestionType.YESNO):
                    found[q.id] = False
            for d in form.derived:
                found[d.id] = d.format == "percent"
        indicators[code] = found
    return TargetCatalogue(indicators, {code: frozenset(v) for code, v in villages.items()})


# -- progress -----------------------------------------------------------------------------------
class Status(StrEnum):
    ON_TRACK = "on_track"
    BEHIND = "behind"
    NO_DATA = "no_data"  # a target applies but the village has no value that month


@dataclass(frozen=True)
class Plan:
    """The baseline and targets that apply to one village and indicator."""

    baseline: tuple[str, float] | None = None  # (month, value)
    targets: tuple[tuple[str, float], ...] = ()  # (month, value), ascending months

    @classmethod
    def for_village(cls, rows: Iterable[TargetRow], village: str) -> Plan:
        """Village-specific rows replace the all-village ones, per kind."""
        rows = list(rows)
        own = [r for r in rows if r.village == village]
        common = [r for r in rows if r.village == ALL_VILLAGES]
        baselines = [r for r in own if r.kind == "baseline"] or [r for r in common if r.kind == "baseline"]
        targets = [r for r in own if r.kind == "target"] or [r for r in common if r.kind == "target"]
        return cls(
            baseline=(baselines[0].month, baselines[0].value) if baselines else None,
            targets=tuple(sorted((r.month, r.value) for r in targets)),
        )


@dataclass(frozen=True)
class Progress:
    status: Status | None  # None: no rule applies this month
    actual: float | None
    expected: float | None
    target: float | None  # the next target (or the last one)
    target_month: str | None


def progress(plan: Plan, period: str, actual: float | None, start_month: str | None = None) -> Progress:
    """Progress of one village and indicator in ``period`` (see the module docstring)."""
    if not plan.targets or (start_month and period < start_month) or (plan.baseline and period < plan.baseline[0]):
        return Progress(None, actual, None, None, None)
    ahead = [t for t in plan.targets if t[0] >= period]
    behind = [t for t in plan.targets if t[0] < period]
    target_month, target = ahead[0] if ahead else plan.targets[-1]
    anchor = behind[-1] if behind else plan.baseline
    expected: float | None
    if not ahead:
        expected = target
    elif anchor is None:
        expected = target if period == target_month else None
    else:
        expected = _between(anchor, (target_month, target), period)
    first = plan.baseline[1] if plan.baseline else None
    rising = first is None or plan.targets[-1][1] >= first
    if actual is None:
        return Progress(Status.NO_DATA if expected is not None else None, None, expected, target, target_month)
    goal = expected if expected is not None else target
    reached = round(actual - goal, 9) >= 0 if rising else round(actual - goal, 9) <= 0
    if expected is None and not reached:
        return Progress(None, actual, None, target, target_month)
    return Progress(Status.ON_TRACK if reached else Status.BEHIND, actual, expected, target, target_month)


def _between(start: tuple[str, float], end: tuple[str, float], period: str) -> float:
    first, last, now = (_index(month) for month in (start[0], end[0], period))
    if last <= first:
        return end[1]
    return start[1] + (end[1] - start[1]) * (now - first) / (last - first)


def _index(month: str) -> int:
    p = Period.parse(month)
    return p.year * 12 + p.month


# -- data-quality flags -------------------------------------------------------------------------
class FlagKind(StrEnum):
    SOFT_RULE = "soft_rule"  # a soft rule was broken and the reporter confirmed the values
    JUMP = "jump"  # a value at least doubled or halved since the month before
    REPEATED = "repeated"  # every number the same as the month before


JUMP_MIN = 10  # a jump counts only when the larger of the two values is at least this
REPEATED_MIN = 3  # identical reports count only with at least this many numbers, not all 0


@dataclass(frozen=True)
class ReportValues:
    """The latest revision of one posyandu report."""

    village_code: str
    posyandu_id: str
    posyandu_name: str
    form_id: str
    period: str
    values: Mapping[str, Any]
    confirmed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # question -> soft rule ids


@dataclass(frozen=True)
class QualityFlag:
    village_code: str
    posyandu_id: str
    posyandu_name: str
    form_id: str
    period: str
    kind: FlagKind
    indicator_id: str = ""  # the question (empty: the whole report)
    previous: float | None = None
    value: float | None = None
    detail: str = ""  # the soft rule's message


def quality_flags(
    reports: Iterable[ReportValues], forms: Mapping[str, FormSpec], language: str = "id"
) -> Iterator[QualityFlag]:
    """Flags for reports given in (village, posyandu, form, period) order; one report of the same
    posyandu and form is held to compare with the next month."""
    previous: ReportValues | None = None
    for report in reports:
        form = forms.get(report.form_id)
        if form is None:
            continue
        yield from _soft_rule_flags(report, form, language)
        if (
            previous is not None
            and (previous.posyandu_id, previous.form_id) == (report.posyandu_id, report.form_id)
            and str(Period.parse(previous.period).next()) == report.period
        ):
            yield from _compare(previous, report, form)
        previous = report


def _soft_rule_flags(report: ReportValues, form: FormSpec, language: str) -> Iterator[QualityFlag]:
    messages = {r.id: r.message.get(language) for r in form.rules if r.kind == "soft"}
    order = {q.id: i for i, q in enumerate(form.questions)}
    for question in sorted(report.confirmed, key=lambda q: order.get(q, len(order))):
        for rule in report.confirmed[question]:
            value = report.values.get(question)
            yield QualityFlag(
                report.village_code,
                report.posyandu_id,
                report.posyandu_name,
                report.form_id,
                report.period,
                FlagKind.SOFT_RULE,
                question,
                value=value if _is_number(value) else None,
                detail=messages.get(rule, rule),
            )


def _numbers(report: ReportValues, form: FormSpec) -> dict[str, float]:
    return {
        q.id: report.values[q.id]
        for q in form.questions
        if q.type in (QuestionType.COUNT, QuestionType.MEASURE) and _is_number(report.values.get(q.id))
    }


def _compare(before: ReportValues, now: ReportValues, form: FormSpec) -> Iterator[QualityFlag]:
    old, new = _numbers(before, form), _numbers(now, form)
    for question, value in new.items():
        prior = old.get(question)
        if prior is None or max(prior, value) < JUMP_MIN:
            continue
        if value >= 2 * prior or value <= prior / 2:
            yield QualityFlag(
                now.village_code,
                now.posyandu_id,
                now.posyandu_name,
                now.form_id,
                now.period,
                FlagKind.JUMP,
                question,
                previous=prior,
                value=value,
            )
    if len(new) >= REPEATED_MIN and new == old and any(new.values()):
        yield QualityFlag(
            now.village_code, now.posyandu_id, now.posyandu_name, now.form_id, now.period, FlagKind.REPEATED
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
