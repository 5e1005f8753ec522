"""Tables on write-only sheets: title rows, header, frozen panes, auto filter,
column widths, and continuation on ``Name (2)``, ... past the row limit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from math import ceil
from typing import NamedTuple, TypeAlias

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from .styles import HEADER, CellStyle
from .xlsx import CellValue, Scalar, Sheet

EXCEL_MAX_ROWS = 1_048_576
MAX_SHEET_TITLE = 31
MAX_COLUMN_WIDTH = 45
LINE_HEIGHT = 15  # points
HEADER_WRAP = CellStyle(font=HEADER.font, fill=HEADER.fill, alignment=Alignment(wrap_text=True, vertical="center"))


class Styled(NamedTuple):
    """A value with its style, turned into a cell once the sheet is known."""

    style: CellStyle
    value: Scalar

    def cell(self, ws: Sheet) -> Cell:
        return self.style.cell(ws, self.value)


Item: TypeAlias = Styled | CellValue
"""An item of a title, note or legend row (written with ``write_row``)."""


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    width: float


class Book:
    """The write-only workbook being built, its row limit and rows written per sheet."""

    def __init__(self, max_rows: int = EXCEL_MAX_ROWS) -> None:
        self.workbook = Workbook(write_only=True)
        self.max_rows = max_rows
        self.rows: dict[str, int] = {}

    def sheet(self, title: str) -> Sheet:
        if len(title) > MAX_SHEET_TITLE:
            raise ValueError(f"sheet title longer than {MAX_SHEET_TITLE}: {title!r}")
        self.rows[title] = 0
        ws: Sheet = self.workbook.create_sheet(title)
        _fit_to_page_width(ws)
        return ws

    def discard(self) -> None:
        """Close every sheet and delete its temporary file (after a failed build).

        openpyxl removes them only on save; left alone they linger until exit.
        """
        for ws in self.workbook.worksheets:
            if not ws.closed:
                ws.close()
            ws._writer.cleanup()  # type: ignore[attr-defined]  # private: openpyxl cleans up only on save


def _fit_to_page_width(ws: Sheet) -> None:
    """Print landscape, all columns on one page (coordinators print for meetings)."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    setup = ws.sheet_properties.pageSetUpPr
    if setup is None:  # openpyxl makes one with the sheet's properties; typed as optional
        setup = ws.sheet_properties.pageSetUpPr = PageSetupProperties()
    setup.fitToPage = True


def write_row(ws: Sheet, row: Iterable[Item]) -> None:
    ws.append([item.cell(ws) if isinstance(item, Styled) else item for item in row])


class Table:
    """Rows under a header; opens ``Name (2)`` when a sheet reaches the row limit."""

    def __init__(
        self,
        book: Book,
        name: str,
        columns: Sequence[Column],
        *,
        preamble: Sequence[Sequence[Item]] = (),
        frozen_columns: int = 0,
    ) -> None:
        self.book = book
        self.name = name
        self.columns = tuple(columns)
        self.preamble = tuple(preamble)
        self.frozen_columns = frozen_columns
        self.header_row = len(self.preamble) + 1
        if book.max_rows <= self.header_row:
            raise ValueError("row limit leaves no room for data rows")
        self.sheets: list[Sheet] = []
        self._open_sheet()

    @property
    def sheet(self) -> Sheet:
        return self.sheets[-1]

    def append(self, row: list[CellValue]) -> None:
        if self._used_rows == self.book.max_rows:
            self._close_sheet()
            self._open_sheet()
        self.sheet.append(row)
        self._used_rows += 1
        self.book.rows[self.sheet.title] += 1

    def close(self) -> None:
        self._close_sheet()

    def _open_sheet(self) -> None:
        number = len(self.sheets) + 1
        ws = self.book.sheet(self.name if number == 1 else f"{self.name} ({number})")
        self.sheets.append(ws)
        self._set_layout(ws)
        for row in self.preamble:
            write_row(ws, row)
        ws.append([self._header_style.cell(ws, column.header) for column in self.columns])
        self._used_rows = self.header_row

    def _set_layout(self, ws: Sheet) -> None:
        """Widths, panes and header height must be set before the first row is written."""
        for index, column in enumerate(self.columns, 1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        ws.freeze_panes = f"{get_column_letter(self.frozen_columns + 1)}{self.header_row + 1}"
        ws.print_title_rows = f"{self.header_row}:{self.header_row}"
        if self._header_lines > 1:
            ws.row_dimensions[self.header_row].height = LINE_HEIGHT * self._header_lines

    @property
    def _header_lines(self) -> int:
        """Lines the longest header wraps to (a width unit holds about one character)."""
        return max(ceil(len(column.header) / column.width) for column in self.columns)

    @property
    def _header_style(self) -> CellStyle:
        return HEADER_WRAP if self._header_lines > 1 else HEADER

    def _close_sheet(self) -> None:
        last_column = get_column_letter(len(self.columns))
        self.sheet.auto_filter.ref = f"A{self.header_row}:{last_column}{self._used_rows}"


def width_for(texts: Iterable[str], minimum: float = 8) -> float:
    """A column width that shows the longest of ``texts``, within bounds."""
    return min(MAX_COLUMN_WIDTH, max([minimum, *(len(text) + 2 for text in texts)]))
