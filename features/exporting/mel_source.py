"""The partner and MEL part of an export (exports.model.MelPart) from storage: who supports
which village in which role, progress against target, data-quality flags and report reviews.

Small things (roles, plans, reviews) are read up front on the event loop; progress and quality
flags are streams computed in the builder's worker thread from the export source's own streams
(its village values, and the latest reports of ``storage.export_rows``), which its caller
hands in: this module does not know the source and holds no SQL."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from itertools import groupby
from zoneinfo import ZoneInfo

from domain import mel
from domain.forms import FormSpec
from domain.partners import PARTNER_ROLES, PARTNER_TYPES, label
from domain.periods import Period
from exports.model import (
    MelPart,
    PartnerRoleRow,
    ProgressRow,
    ProgressStatus,
    QualityRow,
    ReviewRow,
    Selection,
    Village,
    VillageValue,
)
from storage import Storage
from storage.export_rows import ExportStreams, LatestReport, ReportOrder

VillageValues = Callable[[Collection[str]], Iterable[VillageValue]]


class _Planned:
    """One village x programme x indicator with a target."""

    __slots__ = ("indicator", "plan", "programme", "start", "village")

    def __init__(self, village: str, programme: str, indicator: str, plan: mel.Plan, start: str):
        self.village, self.programme, self.indicator, self.plan, self.start = village, programme, indicator, plan, start


async def load_mel_part(
    storage: Storage,
    selection: Selection,
    villages: Sequence[Village],
    zones: Mapping[str, ZoneInfo],
    forms: Mapping[str, FormSpec],
    village_values: VillageValues,
    streams: ExportStreams,
) -> MelPart:
    """The MEL part of an export of ``villages`` (with their posyandu) x the selection's months;
    ``forms`` are the report forms, ``village_values`` and ``streams`` the source's own."""
    language = selection.language.value
    codes = [v.code for v in villages]
    programmes = {p.code: p for p in await storage.partners.programmes()}
    roles = [
        PartnerRoleRow(
            r.village_code,
            r.partner_name,
            label(PARTNER_TYPES, r.partner_type, language),
            label(PARTNER_ROLES, r.role, language),
            programmes[r.programme_code].name if r.programme_code else "",
        )
        for r in await storage.partners.roles(codes)
    ]
    plans = await _plans(storage, codes, programmes)
    names = {(v.code, p.id): p.name for v in villages for p in v.posyandu}
    reviews = []
    for r in await storage.reviews.latest_in(codes, list(selection.periods)):
        zone = zones[r.village_code]
        reviews.append(
            ReviewRow(
                r.village_code,
                names.get((r.village_code, str(r.posyandu_id)), str(r.posyandu_id)),
                r.form_id,
                r.period,
                r.revision,
                r.latest_revision,
                r.state,
                r.note,
                r.reviewer_role,
                r.reviewed_at.astimezone(zone).replace(tzinfo=None),
            )
        )
    return MelPart(
        partners=tuple(roles),
        progress=lambda: _progress(selection, village_values, plans),
        quality=lambda: _quality(selection, forms, streams, language),
        reviews=tuple(reviews),
    )


async def _plans(storage: Storage, codes: list[str], programmes: Mapping) -> list[_Planned]:
    targets = await storage.partners.targets()
    planned = []
    for member in await storage.partners.memberships(codes):
        rows = [t for t in targets if t.programme == member.programme_code]
        for indicator, group in groupby(sorted(rows, key=lambda t: t.indicator), key=lambda t: t.indicator):
            plan = mel.Plan.for_village(group, member.village_code)
            if plan.targets:
                planned.append(
                    _Planned(
                        member.village_code, programmes[member.programme_code].name, indicator, plan, member.start_month
                    )
                )
    planned.sort(key=lambda p: (p.village, p.programme, p.indicator))
    return planned


def progress_rows(plans: list[_Planned], values: Mapping[tuple[str, str], float], period: str) -> Iterator[ProgressRow]:
    for p in plans:
        actual = values.get((p.village, p.indicator))
        result = mel.progress(p.plan, period, actual, p.start)
        baseline = p.plan.baseline
        yield ProgressRow(
            p.village,
            p.programme,
            p.indicator,
            baseline[1] if baseline else None,
            baseline[0] if baseline else None,
            result.target,
            result.target_month,
            result.expected,
            result.actual,
            ProgressStatus(result.status) if result.status else None,
        )


def _progress(selection: Selection, village_values: VillageValues, plans: list[_Planned]) -> Iterator[ProgressRow]:
    latest = selection.latest
    wanted = {p.indicator for p in plans}
    values = {}
    if wanted:
        for value in village_values(wanted):
            if value.period == latest and isinstance(value.value, (int, float)):
                values[value.village_code, value.indicator_id] = float(value.value)
    yield from progress_rows(plans, values, latest)


def report_values(reports: Iterable[LatestReport]) -> Iterator[mel.ReportValues]:
    """Latest reports as the ReportValues the quality checks read."""
    for r in reports:
        yield mel.ReportValues(
            r.village_code, str(r.posyandu_id), r.posyandu_name, r.form_id, r.period, r.values, r.confirmed
        )


def _quality(
    selection: Selection, forms: Mapping[str, FormSpec], streams: ExportStreams, language: str
) -> Iterator[QualityRow]:
    periods = list(selection.periods)
    wanted = set(periods)
    before = str(Period.parse(periods[0]).prev())  # to compare the first month with the one before
    with closing(streams.latest_reports(ReportOrder.BY_POSYANDU_FORM, [before, *periods])) as reports:
        for flag in mel.quality_flags(report_values(reports), forms, language):
            if flag.period in wanted:
                yield QualityRow(
                    flag.village_code,
                    flag.posyandu_name,
                    flag.form_id,
                    flag.period,
                    flag.kind.value,
                    flag.indicator_id,
                    flag.previous,
                    flag.value,
                    flag.detail,
                )
