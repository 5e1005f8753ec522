"""Parsing what people type into answer values, and showing values back."""

from __future__ import annotations

import math
import unicodedata
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.answers import (
    Ambiguous,
    AnswerError,
    display,
    format_number,
    format_percent,
    normalise_text,
    parse_answer,
    parse_date,
)
from domain.forms import Question, QuestionType
from domain.periods import MONTHS_EN, MONTHS_ID

TODAY = date(2026, 11, 23)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def question(type_: str, **fields) -> Question:
    return Question.model_validate(
        {"id": "q", "type": type_, "label": {"id": "Pertanyaan", "en": "Question"}, **fields}
    )


COUNT = question("count")
MEASURE = question("measure", unit="kg")
YESNO = question("yesno")
CHOICE = question(
    "choice",
    options=[
        {"id": "sendiri", "label": {"id": "Milik sendiri", "en": "Own"}},
        {"id": "sewa", "label": {"id": "Sewa", "en": "Rented"}},
        {"id": "lain", "label": {"id": "Lainnya", "en": "Other"}},
    ],
)
MULTI = question(
    "multichoice",
    options=[
        {"id": "air", "label": {"id": "Air bersih", "en": "Clean water"}},
        {"id": "jamban", "label": {"id": "Jamban", "en": "Latrine"}},
        {"id": "listrik", "label": {"id": "Listrik", "en": "Electricity"}},
    ],
)
TEXT = question("text", max_length=20)
DATE = question("date")


def parse(q: Question, text: str, today: date = TODAY):
    return parse_answer(q, text, today)


def error_of(q: Question, text: str, today: date = TODAY) -> AnswerError:
    with pytest.raises(AnswerError) as caught:
        parse_answer(q, text, today)
    return caught.value


# --------------------------------------------------------------------------- errors and text


def test_answer_error_carries_a_catalogue_key():
    problem = error_of(COUNT, "1,2")
    assert problem.key == "error.not_whole"
    assert str(problem) == "error.not_whole"
    assert problem.params == {"example": "12"}
    assert isinstance(problem, ValueError)


def test_example_of_the_question_is_used_in_the_hint():
    q = question("count", example="7")
    assert error_of(q, "abc").params == {"example": "7"}
    assert error_of(question("measure", example="3,4"), "abc").params == {"example": "3,4"}


@pytest.mark.parametrize(
    "text,expected",
    [
        ("  a   b  ", "a b"),
        ("a\tb\nc", "a b c"),
        ("a\x00b", "a b"),
        ("\x07bell", "bell"),
        ("ab\u200bcd", "ab cd"),  # zero-width space (format character)
        ("\u202eabc", "abc"),  # right-to-left override
        ("ＡＢＣ１２", "ABC12"),  # full-width forms, NFKC
        ("", ""),
    ],
)
def test_normalise_text(text, expected):
    assert normalise_text(text) == expected


@pytest.mark.parametrize("q", [COUNT, MEASURE, YESNO, CHOICE, MULTI, TEXT, DATE], ids=lambda q: q.type)
@pytest.mark.parametrize("text", ["", "   ", "\x00", "\n\t", "\u200b"])
def test_empty_answers(q, text):
    assert error_of(q, text).key == "error.empty"


# --------------------------------------------------------------------------- count


@pytest.mark.parametrize(
    "text,expected",
    [
        ("12", 12),
        (" 12 ", 12),
        ("12 anak", 12),
        ("12anak", 12),
        ("12 orang", 12),
        ("12 Orang", 12),
        ("3 kk", 3),
        ("0", 0),
        ("007", 7),
        ("nol", 0),
        ("NOL", 0),
        ("kosong", 0),
        ("tidak ada", 0),
        ("gak ada", 0),
        ("zero", 0),
        ("１２", 12),
        ("12\x00", 12),
        ("\u200b12", 12),
        ("\u202e21", 21),  # a right-to-left override is a format character: dropped, the digits stay in order
    ],
)
def test_count_accepts(text, expected):
    value = parse(COUNT, text)
    assert value == expected and type(value) is int


@pytest.mark.parametrize(
    "text,key",
    [
        ("1.2", "error.not_whole"),
        ("1,2", "error.not_whole"),
        ("1.000", "error.not_whole"),
        ("-3", "error.negative"),
        ("- 3", "error.negative"),
        ("-3 anak", "error.negative"),
        ("abc", "error.not_a_number"),
        ("12 tahun", "error.not_a_number"),
        ("1 2", "error.not_a_number"),
        ("1e3", "error.not_a_number"),
        ("+3", "error.not_a_number"),
        ("0x10", "error.not_a_number"),
        ("🙂", "error.not_a_number"),
        ("12 🙂", "error.not_a_number"),
        ("٣٤ مرحبا", "error.not_a_number"),
        ("שלום", "error.not_a_number"),
        ("1\x002", "error.not_a_number"),
        ("a" * 4000, "error.not_a_number"),
        ("12 " + "x" * 4000, "error.not_a_number"),
        ("", "error.empty"),
        ("\x00\x00", "error.empty"),
    ],
)
def test_count_rejects(text, key):
    assert error_of(COUNT, text).key == key


def test_count_unit_of_the_question_is_accepted():
    q = question("count", unit="butir")
    assert parse(q, "30 butir") == 30
    assert parse(q, "30 BUTIR") == 30


def test_count_bounds():
    q = question("count", min=1, max=50)
    assert parse(q, "1") == 1 and parse(q, "50") == 50
    problem = error_of(q, "0")
    assert (problem.key, problem.params) == ("error.too_small", {"min": "1"})
    assert error_of(q, "nol").key == "error.too_small"
    problem = error_of(q, "51")
    assert (problem.key, problem.params) == ("error.too_large", {"max": "50"})
    assert error_of(question("count", max=1500), "2000").params == {"max": "1.500"}


def test_count_is_never_negative_even_without_min():
    assert question("count").lower == 0
    assert error_of(question("count", max=10), "-1").key == "error.negative"


def test_count_with_a_huge_number_of_digits_is_an_answer_error():
    with pytest.raises(AnswerError):
        parse(COUNT, "1" * 5000)


# --------------------------------------------------------------------------- measure


@pytest.mark.parametrize(
    "text,expected",
    [
        ("12,5", 12.5),
        ("12.5", 12.5),
        ("12,5 kg", 12.5),
        ("12,5kg", 12.5),
        ("12,5 KG", 12.5),
        ("12", 12.0),
        (" 12 , 5 ", 12.5),
        ("0,05", 0.05),
        ("nol", 0.0),
        ("-3,5", -3.5),
        ("１２,５", 12.5),
        ("170 cm", 170.0),
        ("45 m2", 45.0),
        ("1.234,5", 1234.5),  # dots group thousands (more: test_answers_numbers.py)
    ],
)
def test_measure_accepts(text, expected):
    value = parse(question("measure"), text)
    assert value == expected and type(value) is float


@pytest.mark.parametrize(
    "text",
    ["1,234.5", "12,5,1", ".5", "5.", "1e3", "inf", "nan", "abc", "12,5 ton", "--1", "🙂", "x" * 4000],
)
def test_measure_rejects(text):
    problem = error_of(question("measure"), text)
    assert problem.key == "error.not_a_measure"
    assert problem.params == {"example": "12,5"}


def test_measure_bounds():
    q = question("measure", min=0.5, max=150)
    assert parse(q, "0,5") == 0.5 and parse(q, "150") == 150.0
    problem = error_of(q, "0,4")
    assert (problem.key, problem.params) == ("error.too_small", {"min": "0,5"})
    problem = error_of(q, "150,1")
    assert (problem.key, problem.params) == ("error.too_large", {"max": "150"})
    assert error_of(question("measure", min=0), "-0,1").key == "error.negative"


def test_measure_is_always_finite():
    try:
        value = parse(question("measure"), "9" * 400)
    except AnswerError:
        return
    assert math.isfinite(value)


# --------------------------------------------------------------------------- yes/no, choices


@pytest.mark.parametrize(
    "text", ["ya", "Ya", "YA", "y", "iya", "yes", "ok", "betul", "benar", "sudah", "ada", "1", "ya.", "Ya!", " ya "]
)
def test_yes(text):
    assert parse(YESNO, text) is True


@pytest.mark.parametrize(
    "text",
    [
        "tidak",
        "Tidak",
        "tdk",
        "t",
        "no",
        "n",
        "gak",
        "ga",
        "nggak",
        "enggak",
        "belum",
        "tidak ada",
        "0",
        "tidak.",
        "TIDAK!",
    ],
)
def test_no(text):
    assert parse(YESNO, text) is False


@pytest.mark.parametrize("text", ["mungkin", "yaa", "2", "ya tidak", "🙂"])
def test_yes_no_rejects(text):
    assert error_of(YESNO, text).key == "error.yesno"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1", "sendiri"),
        ("2", "sewa"),
        ("3", "lain"),
        ("2.", "sewa"),
        (" 3 ", "lain"),
        ("sewa", "sewa"),
        ("Sewa", "sewa"),
        ("milik sendiri", "sendiri"),
        ("MILIK SENDIRI", "sendiri"),
        ("Rented", "sewa"),
        ("other", "lain"),
        ("lain", "lain"),
    ],
)
def test_choice(text, expected):
    assert parse(CHOICE, text) == expected


@pytest.mark.parametrize("text", ["0", "4", "-1", "1,2", "kontrak", "🙂"])
def test_choice_rejects(text):
    problem = error_of(CHOICE, text)
    assert (problem.key, problem.params) == ("error.choose_option", {"count": 3})


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1,3", ["air", "listrik"]),
        ("3,1", ["air", "listrik"]),
        ("1 3", ["air", "listrik"]),
        ("1; 2", ["air", "jamban"]),
        ("2,2,2", ["jamban"]),
        ("jamban, listrik", ["jamban", "listrik"]),
        ("Latrine", ["jamban"]),
        ("1,2,3", ["air", "jamban", "listrik"]),
    ],
)
def test_multichoice(text, expected):
    assert parse(MULTI, text) == expected


@pytest.mark.parametrize("text", ["1,4", "0", "air bersih", "x"])
def test_multichoice_rejects(text):
    assert error_of(MULTI, text).key == "error.choose_option"


@pytest.mark.parametrize("text", [",", ";", ", ;"])
def test_multichoice_needs_at_least_one(text):
    with pytest.raises(AnswerError):
        parse(MULTI, text)


# --------------------------------------------------------------------------- text


def test_text_is_normalised_and_limited():
    assert parse(TEXT, "  Jl.  Mawar\tNo. 5 ") == "Jl. Mawar No. 5"
    assert parse(TEXT, "a\x00b\x07c") == "a b c"
    assert parse(TEXT, "x" * 20) == "x" * 20
    problem = error_of(TEXT, "x" * 21)
    assert (problem.key, problem.params) == ("error.too_long", {"max": 20})
    assert parse(TEXT, "x" * 20 + "   ") == "x" * 20
    assert error_of(question("text"), "x" * 4000).params == {"max": 200}
    assert parse(TEXT, "שלום 🙂") == "שלום 🙂"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("3204125708900001", "3204125708900001"),
        ("3204 1257 0890 0001", "3204125708900001"),
        ("3204.1257.0890.0001", "3204125708900001"),
        ("3204-1257-0890-0001", "3204125708900001"),
    ],
)
def test_nik(text, expected):
    assert parse(question("text", format="nik"), text) == expected


@pytest.mark.parametrize(
    "text,key",
    [
        ("320412570890000", "error.nik_length"),
        ("32041257089000012", "error.nik_length"),
        ("32041257089O0001", "error.nik_length"),
        ("abc", "error.nik_length"),
        ("9904125708900001", "error.nik_province"),
        ("3200125708900001", "error.nik_regency"),
        ("3204127208900001", "error.nik_date"),
        ("3204123102900001", "error.nik_date"),
        ("3204125708900000", "error.nik_serial"),
    ],
)
def test_nik_rejects(text, key):
    assert error_of(question("text", format="nik"), text).key == key


def test_kk():
    q = question("text", format="kk")
    assert parse(q, "3204-1201-0120-0003") == "3204120101200003"
    assert error_of(q, "3204120101200000").key == "error.kk_serial"
    assert error_of(q, "12345").key == "error.kk_length"
    assert error_of(q, "0004120101200003").key == "error.kk_province"
    assert error_of(q, "3270120101200003").key == "error.kk_regency"


@pytest.mark.parametrize(
    "text,expected", [("4", "004"), ("04", "004"), ("004", "004"), ("123", "123"), ("٤", "004"), (" 12 ", "012")]
)
def test_rtrw(text, expected):
    assert parse(question("text", format="rtrw"), text) == expected


@pytest.mark.parametrize("text", ["0", "000", "1234", "4a", "RT 4", "-4", "4/5", "🙂"])
def test_rtrw_rejects(text):
    assert error_of(question("text", format="rtrw"), text).key == "error.rtrw"


@pytest.mark.parametrize("text", ["Siti Aminah", "Budi", "O'Neil", "Dr. Budi, S.Kep", "Ni Luh Putu-Ayu", "Ñoño", "Jo"])
def test_name(text):
    assert parse(question("text", format="name"), text) == text


@pytest.mark.parametrize(
    "text", ["A", "Budi123", "123", "-Budi", "'Budi", "Budi_S", "🙂 Budi", "Budi 🙂", "x" * 101, ".."]
)
def test_name_rejects(text):
    assert error_of(question("text", format="name", max_length=1000), text).key == "error.name"


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "text,expected",
    [
        ("17-08-2025", "2025-08-17"),
        ("17/08/2025", "2025-08-17"),
        ("17.08.2025", "2025-08-17"),
        ("17 08 2025", "2025-08-17"),
        ("17/08/25", "2025-08-17"),
        ("7-8-2025", "2025-08-07"),
        ("2025-08-17", "2025-08-17"),
        ("2025-8-7", "2025-08-07"),
        ("17 Agustus 2025", "2025-08-17"),
        ("17 agustus 2025", "2025-08-17"),
        ("17 agu 2025", "2025-08-17"),
        ("17 Agt 2025", "2025-08-17"),
        ("17 aug 2025", "2025-08-17"),
        ("17 August 2025", "2025-08-17"),
        ("17 agu. 2025", "2025-08-17"),
        ("17 Nopember 2025", "2025-11-17"),
        ("17 nop 2025", "2025-11-17"),
        ("1 Pebruari 2024", "2024-02-01"),
        ("1 peb 2024", "2024-02-01"),
        ("5 Mei 2025", "2025-05-05"),
        ("5 May 2025", "2025-05-05"),
        ("5 okt 2025", "2025-10-05"),
        ("5 Oct 2025", "2025-10-05"),
        ("5 des 2025", "2025-12-05"),
        ("5 Dec 2025", "2025-12-05"),
        ("5 sept 2025", "2025-09-05"),
        ("29-02-2024", "2024-02-29"),
        ("hari ini", "2026-11-23"),
        ("Today", "2026-11-23"),
        ("23-11-2026", "2026-11-23"),
        ("1-1-1900", "1900-01-01"),
    ],
)
def test_dates(text, expected):
    assert parse(DATE, text) == expected


@pytest.mark.parametrize(
    "text,key",
    [
        ("24-11-2026", "error.future_date"),
        ("1 Desember 2026", "error.future_date"),
        ("2030-01-01", "error.future_date"),
        ("31-02-2025", "error.bad_date"),
        ("29-02-2025", "error.bad_date"),
        ("32-01-2025", "error.bad_date"),
        ("17-13-2025", "error.bad_date"),
        ("0-1-2025", "error.bad_date"),
        ("31 April 2025", "error.bad_date"),
        ("17 Agustusan 2025", "error.bad_date"),
        ("17 xyz 2025", "error.bad_date"),
        ("kemarin", "error.bad_date"),
        ("17-08", "error.bad_date"),
        ("17-08-202", "error.bad_date"),
        ("2025/08/17", "error.bad_date"),
        ("31-12-1899", "error.bad_date"),
        ("🙂", "error.bad_date"),
        ("17 agustus 25", "error.bad_date"),
    ],
)
def test_dates_rejected(text, key):
    assert error_of(DATE, text).key == key


def test_two_digit_years_are_not_put_in_the_future():
    assert parse(DATE, "17/08/85") == "1985-08-17"


def test_parse_date_returns_a_date():
    assert parse_date("17-08-2025", TODAY) == date(2025, 8, 17)
    assert parse_date("2099-01-01", TODAY) == date(2099, 1, 1)  # the future check is parse_answer's


# --------------------------------------------------------------------------- display


def test_format_number():
    assert format_number(0) == "0"
    assert format_number(12) == "12"
    assert format_number(12.0) == "12"
    assert format_number(1234) == "1.234"
    assert format_number(1234567) == "1.234.567"
    assert format_number(12.5) == "12,5"
    assert format_number(1234.5) == "1.234,5"
    assert format_number(-1234.5) == "-1.234,5"
    assert format_number(0.25, decimals=2) == "0,25"
    assert format_number(2 / 3) == "0,7"


def test_format_percent():
    assert format_percent(None) == "—"
    assert format_percent(0.125) == "12,5%"
    assert format_percent(0.125, "en") == "12.5%"
    assert format_percent(1) == "100,0%"
    assert format_percent(0) == "0,0%"
    assert format_percent(2 / 3) == "66,7%"


def test_display():
    assert display(COUNT, None) == "—"
    assert display(COUNT, 1234) == "1.234"
    assert display(question("count", unit="anak"), 12) == "12 anak"
    assert display(question("count", unit="anak"), 12, "en") == "12 anak"
    assert display(MEASURE, 12.5) == "12,5 kg"
    assert display(MEASURE, 12.5, "en") == "12.5 kg"
    assert display(MEASURE, 0.0) == "0 kg"
    assert display(YESNO, True) == "Ya" and display(YESNO, False) == "Tidak"
    assert display(YESNO, True, "en") == "Yes" and display(YESNO, False, "en") == "No"
    assert display(YESNO, False, "xx") == "Tidak"
    assert display(CHOICE, "sewa") == "Sewa" and display(CHOICE, "sewa", "en") == "Rented"
    assert display(CHOICE, "hilang") == "hilang"
    assert display(MULTI, ["air", "listrik"]) == "Air bersih, Listrik"
    assert display(MULTI, ["air", "listrik"], "en") == "Clean water, Electricity"
    assert display(MULTI, ["hilang"]) == "—"
    assert display(MULTI, []) == "—"
    assert display(TEXT, "<b>Budi</b>") == "<b>Budi</b>"  # escaping is the texts module's job
    assert display(DATE, "2025-08-17") == "17 Agustus 2025"
    assert display(DATE, "2025-08-17", "en") == "17 August 2025"


@pytest.mark.parametrize("value", [1234567, 1000000])
def test_display_large_counts_in_english(value):
    shown = display(COUNT, value, "en")
    assert "e+" not in shown and shown.replace(",", "") == str(value)


# --------------------------------------------------------------------------- properties

bounds = st.integers(0, 500).flatmap(lambda low: st.tuples(st.just(low), st.integers(low, low + 5000)))


@FAST
@given(bounds=bounds, text=st.text(max_size=30))
def test_count_parses_to_an_int_in_bounds_or_an_answer_error(bounds, text):
    low, high = bounds
    q = question("count", min=low, max=high)
    try:
        value = parse(q, text)
    except AnswerError as problem:
        assert problem.key.startswith("error.")
        return
    assert type(value) is int and low <= value <= high


@FAST
@given(bounds=bounds, data=st.data())
def test_count_round_trips(bounds, data):
    low, high = bounds
    n = data.draw(st.integers(low, high))
    q = question("count", min=low, max=high)
    assert parse(q, str(n)) == n
    assert parse(q, f" {n} orang ") == n
    assert parse(q, format_number(n).replace(".", "")) == n


@FAST
@given(st.floats(-10_000, 10_000, allow_nan=False))
def test_measure_round_trips_with_a_comma(x):
    q = question("measure")
    assert parse(q, f"{x:.1f}".replace(".", ",")) == round(x, 1)
    assert parse(q, f"{x:.1f}") == round(x, 1)
    assert parse(q, f"{x:.1f} kg".replace(".", ",")) == round(x, 1)


@FAST
@given(st.floats(0, 1_000_000, allow_nan=False))
def test_format_number_reads_back(x):
    shown = format_number(x)
    assert float(shown.replace(".", "").replace(",", ".")) == pytest.approx(x, abs=0.05 + 1e-9)
    if float(x).is_integer():
        assert shown.replace(".", "") == str(int(x))


@FAST
@given(
    st.text(max_size=30),
    st.sampled_from(
        [
            COUNT,
            MEASURE,
            YESNO,
            CHOICE,
            MULTI,
            TEXT,
            DATE,
            question("text", format="nik"),
            question("text", format="kk"),
            question("text", format="rtrw"),
            question("text", format="name"),
            question("measure", min=-5, max=5),
        ]
    ),
)
def test_any_text_is_a_value_or_an_answer_error(text, q):
    try:
        value = parse(q, text)
    except AnswerError as problem:
        assert problem.key.startswith("error.")
        return
    match q.type:
        case QuestionType.MEASURE if isinstance(value, Ambiguous):  # "1.200": the person is asked
            assert all(isinstance(v, float) and math.isfinite(v) for v in value.choices)
        case QuestionType.MEASURE:
            assert isinstance(value, float) and math.isfinite(value)
            assert q.min is None or q.min <= value <= q.max
        case QuestionType.YESNO:
            assert isinstance(value, bool)
        case QuestionType.CHOICE:
            assert q.option(value) is not None
        case QuestionType.MULTICHOICE:
            assert all(q.option(v) for v in value) and len(set(value)) == len(value)
        case QuestionType.DATE:
            assert date(1900, 1, 1) <= date.fromisoformat(value) <= TODAY
        case QuestionType.TEXT:
            assert value == value.strip() and "  " not in value and 0 < len(value) <= q.max_length
            assert not any(unicodedata.category(ch).startswith("C") for ch in value)


@FAST
@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
def test_dates_round_trip(d):
    assert parse(DATE, d.strftime("%d-%m-%Y")) == d.isoformat()
    assert parse(DATE, d.strftime("%d/%m/%Y")) == d.isoformat()
    assert parse(DATE, d.isoformat()) == d.isoformat()
    assert parse(DATE, f"{d.day} {MONTHS_ID[d.month - 1]} {d.year}") == d.isoformat()
    assert parse(DATE, f"{d.day} {MONTHS_EN[d.month - 1][:3]} {d.year}") == d.isoformat()
    assert parse(DATE, display(DATE, d.isoformat())) == d.isoformat()
    assert parse(DATE, display(DATE, d.isoformat(), "en")) == d.isoformat()


@FAST
@given(st.dates(min_value=TODAY + timedelta(days=1), max_value=date(9999, 12, 31)))
def test_future_dates_are_refused(d):
    assert error_of(DATE, d.strftime("%d-%m-%Y")).key == "error.future_date"


@FAST
@given(st.sampled_from([CHOICE, MULTI]), st.data())
def test_options_parse_by_number_and_label(q, data):
    index = data.draw(st.integers(0, len(q.options) - 1))
    option = q.options[index]
    lang = data.draw(st.sampled_from(["id", "en"]))
    expected = option.id if q.type is QuestionType.CHOICE else [option.id]
    assert parse(q, str(index + 1)) == expected
    if q.type is QuestionType.CHOICE:
        assert parse(q, option.label.get(lang).upper()) == expected
        assert parse(q, display(q, option.id, lang)) == expected
