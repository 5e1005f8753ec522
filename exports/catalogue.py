"""Indicator catalogue lookups and the expansion of multichoice answers."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from .model import NUMERIC_KINDS, Indicator, IndicatorKind, Option, Value
from .styles import KIND_FORMATS

OPTION_SEPARATOR = "__"  # "q__option": the id of one option of multichoice q
MAX_CHART_SERIES = 6  # more lines than this make the chart unreadable


@dataclass(frozen=True, slots=True)
class Series:
    """One indicator row (or Data row per answer); a multichoice gives one per option."""

    id: str
    label: str
    unit: str
    indicator: Indicator
    number_format: str | None
    option: Option | None = None
    choice_labels: Mapping[str, str] = field(default_factory=dict)

    def pick(self, value: Value) -> Value:
        """The scalar to write for this series out of a source value."""
        if value is None:
            return None
        if self.option is not None:
            return _option_value(self.option, value)
        if isinstance(value, str) and self.choice_labels:
            return self.choice_labels.get(value, value)
        return value


def _option_value(option: Option, value: Value) -> float:
    """A multichoice value for one of its options: its count, or 1 or 0 (chosen or not)."""
    if isinstance(value, Mapping):  # aggregate: option id -> count
        return value.get(option.id, 0)
    chosen = (value,) if isinstance(value, str) else value
    if not isinstance(chosen, Collection):
        raise TypeError(f"a multichoice answer has the value {value!r}")
    return int(option.id in chosen)


def expand(indicator: Indicator) -> tuple[Series, ...]:
    if indicator.kind is IndicatorKind.MULTICHOICE:
        return tuple(
            Series(
                id=f"{indicator.id}{OPTION_SEPARATOR}{option.id}",
                label=f"{indicator.label}: {option.label}",
                unit=indicator.unit,
                indicator=indicator,
                number_format=None,
                option=option,
            )
            for option in indicator.options
        )
    choice_labels = {option.id: option.label for option in indicator.options}
    return (
        Series(
            id=indicator.id,
            label=indicator.label,
            unit=indicator.unit,
            indicator=indicator,
            number_format=KIND_FORMATS.get(indicator.kind),
            choice_labels=choice_labels,
        ),
    )


def _unknown(indicator_id: str) -> Indicator:
    """Stand-in for an id missing from the catalogue: written by value type."""
    return Indicator(
        id=indicator_id, form_id="", form_title="", label=indicator_id, unit="", definition="", kind=IndicatorKind.TEXT
    )


class Catalogue:
    def __init__(self, indicators: Sequence[Indicator]) -> None:
        self.indicators = tuple(indicators)
        self._series = {indicator.id: expand(indicator) for indicator in self.indicators}
        self._form_titles = {indicator.form_id: indicator.form_title for indicator in self.indicators}

    def series(self, indicator_id: str) -> tuple[Series, ...]:
        found = self._series.get(indicator_id)
        if found is None:
            found = self._series[indicator_id] = expand(_unknown(indicator_id))
        return found

    def all_series(self) -> Iterator[Series]:
        for indicator in self.indicators:
            yield from self._series[indicator.id]

    def form_title(self, form_id: str) -> str:
        return self._form_titles.get(form_id, form_id)

    def key_indicators(self) -> list[Indicator]:
        """Headline indicators that can be compared month to month."""
        return [i for i in self.indicators if i.key and i.kind in NUMERIC_KINDS]

    def chart_indicators(self) -> list[Indicator]:
        """Rates for the trend chart: the key ones, else every rate."""
        rates = [i for i in self.indicators if i.kind is IndicatorKind.PERCENT]
        return ([i for i in rates if i.key] or rates)[:MAX_CHART_SERIES]
