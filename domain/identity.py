"""Indonesian identity numbers: NIK (person) and KK (family card). Pure validation.

NIK = PP KK CC DDMMYY SSSS: the area where it was first registered, the birth date (women add
40 to the day) and a serial. KK = the issuing area (PP KK CC) + a registration part + serial.
Neither changes when people move, so an area code outside the village is a warning only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# Valid province prefixes (Kemendagri, 38 provinces).
PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "16",
        "17",
        "18",
        "19",
        "21",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "51",
        "52",
        "53",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "72",
        "73",
        "74",
        "75",
        "76",
        "81",
        "82",
        "91",
        "92",
        "93",
        "94",
        "95",
        "96",
    ]
)


class IdentityError(ValueError):
    """Why a number is not a valid NIK or KK; ``reason`` is a texts-catalogue key suffix."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Nik:
    number: str
    birth_date: date
    female: bool

    @property
    def area(self) -> str:
        """PP.KK.CC of first registration."""
        return f"{self.number[:2]}.{self.number[2:4]}.{self.number[4:6]}"


def clean_digits(text: str) -> str:
    """Drop the spaces, dots and dashes people type inside long numbers."""
    return "".join(ch for ch in text if ch not in " .-\u00a0")


def _check_area(digits: str) -> None:
    if len(digits) != 16 or not digits.isascii() or not digits.isdigit():
        raise IdentityError("length")
    if digits[:2] not in PROVINCES:
        raise IdentityError("province")
    if digits[2:4] in ("00", "70"):
        raise IdentityError("regency")


def parse_nik(text: str, today: date | None = None) -> Nik:
    digits = clean_digits(text)
    _check_area(digits)
    day, month, year2 = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    female = day > 40
    if female:
        day -= 40
    birth = _birth_date(day, month, year2, today or date.today())
    if digits[12:] == "0000":
        raise IdentityError("serial")
    return Nik(digits, birth, female)


def _birth_date(day: int, month: int, year2: int, today: date) -> date:
    """Resolve the two-digit year: the latest century that does not put the birth in the future."""
    for century in (2000, 1900):
        try:
            born = date(century + year2, month, day)
        except ValueError:
            raise IdentityError("date") from None
        if born <= today:
            return born
    raise IdentityError("date")


def parse_kk(text: str) -> str:
    digits = clean_digits(text)
    _check_area(digits)
    if digits[12:] == "0000":
        raise IdentityError("serial")
    return digits


def mask(number: str) -> str:
    """320101******0001: enough to recognise, not enough to use."""
    return number[:6] + "*" * 6 + number[12:] if len(number) == 16 else "*" * len(number)
