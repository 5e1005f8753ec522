"""Keterangan: the selection, who generated the file and when, the status
legend, reading rules, and the definitions of every indicator."""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl.utils import get_column_letter

from ..cells import text_value, value_cell
from ..context import ExportContext
from ..model import ReportStatus, mel_of
from ..styles import BOLD, HEADER, SECTION, STATUS_STYLES
from ..table import Item, Styled
from ..xlsx import CellValue, Sheet

SHEET = "Keterangan"
WIDTHS = (24, 30, 40, 18, 14, 60, 40, 40, 14)
RULES = ("rule_missing", "rule_percent", "rule_multichoice", "rule_yesno", "rule_rates", "rule_pseudonym")
INDICATOR_HEADERS = ("indicator_id", "form", "indicator", "kind", "unit", "definition", "formula", "options", "key")
MEL_RULES = ("rule_progress", "rule_on_track", "rule_no_baseline", "rule_flags")
HOUSEHOLD_HEADERS = INDICATOR_HEADERS[:6]  # same columns, so definitions line up


def write_notes(ctx: ExportContext) -> None:
    ws = ctx.book.sheet(SHEET)
    for index, width in enumerate(WIDTHS, 1):
        ws.column_dimensions[get_column_letter(index)].width = width
    rows = [
        *ctx.preamble("title_notes"),
        *_selection_rows(ctx),
        [],
        *_legend_rows(ctx),
        [],
        [Styled(SECTION, ctx.labels["section_rules"])],
        *([ctx.labels[rule]] for rule in RULES),
        [],
        *_indicator_rows(ctx),
        [],
        *_household_rows(ctx),
        *_mel_rows(ctx),
    ]
    for row in rows:
        ws.append([_cell(ws, item) for item in row])
    ctx.book.rows[SHEET] = len(rows)


def _cell(ws: Sheet, item: Item) -> CellValue:
    if isinstance(item, Styled):
        return item.cell(ws)
    return text_value(ws, item) if isinstance(item, str) else value_cell(ws, item)


def _selection_rows(ctx: ExportContext) -> list[Sequence[Item]]:
    labels, selection = ctx.labels, ctx.selection
    by = selection.generated_by
    return [
        [Styled(SECTION, labels["section_selection"])],
        [Styled(BOLD, labels["scope"]), selection.scope_label],
        [Styled(BOLD, labels["periods"]), labels.period_range(selection.periods)],
        [Styled(BOLD, labels["villages_count"]), len(ctx.villages)],
        [Styled(BOLD, labels["generated_at"]), selection.generated_at],
        [Styled(BOLD, labels["generated_by"]), f"{by.role}: {by.display_name}"],
        [Styled(BOLD, labels["language"]), selection.language.value],
    ]


def _legend_rows(ctx: ExportContext) -> list[Sequence[Item]]:
    return [
        [Styled(SECTION, ctx.labels["section_legend"])],
        *([Styled(STATUS_STYLES[status], ctx.labels.status(status))] for status in ReportStatus),
        [ctx.labels["not_expected"]],
    ]


def _indicator_rows(ctx: ExportContext) -> list[Sequence[Item]]:
    labels = ctx.labels
    rows: list[Sequence[Item]] = [[Styled(SECTION, labels["section_indicators"])], _header(ctx, INDICATOR_HEADERS)]
    for i in ctx.catalogue.indicators:
        options = "; ".join(f"{option.id} = {option.label}" for option in i.options)
        rows.append(
            [
                i.id,
                i.form_title,
                i.label,
                labels.kind(i.kind),
                i.unit,
                i.definition,
                i.formula or "",
                options,
                labels["yes"] if i.key else "",
            ]
        )
    return rows


def _household_rows(ctx: ExportContext) -> list[Sequence[Item]]:
    labels = ctx.labels
    rows: list[Sequence[Item]] = [[Styled(SECTION, labels["section_households"])], _header(ctx, HOUSEHOLD_HEADERS)]
    for i in ctx.source.household_indicators():
        rows.append([i.id, labels["households"], i.label, labels.kind(i.kind), i.unit, i.definition])
    return rows


def _mel_rows(ctx: ExportContext) -> list[Sequence[Item]]:
    """The progress rule and the data-quality flags, when the export has partners and MEL."""
    if mel_of(ctx.source) is None:
        return []
    return [[], [Styled(SECTION, ctx.labels["section_mel"])], *([ctx.labels[rule]] for rule in MEL_RULES)]


def _header(ctx: ExportContext, keys: tuple[str, ...]) -> list[Item]:
    return [Styled(HEADER, ctx.labels[key]) for key in keys]
