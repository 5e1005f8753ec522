"""Empty selections are signalled; broken source orders and bad inputs are refused."""

import io
from datetime import datetime

import pytest
from export_sample import VILLAGES, make_selection, make_source, village_values

from exports import EmptySelection, SourceOrderError, build_workbook
from exports.model import Generator, RawValue, Selection


def build(source):
    return build_workbook(source, io.BytesIO())


def test_no_villages_is_an_empty_selection():
    with pytest.raises(EmptySelection):
        build(make_source(villages=()))


def test_no_months_is_an_empty_selection():
    with pytest.raises(EmptySelection):
        build(make_source(make_selection(periods=())))


def test_villages_without_any_report_are_an_empty_selection():
    with pytest.raises(EmptySelection):
        build(make_source(village_values=(), raw_values=(), household_values=()))


def test_household_data_alone_is_enough_to_export():
    assert build(make_source(village_values=(), raw_values=())).rows["Rumah Tangga"] == 4


def test_village_values_out_of_village_order_are_refused():
    with pytest.raises(SourceOrderError):
        build(make_source(village_values=list(reversed(village_values()))))


def test_values_of_a_village_outside_the_selection_are_refused():
    with pytest.raises(SourceOrderError):
        build(make_source(villages=VILLAGES[:2]))


def test_raw_values_of_a_village_outside_the_selection_are_refused():
    stray = RawValue("2026-01", "99.99.99.9999", "p", "X", "gizi", "balita_s", 1, 1, datetime(2026, 1, 2), "kader")
    with pytest.raises(SourceOrderError):
        build(make_source(raw_values=[stray]))


def test_villages_must_be_in_code_order():
    with pytest.raises(SourceOrderError):
        build(make_source(villages=tuple(reversed(VILLAGES))))


@pytest.mark.parametrize("periods", [("2026-13",), ("2026-1",), ("2026-02", "2026-01"), ("2026-01", "2026-01")])
def test_selection_periods_must_be_ascending_year_months(periods):
    with pytest.raises(ValueError):
        make_selection(periods=periods)


def test_generated_by_never_holds_a_nik():
    with pytest.raises(ValueError):
        Generator("kader", "3204011234567890")


def test_selection_accepts_a_list_of_periods():
    selection = Selection(["2026-01", "2026-02"], "X", datetime(2026, 3, 1), Generator("bidan", "Ani"))
    assert selection.periods == ("2026-01", "2026-02") and selection.latest == "2026-02"
