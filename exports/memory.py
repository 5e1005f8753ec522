"""An ExportSource over in-memory data, for tests and benchmarks.

Streams are passed through in the order given (see :mod:`exports.model` for
the orders the builder expects). A stream may be a list, or any re-iterable
whose ``__iter__`` starts a fresh generator, so large data can be generated
lazily on every pass instead of being held in memory.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence

from .model import (
    CompletenessEntry,
    HouseholdIndicator,
    HouseholdRecord,
    HouseholdValue,
    Indicator,
    Option,
    RawValue,
    Selection,
    Village,
    VillageValue,
)


class MemorySource:
    def __init__(
        self,
        selection: Selection,
        *,
        indicators: Sequence[Indicator] = (),
        villages: Iterable[Village] = (),
        village_values: Iterable[VillageValue] = (),
        raw_values: Iterable[RawValue] = (),
        completeness: Iterable[CompletenessEntry] = (),
        household_indicators: Sequence[HouseholdIndicator] = (),
        household_values: Iterable[HouseholdValue] = (),
        household_flags: Sequence[Option] = (),
        households: Iterable[HouseholdRecord] | None = None,
    ) -> None:
        self.selection = selection
        self._indicators = tuple(indicators)
        self._villages = villages
        self._village_values = village_values
        self._raw_values = raw_values
        self._completeness = completeness
        self._household_indicators = tuple(household_indicators)
        self._household_values = household_values
        self._household_flags = tuple(household_flags)
        self._households = households

    def indicators(self) -> Sequence[Indicator]:
        return self._indicators

    def villages(self) -> Iterator[Village]:
        return iter(self._villages)

    def village_values(self, indicator_ids: Collection[str] | None = None) -> Iterator[VillageValue]:
        if indicator_ids is None:
            return iter(self._village_values)
        wanted = frozenset(indicator_ids)
        return (value for value in self._village_values if value.indicator_id in wanted)

    def raw_values(self) -> Iterator[RawValue]:
        return iter(self._raw_values)

    def completeness(self) -> Iterator[CompletenessEntry]:
        return iter(self._completeness)

    def household_indicators(self) -> Sequence[HouseholdIndicator]:
        return self._household_indicators

    def household_values(self) -> Iterator[HouseholdValue]:
        return iter(self._household_values)

    def household_flags(self) -> Sequence[Option]:
        return self._household_flags

    def households(self) -> Iterator[HouseholdRecord] | None:
        return None if self._households is None else iter(self._households)
