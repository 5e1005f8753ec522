"""Data: the long table, one row per answer (one per option for a
multichoice), with the header on row 1 so it works as a pivot source."""

from __future__ import annotations

from typing import NamedTuple

from ..catalogue import Series
from ..cells import text_value, value_cell
from ..context import ExportContext
from ..grouping import village_lookup
from ..model import RawValue, Village
from ..styles import FORMAT_DATETIME
from ..table import Column, Table
from ..xlsx import CellValue, Sheet

SHEET = "Data"
_HEADERS = (
    "period",
    "province",
    "regency",
    "district",
    "village_code",
    "village",
    "posyandu",
    "form",
    "indicator_id",
    "indicator",
    "value",
    "unit",
    "revision",
    "submitted_at",
    "submitted_by",
)


def write_data(ctx: ExportContext) -> None:
    table = Table(ctx.book, SHEET, _columns(ctx))
    ws = table.sheet
    place = village_lookup(ctx.villages, lambda village: _place_cells(ws, village))
    descriptions: dict[tuple[str, str], Description] = {}  # built once per form and series
    wanted = set(ctx.periods)
    for raw in ctx.source.raw_values():
        if raw.period not in wanted:
            continue
        prefix: list[CellValue] = [raw.period, *place(raw.village_code), text_value(ws, raw.posyandu_name)]
        for series in ctx.catalogue.series(raw.indicator_id):
            description = descriptions.get((raw.form_id, series.id))
            if description is None:
                description = descriptions[raw.form_id, series.id] = _describe(ctx, ws, raw.form_id, series)
            table.append(_row(ws, prefix, description, series, raw))
    table.close()


def _columns(ctx: ExportContext) -> list[Column]:
    villages = ctx.villages
    names = {
        "province": [v.province.name for v in villages],
        "regency": [v.regency.name for v in villages],
        "district": [v.district.name for v in villages],
        "village": [v.name for v in villages],
        "posyandu": [p.name for v in villages for p in v.posyandu],
        "form": [i.form_title for i in ctx.catalogue.indicators],
        "indicator_id": [s.id for s in ctx.catalogue.all_series()],
        "indicator": [s.label for s in ctx.catalogue.all_series()],
        "unit": [i.unit for i in ctx.catalogue.indicators],
    }
    minimum = {"village_code": 15, "submitted_at": len(FORMAT_DATETIME) + 2, "value": 10}
    return [ctx.column(key, names.get(key), minimum.get(key, 8)) for key in _HEADERS]


def _place_cells(ws: Sheet, village: Village) -> list[CellValue]:
    return [
        text_value(ws, village.province.name),
        text_value(ws, village.regency.name),
        text_value(ws, village.district.name),
        village.code,
        text_value(ws, village.name),
    ]


class Description(NamedTuple):
    """The cells naming what a row holds: form, indicator id and label, unit."""

    form: CellValue
    indicator_id: str
    label: CellValue
    unit: CellValue


def _describe(ctx: ExportContext, ws: Sheet, form_id: str, series: Series) -> Description:
    return Description(
        text_value(ws, ctx.catalogue.form_title(form_id)),
        series.id,
        text_value(ws, series.label),
        text_value(ws, series.unit),
    )


def _row(
    ws: Sheet, prefix: list[CellValue], description: Description, series: Series, raw: RawValue
) -> list[CellValue]:
    return [
        *prefix,
        description.form,
        description.indicator_id,
        description.label,
        value_cell(ws, series.pick(raw.value), series.number_format),
        description.unit,
        raw.revision,
        value_cell(ws, raw.submitted_at),
        text_value(ws, raw.submitted_by_role),
    ]
