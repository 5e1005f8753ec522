"""The partner and MEL part of an export (exports.model.MelPart) read from SQLite: who supports
which village in which role, progress against target, data-quality flags and report reviews.

Small things (roles, plans, reviews) are read up front on the event loop; progress and quality
flags are streams computed in the builder's worker thread from the source's own streams."""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from itertools import groupby
from typing import TYPE_CHECKING

from domain import mel
from domain.partners import PARTNER_ROLES, PARTNER_TYPES, label
from domain.periods import Period
from exports.model import MelPart, PartnerRoleRow, ProgressRow, ProgressStatus, QualityRow, ReviewRow

if TYPE_CHECKING:
    from features.exporting.source import StorageExportSource
    from storage import Storage

_REPORTS = """
SELECT r.id AS report_id, r.village_code, r.period, r.form_id, r.posyandu_id, p.name AS posyandu_name,
       rv.question_id, rv.value, rv.confirmed_rules
FROM reports r
JOIN report_revisions v ON v.report_id = r.id AND v.revision = r.latest_revision
JOIN report_values rv ON rv.revision_id = v.id
JOIN posyandu p ON p.id = r.posyandu_id
WHERE r.village_code IN (SELECT value FROM json_each(?)) AND r.period IN (SELECT value FROM json_each(?))
  AND r.form_id IN (SELECT value FROM json_each(?))
ORDER BY r.village_code, r.posyandu_id, r.form_id, r.period
"""


class _Planned:
    """One village x programme x indicator with a target."""
    __slots__ = ("indicator", "plan", "programme", "start", "village")

    def __init__(self, village: str, programme: str, indicator: str, plan: mel.Plan, start: str):
        self.village, self.programme, self.indicator, self.plan, self.start = village, programme, indicator, plan, start


async def load_mel_part(storage: Storage, source: StorageExportSource, language: str) -> MelPart:
    codes = source.village_codes
    programmes = {p.code: p for p in await storage.partners.programmes()}
    roles = [PartnerRoleRow(r.village_code, r.partner_name, label(PARTNER_TYPES, r.partner_type, language),
                            label(PARTNER_ROLES, r.role, language),
                            programmes[r.programme_code].name if r.programme_code else "")
             for r in await storage.partners.roles(codes)]
    plans = await _plans(storage, codes, programmes)
    names = {(v.code, p.id): p.name for v in source.villages() for p in v.posyandu}
    reviews = []
    for r in await storage.reviews.latest_in(codes, list(source.selection.periods)):
        zone = source._zones[r.village_code]
        reviews.append(ReviewRow(r.village_code, names.get((r.village_code, str(r.posyandu_id)), str(r.posyandu_id)),
                                 r.form_id, r.period, r.revision, r.latest_revision, r.state, r.note,
                                 r.reviewer_role, r.reviewed_at.astimezone(zone).replace(tzinfo=None)))
    return MelPart(partners=tuple(roles), progress=lambda: _progress(source, plans),
                   quality=lambda: _quality(source, language), reviews=tuple(reviews))


async def _plans(storage: Storage, codes: list[str], programmes: Mapping) -> list[_Planned]:
    targets = await storage.partners.targets()
    planned = []
    for member in await storage.partners.memberships(codes):
        rows = [t for t in targets if t.programme == member.programme_code]
        for indicator, group in groupby(sorted(rows, key=lambda t: t.indicator), key=lambda t: t.indicator):
            plan = mel.Plan.for_village(group, member.village_code)
            if plan.targets:
                planned.append(_Planned(member.village_code, programmes[member.programme_code].name, indicator,
                                        plan, member.start_month))
    planned.sort(key=lambda p: (p.village, p.programme, p.indicator))
    return planned


def progress_rows(plans: list[_Planned], values: Mapping[tuple[str, str], float], period: str) -> Iterator[ProgressRow]:
    for p in plans:
        actual = values.get((p.village, p.indicator))
        result = mel.progress(p.plan, period, actual, p.start)
        baseline = p.plan.baseline
        yield ProgressRow(p.village, p.programme, p.indicator, baseline[1] if baseline else None,
                          baseline[0] if baseline else None, result.target, result.target_month, result.expected,
                          result.actual, ProgressStatus(result.status) if result.status else None)


def _progress(source: StorageExportSource, plans: list[_Planned]) -> Iterator[ProgressRow]:
    latest = source.selection.latest
    wanted = {p.indicator for p in plans}
    values = {}
    if wanted:
        for value in source.village_values(wanted):
            if value.period == latest and isinstance(value.value, (int, float)):
                values[value.village_code, value.indicator_id] = float(value.value)
    yield from progress_rows(plans, values, latest)


def report_values(rows) -> Iterator[mel.ReportValues]:
    """Rows of _REPORTS (one report's rows together) as ReportValues."""
    for _, answers in groupby(rows, key=lambda r: r["report_id"]):
        answers = list(answers)
        first = answers[0]
        yield mel.ReportValues(
            first["village_code"], str(first["posyandu_id"]), first["posyandu_name"], first["form_id"],
            first["period"], {a["question_id"]: _decode(a["value"]) for a in answers},
            {a["question_id"]: tuple(json.loads(a["confirmed_rules"])) for a in answers
             if a["confirmed_rules"] not in ("[]", "", None)})


def _quality(source: StorageExportSource, language: str) -> Iterator[QualityRow]:
    from features.exporting.source import _Bridge
    periods = list(source.selection.periods)
    wanted = set(periods)
    before = str(Period.parse(periods[0]).prev())  # to compare the first month with the one before
    params = (json.dumps(source.village_codes), json.dumps([before, *periods]), json.dumps(list(source.forms)))
    rows = _Bridge(source._loop, source.db, _REPORTS, params).rows()
    for flag in mel.quality_flags(report_values(rows), source.forms, language):
        if flag.period in wanted:
            yield QualityRow(flag.village_code, flag.posyandu_name, flag.form_id, flag.period, flag.kind.value,
                             flag.indicator_id, flag.previous, flag.value, flag.detail)


def _decode(text):
    return None if text is None else json.loads(text)

