"""Turning source values into write-only cells.

Plain values are appended as they are (fast path); a cell object is made only
when the value needs a number format or a guard.
"""

from __future__ import annotations

from datetime import date, datetime

from openpyxl.cell import Cell, WriteOnlyCell

from .styles import FORMAT_DATE, FORMAT_DATETIME, CellStyle
from .text import clean_text, keep_as_text, needs_guard
from .xlsx import CellValue, Scalar, Sheet

_DATETIME = CellStyle(number_format=FORMAT_DATETIME)
_DATE = CellStyle(number_format=FORMAT_DATE)


def text_value(ws: Sheet, text: str) -> str | Cell | None:
    """User text, always stored as a string: never a formula or an error code.

    Empty text gives None, an empty cell.
    """
    text = clean_text(text)
    if not needs_guard(text):
        return text or None
    cell = WriteOnlyCell(ws, text)
    keep_as_text(cell)
    return cell


def value_cell(ws: Sheet, value: object, number_format: str | None = None) -> CellValue:
    """A scalar source value as a cell value; None stays None (an empty cell)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        if not number_format:
            return value
        cell = WriteOnlyCell(ws, value)
        cell.number_format = number_format
        return cell
    if isinstance(value, datetime):
        return _DATETIME.cell(ws, value)
    if isinstance(value, date):
        return _DATE.cell(ws, value)
    if isinstance(value, str):
        return text_value(ws, value)
    raise TypeError(f"cannot write a {type(value).__name__} into a cell: {value!r}")


def styled_value(ws: Sheet, style: CellStyle, value: Scalar | None) -> Cell | None:
    """A styled cell, or None (an empty cell) for a missing value."""
    return None if value is None else style.cell(ws, value)
