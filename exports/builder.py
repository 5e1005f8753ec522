"""build_workbook: an ExportSource in, an .xlsx out, in openpyxl write-only mode."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import BinaryIO

from .catalogue import Catalogue
from .context import ExportContext
from .labels import Labels
from .model import EmptySelection, ExportSource, SourceOrderError, Village
from .sheets.completeness import write_completeness
from .sheets.data import write_data
from .sheets.households import write_households
from .sheets.indicators import write_indicators
from .sheets.mel import write_mel
from .sheets.notes import write_notes
from .sheets.summary import write_summary
from .sheets.trend import write_trend
from .table import EXCEL_MAX_ROWS, Book

SHEET_WRITERS = (
    write_summary,
    write_trend,
    write_indicators,
    write_completeness,
    write_households,
    write_data,
    write_mel,  # partners: Capaian, Mitra, Kualitas Data, Tinjauan (when the source has them)
    write_notes,
)


@dataclass(frozen=True)
class ExportStats:
    rows: Mapping[str, int]  # per sheet title: rows below the header (Keterangan: all rows)
    bytes: int


def build_workbook(
    source: ExportSource, out: str | os.PathLike[str] | BinaryIO, *, max_rows: int = EXCEL_MAX_ROWS
) -> ExportStats:
    """Write the workbook for ``source`` to ``out`` (a path or a binary file).

    Blocking: call it from ``asyncio.to_thread``. Raises EmptySelection when
    there is nothing to export, so the caller can answer with a message.
    """
    villages = _ordered_villages(source.villages())
    _check_not_empty(source, villages)
    book = Book(max_rows)
    selection = source.selection
    ctx = ExportContext(
        source=source,
        selection=selection,
        labels=Labels(selection.language),
        catalogue=Catalogue(source.indicators()),
        villages=villages,
        book=book,
    )
    try:
        for write_sheet in SHEET_WRITERS:
            write_sheet(ctx)
    except BaseException:
        book.discard()
        raise
    book.workbook.properties.creator = "Lapor Desa"
    book.workbook.properties.title = f"Lapor Desa — {selection.scope_label}"
    book.workbook.properties.created = selection.generated_at
    return ExportStats(rows=dict(book.rows), bytes=_save(book, out))


def _ordered_villages(villages: Iterable[Village]) -> tuple[Village, ...]:
    villages = tuple(villages)
    codes = [village.code for village in villages]
    if codes != sorted(set(codes)):
        raise SourceOrderError("villages must come in ascending code order, each once")
    return villages


def _check_not_empty(source: ExportSource, villages: tuple[Village, ...]) -> None:
    if not source.selection.periods or not villages:
        raise EmptySelection("no villages or no months selected")
    streams = (source.village_values(), source.raw_values(), source.household_values())
    if not any(_has_any(stream) for stream in streams):
        raise EmptySelection("nothing reported for the selection")


def _has_any(stream: Iterable[object]) -> bool:
    iterator = iter(stream)
    found = next(iterator, None) is not None
    close = getattr(iterator, "close", None)  # release a database cursor early
    if close:
        close()
    return found


def _save(book: Book, out: str | os.PathLike[str] | BinaryIO) -> int:
    if isinstance(out, (str, os.PathLike)):
        book.workbook.save(os.fspath(out))
        return os.path.getsize(out)
    start = out.tell()
    book.workbook.save(out)
    return out.tell() - start
