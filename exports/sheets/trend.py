"""Grafik: a native line chart of the monthly average of the key rates, over
the table of those averages (written as numbers)."""

from __future__ import annotations

from collections import defaultdict

from openpyxl.chart import LineChart, Reference
from openpyxl.utils import get_column_letter

from ..cells import value_cell
from ..context import MONTH_WIDTH, ExportContext
from ..model import Indicator, as_number
from ..styles import FORMAT_PERCENT, HEADER
from ..table import width_for, write_row
from ..xlsx import Sheet

SHEET = "Grafik"
HEADER_ROW = 3  # below the title and note rows


def write_trend(ctx: ExportContext) -> None:
    indicators = ctx.catalogue.chart_indicators()
    ws = ctx.book.sheet(SHEET)
    ws.column_dimensions["A"].width = MONTH_WIDTH
    for index, indicator in enumerate(indicators, 2):
        ws.column_dimensions[get_column_letter(index)].width = width_for([indicator.label], 12)
    for row in ctx.preamble("title_trend", ctx.note("trend_note" if indicators else "no_rates")):
        write_row(ws, row)
    ws.append([HEADER.cell(ws, text) for text in (ctx.labels["month"], *(i.label for i in indicators))])
    means = _monthly_means(ctx, indicators)
    for period in ctx.periods:
        ws.append(
            [ctx.labels.month(period), *(value_cell(ws, means.get((i.id, period)), FORMAT_PERCENT) for i in indicators)]
        )
    ctx.book.rows[SHEET] = len(ctx.periods)
    if indicators:
        anchor = f"{get_column_letter(len(indicators) + 3)}{HEADER_ROW}"  # right of the table
        ws.add_chart(_chart(ctx, ws, len(indicators)), anchor)


def _monthly_means(ctx: ExportContext, indicators: list[Indicator]) -> dict[tuple[str, str], float]:
    """Simple mean over villages with a value, per (indicator, period)."""
    sums: dict[tuple[str, str], float] = defaultdict(float)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    wanted = set(ctx.periods)
    for record in ctx.source.village_values([i.id for i in indicators]):
        if record.value is not None and record.period in wanted:
            key = (record.indicator_id, record.period)
            sums[key] += as_number(record.value)
            counts[key] += 1
    return {key: sums[key] / counts[key] for key in sums}


def _chart(ctx: ExportContext, ws: Sheet, series_count: int) -> LineChart:
    chart = LineChart()
    chart.title = f"{ctx.labels['title_trend']} — {ctx.labels['average_of_villages']}"
    chart.y_axis.number_format = "0%"
    chart.y_axis.scaling.min = 0
    chart.x_axis.delete = False  # openpyxl 3.1 hides both axes unless told otherwise
    chart.y_axis.delete = False
    last_row = HEADER_ROW + len(ctx.periods)
    data = Reference(ws, min_col=2, max_col=series_count + 1, min_row=HEADER_ROW, max_row=last_row)
    chart.add_data(data, titles_from_data=True)
    for series in chart.series:
        series.smooth = False  # straight segments: a curve would invent values between months
        series.marker.symbol = "circle"
    chart.set_categories(Reference(ws, min_col=1, min_row=HEADER_ROW + 1, max_row=last_row))
    chart.width, chart.height = 24, 12
    return chart
