"""Partners and MEL: Capaian (progress against target per village and indicator), Mitra (who
supports which village in which role), Kualitas Data (flags to follow up) and Tinjauan (reviews
of reports). Written only when the source has a MEL part (see ``model.mel_of``)."""

from __future__ import annotations

from ..cells import text_value, value_cell
from ..context import ExportContext
from ..grouping import by_village, village_lookup
from ..labels import FLAG_TEXTS, PROGRESS_TEXTS, REVIEW_TEXTS, Labels
from ..model import Indicator, IndicatorKind, MelPart, ProgressStatus, ReportStatus, mel_of
from ..styles import FORMAT_DATETIME, KIND_FORMATS, STATUS_STYLES
from ..table import Column, Table

PROGRESS_SHEET = "Capaian"
PARTNERS_SHEET = "Mitra"
QUALITY_SHEET = "Kualitas Data"
REVIEWS_SHEET = "Tinjauan"
# Progress reuses the completeness colours: on track green, behind red, no data amber.
PROGRESS_STYLES = {
    ProgressStatus.ON_TRACK: STATUS_STYLES[ReportStatus.ON_TIME],
    ProgressStatus.BEHIND: STATUS_STYLES[ReportStatus.MISSING],
    ProgressStatus.NO_DATA: STATUS_STYLES[ReportStatus.LATE],
}


def write_mel(ctx: ExportContext) -> None:
    mel = mel_of(ctx.source)
    if mel is None:
        return
    _write_progress(ctx, mel)
    _write_partners(ctx, mel)
    _write_quality(ctx, mel)
    _write_reviews(ctx, mel)


def _indicator(ctx: ExportContext, indicator_id: str) -> Indicator | None:
    return next((i for i in ctx.catalogue.indicators if i.id == indicator_id), None)


def _write_progress(ctx: ExportContext, mel: MelPart) -> None:
    labels, latest = ctx.labels, ctx.selection.latest
    columns = [
        *ctx.village_columns(),
        ctx.column("programme", minimum=14),
        ctx.column("indicator_id", minimum=14),
        ctx.column("indicator", minimum=24),
        ctx.column("unit"),
        ctx.column("baseline", minimum=10),
        ctx.column("baseline_month", minimum=10),
        ctx.column("target", minimum=10),
        ctx.column("target_month", minimum=10),
        Column(labels["expected_in"].format(month=labels.month(latest)), 14),
        Column(labels["actual_in"].format(month=labels.month(latest)), 14),
        ctx.column("progress_status", minimum=14),
    ]
    table = Table(
        ctx.book,
        PROGRESS_SHEET,
        columns,
        frozen_columns=2,
        preamble=ctx.preamble("title_progress", ctx.note("rule_on_track")),
    )
    ws = table.sheet
    for village, rows in by_village(ctx.villages, mel.progress()):
        for row in rows:
            indicator = _indicator(ctx, row.indicator_id)
            number = KIND_FORMATS.get(indicator.kind) if indicator else None
            status = (
                None
                if row.status is None
                else PROGRESS_STYLES[row.status].cell(ws, labels.named(PROGRESS_TEXTS, row.status))
            )
            table.append(
                [
                    *ctx.village_cells(ws, village),
                    text_value(ws, row.programme),
                    row.indicator_id,
                    text_value(ws, indicator.label if indicator else row.indicator_id),
                    text_value(ws, indicator.unit if indicator else ""),
                    value_cell(ws, row.baseline, number),
                    _month(labels, row.baseline_month),
                    value_cell(ws, row.target, number),
                    _month(labels, row.target_month),
                    value_cell(ws, row.expected, number),
                    value_cell(ws, row.actual, number),
                    status,
                ]
            )
    table.close()


def _month(labels: Labels, period: str | None) -> str | None:
    return labels.month(period) if period else None


def _write_partners(ctx: ExportContext, mel: MelPart) -> None:
    rows = mel.partners
    columns = [
        *ctx.village_columns(),
        ctx.column("partner", [r.partner for r in rows]),
        ctx.column("partner_type", [r.partner_type for r in rows]),
        ctx.column("partner_role", [r.role for r in rows]),
        ctx.column("programme", [r.programme or ctx.labels["all_programmes"] for r in rows]),
    ]
    table = Table(ctx.book, PARTNERS_SHEET, columns, frozen_columns=2, preamble=ctx.preamble("title_partners"))
    ws = table.sheet
    place = village_lookup(ctx.villages, lambda village: ctx.village_cells(ws, village))
    for row in rows:
        table.append(
            [
                *place(row.village_code),
                text_value(ws, row.partner),
                text_value(ws, row.partner_type),
                text_value(ws, row.role),
                text_value(ws, row.programme or ctx.labels["all_programmes"]),
            ]
        )
    table.close()


def _write_quality(ctx: ExportContext, mel: MelPart) -> None:
    labels = ctx.labels
    columns = [
        *ctx.village_columns(),
        ctx.column("posyandu", minimum=14),
        ctx.column("form", minimum=14),
        ctx.column("period"),
        ctx.column("flag", minimum=20),
        ctx.column("indicator_id", minimum=14),
        ctx.column("indicator", minimum=24),
        ctx.column("previous_value", minimum=12),
        ctx.column("value"),
        ctx.column("detail", minimum=30),
    ]
    table = Table(
        ctx.book,
        QUALITY_SHEET,
        columns,
        frozen_columns=2,
        preamble=ctx.preamble("title_quality", ctx.note("rule_flags")),
    )
    ws = table.sheet
    for village, rows in by_village(ctx.villages, mel.quality()):
        for row in rows:
            indicator = _indicator(ctx, row.indicator_id) if row.indicator_id else None
            number = KIND_FORMATS.get(indicator.kind if indicator else IndicatorKind.MEASURE)
            table.append(
                [
                    *ctx.village_cells(ws, village),
                    text_value(ws, row.posyandu_name),
                    text_value(ws, ctx.catalogue.form_title(row.form_id)),
                    row.period,
                    text_value(ws, labels.named(FLAG_TEXTS, row.kind)),
                    row.indicator_id or None,
                    text_value(ws, indicator.label if indicator else row.indicator_id),
                    value_cell(ws, row.previous, number),
                    value_cell(ws, row.value, number),
                    text_value(ws, row.detail),
                ]
            )
    table.close()


def _write_reviews(ctx: ExportContext, mel: MelPart) -> None:
    labels = ctx.labels
    columns = [
        *ctx.village_columns(),
        ctx.column("posyandu", minimum=14),
        ctx.column("form", minimum=14),
        ctx.column("period"),
        ctx.column("reviewed_revision", minimum=10),
        ctx.column("review_state", minimum=16),
        ctx.column("review_note", minimum=30),
        ctx.column("reviewer", minimum=14),
        ctx.column("reviewed_at", minimum=len(FORMAT_DATETIME) + 2),
        ctx.column("revised_since", minimum=10),
    ]
    table = Table(ctx.book, REVIEWS_SHEET, columns, frozen_columns=2, preamble=ctx.preamble("title_reviews"))
    ws = table.sheet
    for village, rows in by_village(ctx.villages, mel.reviews):
        for row in rows:
            table.append(
                [
                    *ctx.village_cells(ws, village),
                    text_value(ws, row.posyandu_name),
                    text_value(ws, ctx.catalogue.form_title(row.form_id)),
                    row.period,
                    row.revision,
                    text_value(ws, labels.named(REVIEW_TEXTS, row.state)),
                    text_value(ws, row.note),
                    text_value(ws, row.reviewer_role),
                    value_cell(ws, row.reviewed_at),
                    labels["yes"] if row.latest_revision > row.revision else None,
                ]
            )
    table.close()
