from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.identity import IdentityError, clean_digits, mask, parse_kk, parse_nik
from domain.regions import (
    is_area_code,
    is_village_code,
    normalise_timezone,
    parent_codes,
    timezone_for_province,
    within,
    zone_abbreviation,
)

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    "code,zone",
    [
        ("32.04.12.2001", "Asia/Jakarta"),
        ("51.01", "Asia/Makassar"),
        ("61", "Asia/Pontianak"),
        ("91.03.01.2001", "Asia/Jayapura"),
        ("73.71", "Asia/Makassar"),
        ("81.01", "Asia/Jayapura"),
    ],
)
def test_zone_follows_the_province(code, zone):
    assert timezone_for_province(code) == zone


def test_zone_names():
    assert normalise_timezone("wita") == "Asia/Makassar"
    assert normalise_timezone("Asia/Jayapura") == "Asia/Jayapura"
    assert zone_abbreviation("Asia/Pontianak") == "WIB"
    with pytest.raises(ValueError):
        normalise_timezone("Mars/Olympus")


def test_codes():
    assert is_village_code("32.04.12.2001")
    assert not is_village_code("32.04.12.4001")  # 4 is not desa/kelurahan/desa adat
    assert not is_village_code("32.04.12")
    assert is_area_code("32.04") and is_area_code("32") and not is_area_code("3")
    assert parent_codes("32.04.12.2001") == ("32", "32.04", "32.04.12")
    assert within("32.04", "32.04.12.2001") and within("32.04.12.2001", "32.04.12.2001")
    assert not within("32.0", "32.04.12.2001") and not within("32.04", "32.041")


def test_nik_for_a_woman_adds_forty_to_the_day():
    nik = parse_nik("3204125708900001", TODAY)  # day 57 -> 17, female
    assert nik.female and nik.birth_date == date(1990, 8, 17) and nik.area == "32.04.12"


def test_nik_for_a_man_and_typed_with_spaces():
    nik = parse_nik("3204 1217 0890 0001", TODAY)
    assert not nik.female and nik.birth_date == date(1990, 8, 17)


def test_two_digit_year_never_lies_in_the_future():
    assert parse_nik("3204121701250001", TODAY).birth_date == date(2025, 1, 17)
    assert parse_nik("3204121701270001", TODAY).birth_date == date(1927, 1, 17)


@pytest.mark.parametrize(
    "number,reason",
    [
        ("320412170890000", "length"),
        ("32041217089000012", "length"),
        ("320412170890000A", "length"),
        ("9904121708900001", "province"),
        ("3200121708900001", "regency"),
        ("3204123208900001", "date"),
        ("3204122902010001", "date"),  # 32nd day; 29 Feb 2001
        ("3204121708900000", "serial"),
        ("3204127208900001", "date"),  # women's day 72 -> 32
    ],
)
def test_bad_niks(number, reason):
    with pytest.raises(IdentityError) as problem:
        parse_nik(number, TODAY)
    assert problem.value.reason == reason


def test_leap_day():
    assert parse_nik("3204122902000001", TODAY).birth_date == date(2000, 2, 29)


def test_kk():
    assert parse_kk("3204-1201-0120-0003") == "3204120101200003"
    with pytest.raises(IdentityError):
        parse_kk("3204120101200000")


def test_mask():
    assert mask("3204125708900001") == "320412******0001"


@given(st.text(max_size=40))
def test_nik_parser_never_crashes(text):
    try:
        nik = parse_nik(text, TODAY)
    except IdentityError:
        return
    assert len(nik.number) == 16 and nik.birth_date <= TODAY


@given(st.dates(min_value=date(1927, 11, 24), max_value=TODAY), st.booleans(), st.integers(1, 9999))
def test_nik_round_trip(birth, female, serial):
    day = birth.day + (40 if female else 0)
    number = f"320412{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"
    nik = parse_nik(number, TODAY)
    assert (nik.birth_date, nik.female) == (birth, female)


@given(st.text(alphabet=st.sampled_from("0123456789 .-\u00a0٣x"), max_size=24) | st.text(max_size=24))
def test_kk_parser_gives_16_ascii_digits_or_an_identity_error(text):
    try:
        number = parse_kk(text)
    except IdentityError:
        return
    assert len(number) == 16 and number.isascii() and number.isdigit() and number == clean_digits(text)
    assert mask(number).count("*") == 6


@given(
    st.sampled_from(["32", "53", "91"]),
    st.integers(1, 99),
    st.integers(0, 99_999_999),
    st.integers(1, 9999),
    st.sampled_from(["", " ", ".", "-"]),
)
def test_kk_typed_in_groups_reads_back(province, regency, middle, serial, separator):
    number = f"{province}{regency:02d}{middle:08d}{serial:04d}"
    typed = separator.join([number[:4], number[4:8], number[8:12], number[12:]])
    if regency == 70:
        return
    assert parse_kk(typed) == number
