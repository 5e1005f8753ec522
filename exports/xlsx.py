"""The openpyxl types the sheet writers pass around."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypeAlias

from openpyxl.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

Sheet: TypeAlias = Worksheet
"""A sheet of the write-only workbook. At run time it is openpyxl's WriteOnlyWorksheet, which
takes column dimensions, page setup, auto filter and charts from Worksheet; the stubs give the
write-only class none of those, so Worksheet describes what these sheets offer."""

Scalar: TypeAlias = int | float | str | date | datetime
"""A plain value openpyxl writes as it is (bool is an int)."""

CellValue: TypeAlias = Cell | Scalar | None
"""One item of a row: a plain value, a cell made for a number format or a guard, or None (empty)."""
