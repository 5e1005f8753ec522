"""Ringkasan: per village, completeness over the selection and the key
indicators of the latest month with their change from the month before."""

from __future__ import annotations

from ..cells import text_value, value_cell
from ..context import ExportContext
from ..grouping import by_village, values_by_indicator
from ..model import (
    CompletenessEntry,
    Indicator,
    IndicatorKind,
    ProgressStatus,
    Value,
    Village,
    VillageValue,
    as_number,
    mel_of,
)
from ..styles import FORMAT_INTEGER, FORMAT_PERCENT, KIND_FORMATS, change_format
from ..table import Column, Table
from ..tally import statuses_by_report, tally
from ..xlsx import CellValue, Sheet

SHEET = "Ringkasan"


def write_summary(ctx: ExportContext) -> None:
    key_indicators = ctx.catalogue.key_indicators()
    mel = mel_of(ctx.source)  # partners: progress against target at a glance
    columns = _columns(ctx, key_indicators)
    if mel is not None:
        columns += [ctx.column(key, minimum=12) for key in ("on_track_count", "behind_count")]
    table = Table(ctx.book, SHEET, columns, preamble=ctx.preamble("title_summary"), frozen_columns=2)
    completeness = by_village(ctx.villages, ctx.source.completeness())
    values = by_village(ctx.villages, ctx.source.village_values([i.id for i in key_indicators]))
    progress = by_village(ctx.villages, mel.progress() if mel is not None else ())
    for (village, entries), (_, records), (_, targets) in zip(completeness, values, progress, strict=False):
        row = _row(ctx, table.sheet, village, entries, records, key_indicators)
        if mel is not None:
            row += [
                sum(1 for t in targets if t.status is status)
                for status in (ProgressStatus.ON_TRACK, ProgressStatus.BEHIND)
            ]
        table.append(row)
    table.close()


def _columns(ctx: ExportContext, key_indicators: list[Indicator]) -> list[Column]:
    columns = [
        *ctx.village_columns(),
        ctx.column("regency", [v.regency.name for v in ctx.villages]),
        *(
            ctx.column(key, minimum=12)
            for key in ("posyandu_count", "expected", "submitted", "on_time_count", "reporting_rate", "on_time_rate")
        ),
    ]
    labels, selection = ctx.labels, ctx.selection
    for indicator in key_indicators:
        columns.append(Column(f"{indicator.label} ({labels.month(selection.latest)})", 16))
        if selection.previous:
            unit = labels["points"] if indicator.kind is IndicatorKind.PERCENT else indicator.unit
            change = labels["change_from"].format(month=labels.month(selection.previous))
            columns.append(Column(f"{indicator.label}: {change} ({unit})", 16))
    return columns


def _row(
    ctx: ExportContext,
    ws: Sheet,
    village: Village,
    entries: list[CompletenessEntry],
    records: list[VillageValue],
    key_indicators: list[Indicator],
) -> list[CellValue]:
    reports = statuses_by_report(entries, ctx.periods)
    total = tally(status for months in reports.values() for status in months.values())
    row: list[CellValue] = [
        *ctx.village_cells(ws, village),
        text_value(ws, village.regency.name),
        len(village.posyandu),
        value_cell(ws, total.expected, FORMAT_INTEGER),
        value_cell(ws, total.submitted, FORMAT_INTEGER),
        value_cell(ws, total.on_time, FORMAT_INTEGER),
        value_cell(ws, total.reporting_rate, FORMAT_PERCENT),
        value_cell(ws, total.on_time_rate, FORMAT_PERCENT),
    ]
    selection = ctx.selection
    values = values_by_indicator(records, ctx.periods)
    for indicator in key_indicators:
        months = values.get(indicator.id, {})
        latest = months.get(selection.latest)
        row.append(value_cell(ws, latest, KIND_FORMATS.get(indicator.kind)))
        if selection.previous:
            difference = _change(indicator.kind, latest, months.get(selection.previous))
            row.append(value_cell(ws, difference, change_format(indicator.kind)))
    return row


def _change(kind: IndicatorKind, latest: Value, previous: Value) -> float | None:
    """Latest minus previous; in percentage points for rates."""
    if latest is None or previous is None:
        return None
    difference = as_number(latest) - as_number(previous)
    return round(difference * 100, 6) if kind is IndicatorKind.PERCENT else difference
