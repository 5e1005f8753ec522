"""Indikator: one row per village and indicator (a multichoice gives one row
per option), one column per month; derived rates included."""

from __future__ import annotations

from ..catalogue import Series
from ..cells import text_value, value_cell
from ..context import ExportContext
from ..grouping import by_village, values_by_indicator
from ..table import Column, Table

SHEET = "Indikator"


def write_indicators(ctx: ExportContext) -> None:
    series = list(ctx.catalogue.all_series())
    table = Table(ctx.book, SHEET, _columns(ctx, series), preamble=ctx.preamble("title_indicators"), frozen_columns=2)
    ws = table.sheet
    described = [
        (
            s,
            [
                text_value(ws, ctx.catalogue.form_title(s.indicator.form_id)),
                s.id,
                text_value(ws, s.label),
                text_value(ws, s.unit),
            ],
        )
        for s in series
    ]
    for village, records in by_village(ctx.villages, ctx.source.village_values()):
        village_cells = ctx.village_cells(ws, village)
        values = values_by_indicator(records, ctx.periods)
        for item, description in described:
            months = values.get(item.indicator.id, {})
            table.append(
                [
                    *village_cells,
                    *description,
                    *(value_cell(ws, item.pick(months.get(period)), item.number_format) for period in ctx.periods),
                ]
            )
    table.close()


def _columns(ctx: ExportContext, series: list[Series]) -> list[Column]:
    return [
        *ctx.village_columns(),
        ctx.column("form", [ctx.catalogue.form_title(s.indicator.form_id) for s in series]),
        ctx.column("indicator_id", [s.id for s in series]),
        ctx.column("indicator", [s.label for s in series]),
        ctx.column("unit", [s.unit for s in series]),
        *ctx.month_columns(),
    ]
