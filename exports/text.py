"""User text in cells: control characters dropped, never read as a formula."""

from __future__ import annotations

from openpyxl.cell import Cell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

# Spreadsheet programs treat text starting with these as a formula when it is
# edited or exported to CSV.
FORMULA_TRIGGERS = ("=", "+", "-", "@")


def clean_text(text: str) -> str:
    """Drop the control characters that an .xlsx cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def needs_guard(text: str) -> bool:
    """Would openpyxl or a spreadsheet take this text for a formula or an error?"""
    return text.startswith(FORMULA_TRIGGERS) or text in ERROR_CODES


def keep_as_text(cell: Cell) -> None:
    cell.data_type = "s"  # openpyxl made it a formula ("=...") or an error ("#N/A")
    cell.quotePrefix = True  # Excel keeps it text even when the cell is edited
