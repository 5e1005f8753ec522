"""Walking village-grouped streams alongside the village list."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import groupby
from operator import attrgetter
from typing import Protocol, TypeVar

from .model import HouseholdValue, SourceOrderError, Value, Village, VillageValue

_village_code = attrgetter("village_code")


class InVillage(Protocol):
    """A record of one village: what the village-grouped streams hold."""

    @property
    def village_code(self) -> str: ...


R = TypeVar("R", bound=InVillage)
T = TypeVar("T")


def by_village(villages: Sequence[Village], records: Iterable[R]) -> Iterator[tuple[Village, list[R]]]:
    """Pair every village (in order) with its records; only one village's group is held.

    ``records`` must be grouped by village code in ascending order, like the
    villages; a group that comes out of order or for an unknown village raises.
    """
    groups = groupby(records, key=_village_code)
    pending = next(groups, None)
    for village in villages:
        if pending is not None and pending[0] < village.code:
            raise SourceOrderError(f"records for village {pending[0]!r} are out of order or out of scope")
        if pending is not None and pending[0] == village.code:
            yield village, list(pending[1])
            pending = next(groups, None)
        else:
            yield village, []
    if pending is not None:
        raise SourceOrderError(f"records for village {pending[0]!r} are out of order or out of scope")


def values_by_indicator(
    records: Iterable[VillageValue | HouseholdValue], periods: Sequence[str]
) -> dict[str, dict[str, Value]]:
    """One village's values as ``{indicator id: {period: value}}``, selected periods only."""
    wanted = set(periods)
    table: dict[str, dict[str, Value]] = {}
    for record in records:
        if record.period in wanted:
            table.setdefault(record.indicator_id, {})[record.period] = record.value
    return table


def village_lookup(villages: Sequence[Village], describe: Callable[[Village], T]) -> Callable[[str], T]:
    """``code -> describe(village)`` that raises for a village outside the selection."""
    described = {village.code: describe(village) for village in villages}

    def lookup(code: str) -> T:
        try:
            return described[code]
        except KeyError:
            raise SourceOrderError(f"village {code!r} is not in the selection") from None

    return lookup
