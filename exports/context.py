"""What every sheet writer needs: the source, texts, catalogue, villages, book."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .catalogue import Catalogue
from .cells import text_value
from .labels import Labels
from .model import ExportSource, Selection, Village
from .styles import NOTE, TITLE
from .table import Book, Column, Item, Styled, width_for
from .xlsx import CellValue, Sheet

MONTH_WIDTH = 11


@dataclass(frozen=True)
class ExportContext:
    source: ExportSource
    selection: Selection
    labels: Labels
    catalogue: Catalogue
    villages: tuple[Village, ...]
    book: Book

    @property
    def periods(self) -> tuple[str, ...]:
        return self.selection.periods

    def preamble(self, title_key: str, note: Sequence[Item] | None = None) -> list[Sequence[Item]]:
        """Row 1: what, where and when; row 2: a note or legend (may be empty)."""
        title = " — ".join((self.labels[title_key], self.selection.scope_label, self.labels.period_range(self.periods)))
        return [[Styled(TITLE, title)], note or []]

    def note(self, key: str) -> list[Item]:
        return [Styled(NOTE, self.labels[key])]

    def month_columns(self) -> list[Column]:
        return [Column(self.labels.month(period), MONTH_WIDTH) for period in self.periods]

    def column(self, key: str, values: list[str] | None = None, minimum: float = 8) -> Column:
        """A column headed by a label, wide enough for the header and ``values``."""
        header = self.labels[key]
        return Column(header, width_for([header, *(values or [])], minimum))

    def village_columns(self) -> list[Column]:
        """Code, village and district, the identifying columns of the per-village sheets."""
        return [
            self.column("village_code", minimum=15),
            self.column("village", [v.name for v in self.villages]),
            self.column("district", [v.district.name for v in self.villages]),
        ]

    @staticmethod
    def village_cells(ws: Sheet, village: Village) -> list[CellValue]:
        return [text_value(ws, village.code), text_value(ws, village.name), text_value(ws, village.district.name)]
