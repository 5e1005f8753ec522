"""Kelengkapan: per village, posyandu and form, the status of each month
(green on time, amber late, red missing, empty when not expected), the row's
expected/submitted/on-time counts and rates, and a village total row."""

from __future__ import annotations

from ..cells import styled_value, text_value
from ..context import ExportContext
from ..grouping import by_village
from ..model import ReportStatus, Village
from ..styles import BOLD, BOLD_INTEGER, BOLD_PERCENT, INTEGER, PERCENT, STATUS_STYLES, CellStyle
from ..table import Column, Item, Styled, Table
from ..tally import Tally, statuses_by_report, tally
from ..xlsx import CellValue, Sheet

SHEET = "Kelengkapan"
_TOTAL_KEYS = ("expected", "submitted", "on_time_count", "reporting_rate", "on_time_rate")


def write_completeness(ctx: ExportContext) -> None:
    table = Table(
        ctx.book, SHEET, _columns(ctx), preamble=ctx.preamble("title_completeness", _legend(ctx)), frozen_columns=2
    )
    for village, entries in by_village(ctx.villages, ctx.source.completeness()):
        reports = statuses_by_report(entries, ctx.periods)
        for (_, posyandu_name, form_id), months in reports.items():
            table.append(_report_row(ctx, table.sheet, village, posyandu_name, form_id, months))
        table.append(_village_total_row(ctx, table.sheet, village, list(reports.values())))
    table.close()


def _columns(ctx: ExportContext) -> list[Column]:
    posyandu_names = [p.name for v in ctx.villages for p in v.posyandu]
    form_titles = [i.form_title for i in ctx.catalogue.indicators]
    return [
        *ctx.village_columns(),
        ctx.column("posyandu", [*posyandu_names, ctx.labels["village_total"]]),
        ctx.column("form", [*form_titles, ctx.labels["all_forms"]]),
        *ctx.month_columns(),
        *(ctx.column(key, minimum=12) for key in _TOTAL_KEYS),
    ]


def _legend(ctx: ExportContext) -> list[Item]:
    return [
        *(Styled(STATUS_STYLES[status], ctx.labels.status(status)) for status in ReportStatus),
        Styled(BOLD, ctx.labels["not_expected"]),
    ]


def _report_row(
    ctx: ExportContext, ws: Sheet, village: Village, posyandu_name: str, form_id: str, months: dict[str, ReportStatus]
) -> list[CellValue]:
    statuses = [months.get(period) for period in ctx.periods]
    return [
        *ctx.village_cells(ws, village),
        text_value(ws, posyandu_name),
        text_value(ws, ctx.catalogue.form_title(form_id)),
        *(STATUS_STYLES[s].cell(ws, ctx.labels.status(s)) if s else None for s in statuses),
        *_totals(ws, tally(months.values()), INTEGER, PERCENT),
    ]


def _village_total_row(
    ctx: ExportContext, ws: Sheet, village: Village, reports: list[dict[str, ReportStatus]]
) -> list[CellValue]:
    monthly = [tally(months[period] for months in reports if period in months) for period in ctx.periods]
    overall = tally(status for months in reports for status in months.values())
    return [
        *ctx.village_cells(ws, village),
        BOLD.cell(ws, ctx.labels["village_total"]),
        BOLD.cell(ws, ctx.labels["all_forms"]),
        *(styled_value(ws, BOLD_PERCENT, month.reporting_rate) for month in monthly),
        *_totals(ws, overall, BOLD_INTEGER, BOLD_PERCENT),
    ]


def _totals(ws: Sheet, total: Tally, count: CellStyle, rate: CellStyle) -> list[CellValue]:
    return [
        count.cell(ws, total.expected),
        count.cell(ws, total.submitted),
        count.cell(ws, total.on_time),
        styled_value(ws, rate, total.reporting_rate),
        styled_value(ws, rate, total.on_time_rate),
    ]
