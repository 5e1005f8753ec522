"""Excel exports of Lapor Desa: a pure workbook builder (data in, .xlsx out).

The bot builds a source from storage, calls :func:`build_workbook` in a thread
and sends what :func:`fit_for_telegram` returns.
"""

from .builder import ExportStats, build_workbook
from .model import EmptySelection, ExportError, ExportSource, SourceOrderError
from .telegram import ExportTooLarge, fit_for_telegram

__all__ = [
    "EmptySelection",
    "ExportError",
    "ExportSource",
    "ExportStats",
    "ExportTooLarge",
    "SourceOrderError",
    "build_workbook",
    "fit_for_telegram",
]
