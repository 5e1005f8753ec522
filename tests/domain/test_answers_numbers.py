"""Numbers as Indonesians type them (issue 17, item 19): a dot groups thousands and a comma
marks decimals, while English does the opposite. "1.200" is one thousand two hundred in
Indonesian and 1.2 in English: the parser says it cannot tell (Ambiguous), and the engine asks.
"1.000,5" can only be 1000.5; "12,5" and "12.5" stay 12.5."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.answers import Ambiguous, AnswerError, check_range, format_number, parse_answer
from domain.forms import Question


def measure(**extra) -> Question:
    return Question.model_validate({"id": "m", "type": "measure", "label": {"id": "x", "en": "x"}, **extra})


@pytest.mark.parametrize(
    "text,thousands,decimal",
    [
        ("1.200", 1200.0, 1.2),
        ("12.500", 12500.0, 12.5),
        ("999.999", 999999.0, 999.999),
        ("1.000", 1000.0, 1.0),
        ("1.200 m2", 1200.0, 1.2),
        (" 1 . 200 ", 1200.0, 1.2),
        ("-1.200", -1200.0, -1.2),
    ],
)
def test_a_dot_before_exactly_three_digits_is_ambiguous(text, thousands, decimal):
    value = parse_answer(measure(), text)
    assert value == Ambiguous(thousands=thousands, decimal=decimal)
    assert value.choices == (thousands, decimal)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1.000,5", 1000.5),
        ("12.345,67", 12345.67),
        ("1.234.567", 1234567.0),  # two dots: only thousands
        ("1.234.567,8", 1234567.8),
        ("12,5", 12.5),
        ("12.5", 12.5),
        ("12.50", 12.5),
        ("1.2345", 1.2345),
        ("1234.567", 1234.567),  # four digits before the dot: not a thousands group
        ("0.500", 0.5),  # nobody writes five hundred as 0.500
        ("1,200", 1.2),  # a comma is the decimal mark in Indonesian
        ("1200", 1200.0),
        ("1 200", 1200.0),
    ],
)
def test_unambiguous_numbers(text, expected):
    value = parse_answer(measure(), text)
    assert value == expected and type(value) is float


@pytest.mark.parametrize(
    "text", ["1.23.456", "1.2345,6", "12.34,5", "1,000.5", "1.000.00", "1,2,3", "1..200", ".200", "1.200."]
)
def test_malformed_groups_are_refused(text):
    with pytest.raises(AnswerError) as caught:
        parse_answer(measure(), text)
    assert caught.value.key == "error.not_a_measure"


def test_an_ambiguous_reading_is_range_checked_when_chosen_not_before():
    """Both readings are offered even when one is out of range: taking the other silently would
    be the very misreading this is about (2.500 m2 read as 2,5)."""
    q = measure(min=1, max=2000)
    value = parse_answer(q, "2.500")
    assert value == Ambiguous(thousands=2500.0, decimal=2.5)
    with pytest.raises(AnswerError) as caught:
        check_range(q, value.thousands)
    assert caught.value.key == "error.too_large"
    assert check_range(q, value.decimal) == 2.5


def test_counts_are_unchanged():
    count = Question.model_validate({"id": "c", "type": "count", "label": {"id": "x", "en": "x"}})
    assert parse_answer(count, "1200") == 1200
    with pytest.raises(AnswerError):
        parse_answer(count, "1.2")


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 999), st.integers(0, 999))
def test_every_dot_and_three_digits_is_asked(whole, part):
    text = f"{whole}.{part:03d}"
    value = parse_answer(measure(), text)
    assert value == Ambiguous(thousands=float(f"{whole}{part:03d}"), decimal=float(text))


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 10**9, allow_nan=False))
def test_what_the_bot_shows_reads_back_without_asking(x):
    shown = format_number(x)  # Indonesian: 1.234,5
    value = parse_answer(measure(), shown)
    if isinstance(value, Ambiguous):  # a whole number with exactly one group: "1.234"
        assert "," not in shown and shown.count(".") == 1
        assert value.thousands == x
    else:
        assert math.isclose(value, float(shown.replace(".", "").replace(",", ".")))
