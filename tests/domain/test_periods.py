from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.periods import Period, Schedule, period_range


def test_parse_and_print():
    assert str(Period.parse("2026-01")) == "2026-01"
    assert Period.parse(" 2026-11 ") == Period(2026, 11)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-01", "2026/01", "", "abcd-ef", "2026-1"])
def test_bad_periods(text):
    with pytest.raises(ValueError):
        Period.parse(text)


@given(st.integers(2010, 2980), st.integers(1, 12), st.integers(-60, 60))
def test_shift_round_trip(year, month, months):
    period = Period(year, month)
    assert period.shift(months).shift(-months) == period
    assert Period.parse(str(period)) == period


def test_year_boundaries():
    assert Period(2026, 12).next() == Period(2027, 1)
    assert Period(2027, 1).prev() == Period(2026, 12)
    assert period_range(Period(2026, 11), Period(2027, 2)) == [
        Period(2026, 11),
        Period(2026, 12),
        Period(2027, 1),
        Period(2027, 2),
    ]
    with pytest.raises(ValueError):
        period_range(Period(2026, 2), Period(2026, 1))


def test_labels():
    assert Period(2026, 8).label() == "Agustus 2026"
    assert Period(2026, 8).label("en") == "August 2026"


def test_schedule_deadlines_fall_in_the_next_month():
    schedule = Schedule(open_day=1, due_day=5, lock_day=15)
    november = Period(2026, 11)
    assert schedule.opens(november) == date(2026, 11, 1)
    assert schedule.due(november) == date(2026, 12, 5)
    assert schedule.locks_after(november) == date(2026, 12, 15)
    assert schedule.days_left(november, date(2026, 12, 2)) == 3


def test_reportable_periods():
    schedule = Schedule(open_day=1, due_day=5, lock_day=15)
    # Early in the month: last month (not locked yet) and this month.
    assert schedule.reportable(date(2026, 12, 3)) == [Period(2026, 11), Period(2026, 12)]
    # After the lock day only this month is left.
    assert schedule.reportable(date(2026, 12, 16)) == [Period(2026, 12)]
    late_open = Schedule(open_day=20, due_day=5, lock_day=15)
    assert late_open.reportable(date(2026, 12, 10)) == [Period(2026, 11)]


def test_day_is_clamped_to_month_end():
    assert Period(2026, 2).day(31) == date(2026, 2, 28)


@given(st.text(max_size=12))
def test_parsing_any_text_gives_a_period_or_a_value_error(text):
    try:
        period = Period.parse(text)
    except ValueError:
        return
    assert 1 <= period.month <= 12 and Period.parse(str(period)) == period


@given(st.integers(1, 28), st.integers(1, 28), st.integers(1, 28), st.dates(date(2020, 1, 1), date(2035, 12, 31)))
def test_a_schedule_orders_its_days_and_offers_only_open_periods(open_day, due_day, lock_day, today):
    schedule = Schedule(open_day, due_day, lock_day)
    reportable = schedule.reportable(today)
    assert reportable == sorted(reportable) and len(reportable) <= 2
    assert all(schedule.is_open(p, today) for p in reportable)
    this = Period.of(today)
    for period in (this.prev(), this):
        assert schedule.opens(period) < schedule.due(period)
        assert (period in reportable) == schedule.is_open(period, today)
