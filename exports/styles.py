"""Number formats, fonts and fills used across the sheets."""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from .model import IndicatorKind, ReportStatus
from .text import clean_text, keep_as_text, needs_guard
from .xlsx import Scalar, Sheet

FORMAT_INTEGER = "#,##0"
FORMAT_DECIMAL = "0.0"
FORMAT_PERCENT = "0.0%"
FORMAT_DATE = "dd/mm/yyyy"
FORMAT_DATETIME = "dd/mm/yyyy hh:mm"
# Changes carry an explicit sign; rate changes are percentage points (x100).
FORMAT_SIGNED_INTEGER = "+#,##0;-#,##0;0"
FORMAT_SIGNED_DECIMAL = "+0.0;-0.0;0.0"

KIND_FORMATS = {
    IndicatorKind.COUNT: FORMAT_INTEGER,
    IndicatorKind.MEASURE: FORMAT_DECIMAL,
    IndicatorKind.PERCENT: FORMAT_PERCENT,
}


def change_format(kind: IndicatorKind) -> str:
    return FORMAT_SIGNED_INTEGER if kind is IndicatorKind.COUNT else FORMAT_SIGNED_DECIMAL


@dataclass(frozen=True, slots=True)
class CellStyle:
    number_format: str | None = None
    font: Font | None = None
    fill: PatternFill | None = None
    alignment: Alignment | None = None

    def cell(self, ws: Sheet, value: Scalar) -> Cell:
        if isinstance(value, str):
            value = clean_text(value)
        cell = WriteOnlyCell(ws, value)  # type: ignore[arg-type]  # dates too; the stubs say only datetime
        if isinstance(value, str) and needs_guard(value):
            keep_as_text(cell)
        if self.number_format:
            cell.number_format = self.number_format
        if self.font:
            cell.font = self.font
        if self.fill:
            cell.fill = self.fill
        if self.alignment:
            cell.alignment = self.alignment
        return cell


def _solid(rgb: str) -> PatternFill:
    return PatternFill(fill_type="solid", start_color=rgb, end_color=rgb)


TITLE = CellStyle(font=Font(bold=True, size=13))
NOTE = CellStyle(font=Font(italic=True, color="595959"))
HEADER = CellStyle(font=Font(bold=True), fill=_solid("D9E1F2"), alignment=Alignment(vertical="center"))
SECTION = CellStyle(font=Font(bold=True, size=12))
BOLD = CellStyle(font=Font(bold=True))
INTEGER = CellStyle(number_format=FORMAT_INTEGER)
PERCENT = CellStyle(number_format=FORMAT_PERCENT)
BOLD_PERCENT = CellStyle(number_format=FORMAT_PERCENT, font=Font(bold=True))
BOLD_INTEGER = CellStyle(number_format=FORMAT_INTEGER, font=Font(bold=True))

# Excel's own good / neutral / bad colours, familiar to spreadsheet users.
STATUS_STYLES = {
    ReportStatus.ON_TIME: CellStyle(font=Font(color="006100"), fill=_solid("C6EFCE")),
    ReportStatus.LATE: CellStyle(font=Font(color="9C5700"), fill=_solid("FFEB9C")),
    ReportStatus.MISSING: CellStyle(font=Font(color="9C0006"), fill=_solid("FFC7CE")),
}
