"""The export source: villages, reports and completeness from storage, mapped for the workbook builder.

The builder (:mod:`exports`) is synchronous and runs in a worker thread; the database is
aiosqlite on the event loop. Small things (the catalogue, the villages with their posyandu)
are loaded up front with :meth:`StorageExportSource.load`; everything that grows with
villages x months x indicators is streamed: each pass of the builder is one pass over a
stream of ``storage.export_rows`` (one SQL query through ``Database.iterate`` on the event
loop, its rows handed to the thread in batches), so memory stays bounded by one batch plus
one village's group. This module only maps those rows into :mod:`exports.model`; it holds
no SQL.

Village values are the posyandu answers of the latest revisions summed per village, month and
question (yes/no: the number of "yes"; multichoice: option -> count), and then the form's
derived indicators computed by ``domain.formflow.derived_values`` on those sums, so a village
rate is always sum(D) / sum(S), never a mean of posyandu rates.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import groupby
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from domain import formflow
from domain import households as household_states
from domain.clock import iso
from domain.forms import FormSpec, Question, QuestionType
from domain.households import Status
from domain.models import User
from domain.models import Village as StoredVillage
from domain.periods import Period
from domain.roles import Role
from exports.model import (
    Area,
    CompletenessEntry,
    HouseholdIndicator,
    HouseholdRecord,
    HouseholdValue,
    Indicator,
    IndicatorKind,
    MelPart,  # partners
    Option,
    Posyandu,
    RawValue,
    ReportStatus,
    Selection,
    Village,
    VillageValue,
)
from features.exporting.mel_source import load_mel_part  # partners
from storage import Storage
from storage.export_rows import ExportStreams, ReportOrder

_KINDS = {
    QuestionType.COUNT: IndicatorKind.COUNT,
    QuestionType.MEASURE: IndicatorKind.MEASURE,
    QuestionType.YESNO: IndicatorKind.YESNO,
    QuestionType.CHOICE: IndicatorKind.CHOICE,
    QuestionType.MULTICHOICE: IndicatorKind.MULTICHOICE,
    QuestionType.TEXT: IndicatorKind.TEXT,
    QuestionType.DATE: IndicatorKind.DATE,
}
_SUMMED = frozenset({QuestionType.COUNT, QuestionType.MEASURE, QuestionType.YESNO, QuestionType.MULTICHOICE})
_PERSONAL_FORMATS = frozenset({"nik", "kk", "name"})


# -- who may export what ------------------------------------------------------------------------
async def exportable_villages(storage: Storage, user: User | None) -> list[StoredVillage]:
    """Villages ``user`` may export, ascending code. ``None`` is the command line (all villages).

    admin: all; koordinator: those its scope covers; perangkat_desa: its own village only;
    kader, bidan: none (they report, they do not download summaries)."""
    if user is None or user.role is Role.ADMIN:
        return await storage.areas.villages()
    if user.role is Role.KOORDINATOR:
        return [v for v in await storage.areas.villages() if user.covers_village(v.code)]
    if user.role is Role.PERANGKAT_DESA and user.home_village:
        village = await storage.areas.village(user.home_village)
        return [village] if village else []
    return []


# -- households: filled in by the household work -----------------------------------------------
@dataclass(frozen=True)
class HouseholdPart:
    """The household side of an export: catalogue, flags and two streams (one pass each call)."""

    indicators: tuple[HouseholdIndicator, ...] = ()
    flags: tuple[Option, ...] = ()
    values: Callable[[], Iterable[HouseholdValue]] = lambda: iter(())
    records: Callable[[], Iterable[HouseholdRecord]] | None = None  # None: the viewer may not see the list


async def load_household_part(
    storage: Storage,
    village_codes: Sequence[str],
    periods: Sequence[str],
    viewer: User | None,
    language: str,
    forms: Mapping[str, FormSpec] | None = None,
) -> HouseholdPart:
    """Household indicators per village and month, each from every household's last version
    saved by the end of that month (village time) and active then; the pseudonymous list (the
    current records) only for viewers allowed to see it. Non-sensitive answers only: nothing is
    decrypted for an export."""
    form = next((f for f in (forms or {}).values() if f.kind == "household"), None)
    history = await storage.households.history(village_codes) if form is not None and periods else []
    if not history:
        return HouseholdPart()
    zones = {v.code: ZoneInfo(v.timezone) for v in await storage.areas.villages() if v.code in set(village_codes)}
    by_household = {key: list(rows) for key, rows in groupby(history, key=lambda r: (r["village_code"], r["id"]))}
    values: list[HouseholdValue] = []
    for village, households in groupby(by_household.items(), key=lambda item: item[0][0]):
        households = [versions for _, versions in households]
        for period in periods:
            cutoff = _month_end(period, zones[village])
            states = [household_states.state_at(versions, cutoff) for versions in households]
            active = [s["answers"] for s in states if s is not None and s["status"] == Status.ACTIVE]
            values.extend(
                HouseholdValue(village, period, key, value)
                for key, value in household_states.village_indicators(form, active).items()
            )
    records = None
    if household_states.may_see_household_list(viewer):
        current = [versions[-1] for versions in by_household.values()]
        records = [
            HouseholdRecord(
                pseudonym=c["pseudonym"],
                village_code=c["village_code"],
                rw=c["answers"].get("rw", ""),
                rt=c["answers"].get("rt", ""),
                flags=household_states.household_flags(form, c["answers"]),
            )
            for c in current
            if c["status"] == Status.ACTIVE
        ]
    english = language == "en"
    indicators = tuple(
        HouseholdIndicator(
            id=d.id,
            label=d.label[english],
            unit=d.unit,
            definition=d.definition[english],
            kind=IndicatorKind.PERCENT if d.share else IndicatorKind.COUNT,
        )
        for d in household_states.INDICATORS
    )
    flags = tuple(Option(key, en if english else id_) for key, id_, en in household_states.FLAGS)
    return HouseholdPart(
        indicators, flags, values=lambda: iter(values), records=None if records is None else (lambda: iter(records))
    )


def _month_end(period: str, zone: ZoneInfo) -> str:
    """The last second of the month in the village's time, as stored (UTC ISO)."""
    first_of_next = Period.parse(period).next().day(1)
    return iso(datetime.combine(first_of_next, time(0), zone) - timedelta(seconds=1))


# -- the catalogue ------------------------------------------------------------------------------
def exported_questions(form: FormSpec) -> list[Question]:
    """Questions that go into a workbook: never sensitive ones or personal identifiers."""
    return [q for q in form.questions if not q.sensitive and q.format not in _PERSONAL_FORMATS]


def catalogue(forms: Iterable[FormSpec], language: str) -> list[Indicator]:
    """Questions then derived indicators, form by form, labels in ``language``."""
    indicators = []
    for form in forms:
        title = form.title.get(language)
        for q in exported_questions(form):
            indicators.append(
                Indicator(
                    id=q.id,
                    form_id=form.id,
                    form_title=title,
                    label=q.label.get(language),
                    unit=q.unit or "",
                    definition=q.help.get(language) if q.help else "",
                    kind=_KINDS[q.type],
                    options=tuple(Option(o.id, o.label.get(language)) for o in q.options),
                    key=q.key,
                )
            )
        for d in form.derived:
            indicators.append(
                Indicator(
                    id=d.id,
                    form_id=form.id,
                    form_title=title,
                    label=d.label.get(language),
                    unit="%" if d.format == "percent" else "",
                    definition=d.help.get(language) if d.help else "",
                    kind=IndicatorKind.PERCENT if d.format == "percent" else IndicatorKind.MEASURE,
                    formula=d.formula,
                    key=d.key,
                )
            )
    return indicators


# -- aggregation (pure) -------------------------------------------------------------------------
def aggregate(form: FormSpec, reports: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """One village's answers for one form and month, from its posyandu reports.

    Counts, measures and yes/no (number of "yes") are summed, multichoice becomes option ->
    count. A question absent from a report (it did not apply there) is left out of the sum; a
    question a posyandu skipped (None) makes the village value missing, as does a question
    nobody answered: a sum with a hole in it is not the village's figure. Choice, text and date
    answers are not summed (they are in the Data sheet, per posyandu)."""
    reports = list(reports)
    result: dict[str, Any] = {}
    for q in exported_questions(form):
        if q.type not in _SUMMED:
            continue
        present = [r[q.id] for r in reports if q.id in r]
        if not present or any(v is None for v in present):
            if present:
                result[q.id] = None
            continue
        if q.type is QuestionType.MULTICHOICE:
            counts = {o.id: 0 for o in q.options}
            for chosen in present:
                for option in [chosen] if isinstance(chosen, str) else chosen:
                    counts[option] = counts.get(option, 0) + 1
            result[q.id] = counts
        elif q.type is QuestionType.YESNO:
            result[q.id] = sum(1 for v in present if v is True)
        else:
            total = sum(present)
            result[q.id] = int(total) if q.type is QuestionType.COUNT else total
    return result


def village_answers(form: FormSpec, period: str, reports: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Summed answers plus the form's derived indicators computed on the sums."""
    answers = aggregate(form, reports)
    numeric = {k: v for k, v in answers.items() if not isinstance(v, Mapping)}
    try:
        derived = formflow.derived_values(form, numeric, formflow.Context(month=Period.parse(period).month))
    except Exception:  # a formula that cannot run on sums is left empty, never guessed
        derived = {d.id: None for d in form.derived}
    return {**answers, **derived}


def status_of(first_submitted_at: datetime | None, due: date, zone: ZoneInfo) -> ReportStatus:
    if first_submitted_at is None:
        return ReportStatus.MISSING
    local_day = first_submitted_at.astimezone(zone).date()
    return ReportStatus.ON_TIME if local_day <= due else ReportStatus.LATE


# -- the source ---------------------------------------------------------------------------------
@dataclass
class StorageExportSource:
    """An :class:`exports.model.ExportSource` over the database, for one selection.

    Create it on the event loop with :meth:`load`; iterate its streams from a worker thread
    (``asyncio.to_thread``), never on the loop itself."""

    selection: Selection
    forms: dict[str, FormSpec]  # report forms, in catalogue order
    _villages: tuple[Village, ...]
    _zones: dict[str, ZoneInfo]
    _today: dict[str, date]  # village code -> local date now
    _indicators: tuple[Indicator, ...]
    _streams: ExportStreams
    households_part: HouseholdPart = field(default_factory=HouseholdPart)
    mel_part: MelPart | None = None  # partners: Mitra, Capaian, Kualitas Data, Tinjauan

    @classmethod
    async def load(
        cls,
        storage: Storage,
        forms: Mapping[str, FormSpec],
        selection: Selection,
        village_codes: Collection[str],
        viewer: User | None = None,
    ) -> StorageExportSource:
        wanted = set(village_codes)
        stored = [v for v in await storage.areas.villages() if v.code in wanted]
        codes = [v.code for v in stored]
        report_forms = {f.id: f for f in forms.values() if f.kind == "report"}
        by_village: dict[str, list[Posyandu]] = {}
        for place in await storage.export_rows.posyandu(codes, selection.periods):
            by_village.setdefault(place.village_code, []).append(Posyandu(str(place.id), place.name))
        villages = tuple(
            Village(
                code=v.code,
                name=v.name,
                district=Area(v.district_code, v.district_name),
                regency=Area(v.regency_code, v.regency_name),
                province=Area(v.province_code, v.province_name),
                posyandu=tuple(by_village.get(v.code, ())),
            )
            for v in stored
        )
        zones = {v.code: ZoneInfo(v.timezone) for v in stored}
        now = storage.clock.now()
        part = await load_household_part(
            storage, codes, selection.periods, viewer, selection.language.value, forms
        )  # households: the household form
        streams = storage.export_rows.streams(codes, selection.periods, report_forms)
        source = cls(
            selection=selection,
            forms=report_forms,
            _villages=villages,
            _zones=zones,
            _today={code: now.astimezone(zone).date() for code, zone in zones.items()},
            _indicators=tuple(catalogue(report_forms.values(), selection.language.value)),
            _streams=streams,
            households_part=part,
        )
        source.mel_part = await load_mel_part(
            storage, selection, villages, zones, report_forms, source.village_values, streams
        )  # partners
        return source

    # -- small parts ------------------------------------------------------------------------
    def indicators(self) -> Sequence[Indicator]:
        return self._indicators

    def villages(self) -> Iterator[Village]:
        return iter(self._villages)

    @property
    def village_codes(self) -> list[str]:
        return [v.code for v in self._villages]

    # -- streams ----------------------------------------------------------------------------
    def village_values(self, indicator_ids: Collection[str] | None = None) -> Iterator[VillageValue]:
        wanted = None if indicator_ids is None else frozenset(indicator_ids)
        if wanted is not None and not wanted:
            return iter(())
        return self._village_values(wanted)

    def _village_values(self, wanted: frozenset[str] | None) -> Iterator[VillageValue]:
        with closing(self._streams.latest_reports(ReportOrder.BY_MONTH)) as reports:
            for (village, period, form_id), group in groupby(
                reports, key=attrgetter("village_code", "period", "form_id")
            ):
                values = village_answers(self.forms[form_id], period, [report.values for report in group])
                for indicator_id, value in values.items():
                    if wanted is None or indicator_id in wanted:
                        yield VillageValue(village, period, indicator_id, value)

    def raw_values(self) -> Iterator[RawValue]:
        exported = {form_id: exported_questions(form) for form_id, form in self.forms.items()}
        with closing(self._streams.latest_reports(ReportOrder.BY_POSYANDU_NAME)) as reports:
            for report in reports:
                zone = self._zones[report.village_code]
                submitted_at = report.submitted_at.astimezone(zone).replace(tzinfo=None)
                answers = report.values
                for question in exported[report.form_id]:  # in form order
                    if question.id in answers:
                        yield RawValue(
                            period=report.period,
                            village_code=report.village_code,
                            posyandu_id=str(report.posyandu_id),
                            posyandu_name=report.posyandu_name,
                            form_id=report.form_id,
                            indicator_id=question.id,
                            value=_typed(question, answers[question.id]),
                            revision=report.revision,
                            submitted_at=submitted_at,
                            submitted_by_role=report.submitted_role,
                        )

    def completeness(self) -> Iterator[CompletenessEntry]:
        """Every active posyandu x report form x month whose due date has passed in the village
        (earlier months only when already submitted), grouped by village; posyandu, form, period."""
        with closing(self._streams.first_submissions()) as rows:
            submitted = groupby(rows, key=attrgetter("village_code"))
            pending = next(submitted, None)
            for village in self._villages:
                firsts: dict[tuple[str, str, str], datetime] = {}
                while pending is not None and pending[0] <= village.code:
                    if pending[0] == village.code:
                        firsts = {(str(r.posyandu_id), r.form_id, r.period): r.first_submitted_at for r in pending[1]}
                    pending = next(submitted, None)
                yield from self._expected(village, firsts)

    def _expected(self, village: Village, firsts: dict) -> Iterator[CompletenessEntry]:
        zone, today = self._zones[village.code], self._today[village.code]
        for place in village.posyandu:
            for form in self.forms.values():
                for period in self.selection.periods:
                    first = firsts.get((place.id, form.id, period))
                    due = form.schedule.due(Period.parse(period))
                    if first is None and due >= today:
                        continue  # not due yet (the due day itself still counts as on time)
                    yield CompletenessEntry(
                        village.code, place.id, place.name, form.id, period, status_of(first, due, zone)
                    )

    def household_indicators(self) -> Sequence[HouseholdIndicator]:
        return self.households_part.indicators

    def mel(self) -> MelPart | None:  # partners
        return self.mel_part

    def household_values(self) -> Iterable[HouseholdValue]:
        return self.households_part.values()

    def household_flags(self) -> Sequence[Option]:
        return self.households_part.flags

    def households(self) -> Iterable[HouseholdRecord] | None:
        records = self.households_part.records
        return None if records is None else records()


def _typed(question: Question, value: Any) -> Any:
    if question.type is QuestionType.DATE and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value
