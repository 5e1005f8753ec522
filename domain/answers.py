"""Turning what people type into answer values, and values back into short display text.

Answer values are JSON-friendly: count -> int, measure -> float, yesno -> bool, choice ->
option id, multichoice -> list of option ids, text -> str, date -> ISO date string.
A skipped optional question is stored as missing (None), never as 0.

Numbers are read the Indonesian way: a dot groups thousands, a comma marks decimals
("1.000,5" is 1000.5); a single dot elsewhere is a decimal point ("12.5"). A measure with one
dot before exactly three digits ("1.200") reads both ways: ``parse_answer`` returns
:class:`Ambiguous` and the form engine asks which was meant.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.forms import Question, QuestionType
from domain.identity import IdentityError, parse_kk, parse_nik
from domain.periods import MONTHS_EN, MONTHS_ID


@dataclass
class AnswerError(ValueError):
    """A wrong answer: ``key`` names the message in the texts catalogue."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True)
class Ambiguous:
    """A measure typed with one dot before exactly three digits ("1.200"): one thousand two
    hundred in Indonesian (a dot groups thousands), 1.2 in English (a decimal point). The
    parser cannot tell; the person is asked (conversations.engine). Neither reading is range
    checked yet: the one chosen is (``check_range``)."""

    thousands: float
    decimal: float

    @property
    def choices(self) -> tuple[float, float]:
        return (self.thousands, self.decimal)


_YES = {"ya", "y", "iya", "iyo", "yes", "ok", "betul", "benar", "sudah", "ada", "1"}
_NO = {"tidak", "tdk", "t", "no", "n", "gak", "ga", "nggak", "enggak", "engga", "belum", "tidak ada", "0"}
_ZERO_WORDS = {"nol", "kosong", "zero", "tidak ada", "tdk ada", "ga ada", "gak ada"}
_MONTH_WORDS = {
    **{m.lower(): i + 1 for i, m in enumerate(MONTHS_ID)},
    **{m.lower(): i + 1 for i, m in enumerate(MONTHS_EN)},
    **{m.lower()[:3]: i + 1 for i, m in enumerate(MONTHS_ID)},
    **{m.lower()[:3]: i + 1 for i, m in enumerate(MONTHS_EN)},
    "agu": 8,
    "agt": 8,
    "okt": 10,
    "des": 12,
    "mei": 5,
    "nopember": 11,
    "pebruari": 2,
    "peb": 2,
    "nop": 11,
    "sept": 9,
}
MAX_DIGITS = 12  # far beyond any count or measure a village reports
_NAME = re.compile(r"^[^\W\d_](?:[^\W\d_]|[ '.,\-])*$")


def normalise_text(text: str) -> str:
    """NFKC, no control or null characters, single spaces, trimmed."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(text.split())


def parse_answer(question: Question, text: str, today: date | None = None) -> Any:
    """The value for ``question`` from typed ``text``; raises AnswerError when it is wrong."""
    text = normalise_text(text)
    if not text:
        raise AnswerError("error.empty")
    parser = _PARSERS[question.type]
    value = parser(question, text, today or date.today())
    if question.type in (QuestionType.COUNT, QuestionType.MEASURE) and not isinstance(value, Ambiguous):
        check_range(question, value)
    return value


def _strip_unit(question: Question, text: str) -> str:
    lowered = text.lower()
    for unit in filter(None, (question.unit, "orang", "anak", "kg", "cm", "m2", "kk")):
        if lowered.endswith(unit.lower()):
            return text[: -len(unit)].strip()
    return text


def _parse_count(question: Question, text: str, today: date) -> int:
    if text.lower() in _ZERO_WORDS:
        return 0
    text = _strip_unit(question, text)
    if text.startswith("-") and text[1:].strip().isdecimal():
        raise AnswerError("error.negative")
    if re.fullmatch(r"\d+[.,]\d+", text):
        raise AnswerError("error.not_whole", {"example": question.example or "12"})
    if not text.isdecimal():
        raise AnswerError("error.not_a_number", {"example": question.example or "12"})
    if len(text) > MAX_DIGITS:
        raise _too_large(question)
    return int(text)


def _too_large(question: Question) -> AnswerError:
    """Beyond what an answer may be: the question's maximum, or else the largest number allowed."""
    return AnswerError("error.too_large", {"max": _num(question.max) if question.max is not None else "9" * MAX_DIGITS})


# A measure's digits (spaces and sign taken off before). Indonesian: dots group thousands, a
# comma marks the decimals. A single dot elsewhere is a decimal point, as many people type it.
_WHOLE = re.compile(r"\d+")
_DECIMAL_COMMA = re.compile(r"(\d+),(\d+)")
_GROUPED = re.compile(r"(\d{1,3}(?:\.\d{3})+)(?:,(\d+))?")  # 1.000,5 and 1.234.567
_DECIMAL_DOT = re.compile(r"(\d+)\.(\d+)")


def _parse_measure(question: Question, text: str, today: date) -> float | Ambiguous:
    if text.lower() in _ZERO_WORDS:
        return 0.0
    text = _strip_unit(question, text).replace(" ", "")
    negative = text.startswith("-")
    body = text[1:] if negative else text
    if len(body) > 2 * MAX_DIGITS + 4:
        raise _too_large(question) if re.fullmatch(r"[\d.,]+", body) else _not_a_measure(question)
    value = _measure_value(question, body)
    if isinstance(value, Ambiguous):
        if negative:
            return Ambiguous(-value.thousands, -value.decimal)
        return value
    return -value if negative else value


def _measure_value(question: Question, body: str) -> float | Ambiguous:
    if _WHOLE.fullmatch(body):
        return _finite(question, body)
    if match := _DECIMAL_COMMA.fullmatch(body):
        return _finite(question, f"{match[1]}.{match[2]}")
    dot = _DECIMAL_DOT.fullmatch(body)
    if dot and len(dot[2]) == 3 and len(dot[1]) <= 3 and not dot[1].startswith("0"):
        return Ambiguous(_finite(question, dot[1] + dot[2]), _finite(question, body))
    if dot:
        return _finite(question, body)
    if match := _GROUPED.fullmatch(body):
        whole = match[1].replace(".", "")
        return _finite(question, f"{whole}.{match[2]}" if match[2] else whole)
    raise _not_a_measure(question)


def _finite(question: Question, digits: str) -> float:
    value = float(digits)
    if not math.isfinite(value) or value >= 10**MAX_DIGITS:
        raise _too_large(question)
    return value


def _not_a_measure(question: Question) -> AnswerError:
    return AnswerError("error.not_a_measure", {"example": question.example or "12,5"})


def check_range(question: Question, value: float) -> float:
    """``value`` if it lies within the question's bounds; AnswerError otherwise."""
    low, high = question.lower, question.max
    if low is not None and value < low:
        raise AnswerError("error.negative" if low == 0 else "error.too_small", {"min": _num(low)})
    if high is not None and value > high:
        raise AnswerError("error.too_large", {"max": _num(high)})
    return value


def _parse_yesno(question: Question, text: str, today: date) -> bool:
    lowered = text.lower().rstrip(".!")
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    raise AnswerError("error.yesno")


def _parse_choice(question: Question, text: str, today: date) -> str:
    return _match_option(question, text)


def _match_option(question: Question, text: str) -> str:
    lowered = text.lower().strip(" .")
    if lowered.isdecimal() and 1 <= int(lowered) <= len(question.options):
        return question.options[int(lowered) - 1].id
    for option in question.options:
        if lowered in (option.id, option.label.id.lower(), option.label.en.lower()):
            return option.id
    raise AnswerError("error.choose_option", {"count": len(question.options)})


def _parse_multichoice(question: Question, text: str, today: date) -> list[str]:
    parts = [p for p in re.split(r"[,;\s]+", text) if p]
    if not parts:
        raise AnswerError("error.choose_at_least_one")
    chosen = []
    for part in parts:
        option = _match_option(question, part)
        if option not in chosen:
            chosen.append(option)
    return [o.id for o in question.options if o.id in chosen]


def _parse_text(question: Question, text: str, today: date) -> str:
    if len(text) > question.max_length:
        raise AnswerError("error.too_long", {"max": question.max_length})
    match question.format:
        case "nik":
            try:
                return parse_nik(text, today).number
            except IdentityError as exc:
                raise AnswerError(f"error.nik_{exc.reason}") from None
        case "kk":
            try:
                return parse_kk(text)
            except IdentityError as exc:
                raise AnswerError(f"error.kk_{exc.reason}") from None
        case "rtrw":
            if not re.fullmatch(r"\d{1,3}", text) or int(text) == 0:
                raise AnswerError("error.rtrw")
            return f"{int(text):03d}"
        case "name":
            if not (2 <= len(text) <= 100) or not _NAME.match(text):
                raise AnswerError("error.name")
    return text


def parse_date(text: str, today: date) -> date:
    text = text.lower().strip()
    if text in ("hari ini", "today"):
        return today
    numeric = re.fullmatch(r"(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{2}|\d{4})", text)
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    words = re.fullmatch(r"(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})", text)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if numeric:
            year = _full_year(numeric[3], today)
            return date(year, int(numeric[2]), int(numeric[1]))
        if words and words[2] in _MONTH_WORDS:
            return date(int(words[3]), _MONTH_WORDS[words[2]], int(words[1]))
    except ValueError:
        raise AnswerError("error.bad_date") from None
    raise AnswerError("error.bad_date")


def _full_year(text: str, today: date) -> int:
    """A four-digit year as typed; a two-digit one in the latest century not after this year."""
    year = int(text)
    if len(text) == 4:
        return year
    return 2000 + year if 2000 + year <= today.year else 1900 + year


def _parse_date_answer(question: Question, text: str, today: date) -> str:
    day = parse_date(text, today)
    if day > today:
        raise AnswerError("error.future_date")
    if day.year < 1900:
        raise AnswerError("error.bad_date")
    return day.isoformat()


_PARSERS: dict[QuestionType, Callable[[Question, str, date], Any]] = {
    QuestionType.COUNT: _parse_count,
    QuestionType.MEASURE: _parse_measure,
    QuestionType.YESNO: _parse_yesno,
    QuestionType.CHOICE: _parse_choice,
    QuestionType.MULTICHOICE: _parse_multichoice,
    QuestionType.TEXT: _parse_text,
    QuestionType.DATE: _parse_date_answer,
}


def _num(value: float) -> str:
    return format_number(value)


def format_number(value: float, decimals: int = 1) -> str:
    """Indonesian style: 1.234 and 12,5."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def plain_number(value: float, lang: str = "id") -> str:
    """A number without thousands separators, so it reads one way only: 1200, and 1,2 (1.2 in
    English). Up to three decimals, as typed in "1.200"."""
    if float(value).is_integer():
        return str(int(value))
    text = f"{value:.3f}".rstrip("0")
    return text if lang == "en" else text.replace(".", ",")


def _english_number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def format_percent(fraction: float | None, lang: str = "id") -> str:
    if fraction is None:
        return "—"
    text = f"{fraction * 100:.1f}"
    return (text.replace(".", ",") if lang != "en" else text) + "%"


def display(question: Question, value: Any, lang: str = "id") -> str:
    """Short text of an answer for reviews and receipts. None is shown as a dash."""
    if value is None:
        return "—"
    match question.type:
        case QuestionType.COUNT | QuestionType.MEASURE:
            number = format_number(value) if lang != "en" else _english_number(value)
            return f"{number} {question.unit}" if question.unit else number
        case QuestionType.YESNO:
            return {("id", True): "Ya", ("id", False): "Tidak"}.get(
                (lang if lang == "en" else "id", value), "Yes" if value else "No"
            )
        case QuestionType.CHOICE:
            option = question.option(value)
            return option.label.get(lang) if option else str(value)
        case QuestionType.MULTICHOICE:
            labels = [option.label.get(lang) for v in value if (option := question.option(v))]
            return ", ".join(labels) or "—"
        case QuestionType.DATE:
            day = date.fromisoformat(value)
            months = MONTHS_EN if lang == "en" else MONTHS_ID
            return f"{day.day} {months[day.month - 1]} {day.year}"
    return str(value)
