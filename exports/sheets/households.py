"""Rumah Tangga sheets: household indicators per village for the latest month
and per month, and the pseudonymous household list when the viewer may see it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ..cells import text_value, value_cell
from ..context import ExportContext
from ..grouping import by_village, values_by_indicator, village_lookup
from ..model import HouseholdIndicator, HouseholdRecord, Option
from ..styles import KIND_FORMATS
from ..table import Column, Table, width_for
from ..xlsx import CellValue, Sheet

LATEST_SHEET = "Rumah Tangga"
MONTHLY_SHEET = "Rumah Tangga per Bulan"
LIST_SHEET = "Daftar Rumah Tangga"


def write_households(ctx: ExportContext) -> None:
    indicators = list(ctx.source.household_indicators())
    _write_latest(ctx, indicators)
    _write_monthly(ctx, indicators)
    households = ctx.source.households()
    if households is not None:
        _write_list(ctx, households)


def _write_latest(ctx: ExportContext, indicators: list[HouseholdIndicator]) -> None:
    headers = [f"{i.label} ({i.unit})" if i.unit else i.label for i in indicators]
    columns = [*ctx.village_columns(), *(Column(h, width_for([h], 12)) for h in headers)]
    latest = ctx.selection.latest
    table = Table(
        ctx.book,
        LATEST_SHEET,
        columns,
        frozen_columns=2,
        preamble=ctx.preamble("title_households", [ctx.labels.month_long(latest)]),
    )
    ws = table.sheet
    for village, records in by_village(ctx.villages, ctx.source.household_values()):
        values = values_by_indicator(records, (latest,))
        table.append(
            [
                *ctx.village_cells(ws, village),
                *(value_cell(ws, values.get(i.id, {}).get(latest), KIND_FORMATS.get(i.kind)) for i in indicators),
            ]
        )
    table.close()


def _write_monthly(ctx: ExportContext, indicators: list[HouseholdIndicator]) -> None:
    columns = [
        *ctx.village_columns(),
        ctx.column("indicator_id", [i.id for i in indicators]),
        ctx.column("indicator", [i.label for i in indicators]),
        ctx.column("unit", [i.unit for i in indicators]),
        *ctx.month_columns(),
    ]
    table = Table(ctx.book, MONTHLY_SHEET, columns, frozen_columns=2, preamble=ctx.preamble("title_households_monthly"))
    ws = table.sheet
    described = [
        (i, [i.id, text_value(ws, i.label), text_value(ws, i.unit)], KIND_FORMATS.get(i.kind)) for i in indicators
    ]
    for village, records in by_village(ctx.villages, ctx.source.household_values()):
        values = values_by_indicator(records, ctx.periods)
        village_cells = ctx.village_cells(ws, village)
        for indicator, description, number_format in described:
            months = values.get(indicator.id, {})
            table.append(
                [
                    *village_cells,
                    *description,
                    *(value_cell(ws, months.get(period), number_format) for period in ctx.periods),
                ]
            )
    table.close()


def _write_list(ctx: ExportContext, households: Iterable[HouseholdRecord]) -> None:
    flags = list(ctx.source.household_flags())
    columns = [
        ctx.column("pseudonym", minimum=14),
        ctx.column("village_code", minimum=15),
        ctx.column("village", [village.name for village in ctx.villages]),
        ctx.column("rw", minimum=6),
        ctx.column("rt", minimum=6),
        *(Column(flag.label, width_for([flag.label], 10)) for flag in flags),
    ]
    table = Table(
        ctx.book,
        LIST_SHEET,
        columns,
        preamble=ctx.preamble("title_household_list", ctx.note("rule_pseudonym")),
        frozen_columns=1,
    )
    village_name = village_lookup(ctx.villages, lambda village: text_value(table.sheet, village.name))
    for household in households:
        table.append(_household_row(table.sheet, household, village_name, flags))
    table.close()


def _household_row(
    ws: Sheet, household: HouseholdRecord, village_name: Callable[[str], CellValue], flags: Sequence[Option]
) -> list[CellValue]:
    return [
        text_value(ws, household.pseudonym),
        household.village_code,
        village_name(household.village_code),
        text_value(ws, household.rw),
        text_value(ws, household.rt),
        *(int(flag.id in household.flags) for flag in flags),
    ]
