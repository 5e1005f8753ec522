"""Kemendagri area codes and Indonesian time zones."""

import re
from zoneinfo import ZoneInfo

# Full village code PP.KK.CC.DDDD; the first digit of DDDD: 1 kelurahan, 2 desa, 3 desa adat.
VILLAGE_CODE = re.compile(r"^[1-9]\d\.\d{2}\.\d{2}\.[123]\d{3}$")
AREA_CODE = re.compile(r"^[1-9]\d(\.\d{2}(\.\d{2}(\.[123]\d{3})?)?)?$")

ZONE_NAMES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
_ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
# Keppres 41/1987: every province lies in one zone.
_WITA_PROVINCES = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_PONTIANAK_PROVINCES = {"61", "62"}
_WIT_PROVINCES = {"81", "82", "91", "92", "93", "94", "95", "96"}


def is_village_code(code: str) -> bool:
    return bool(VILLAGE_CODE.match(code))


def is_area_code(code: str) -> bool:
    return bool(AREA_CODE.match(code))


def parent_codes(village_code: str) -> tuple[str, str, str]:
    """(province, regency, district) codes of a village code."""
    parts = village_code.split(".")
    return parts[0], ".".join(parts[:2]), ".".join(parts[:3])


def within(area_code: str, code: str) -> bool:
    """Whether ``code`` lies inside (or is) the area ``area_code``."""
    return code == area_code or code.startswith(area_code + ".")


def timezone_for_province(province_code: str) -> str:
    """IANA zone of a province (first two digits of any area code)."""
    prefix = province_code[:2]
    if prefix in _WITA_PROVINCES:
        return "Asia/Makassar"
    if prefix in _WIT_PROVINCES:
        return "Asia/Jayapura"
    if prefix in _PONTIANAK_PROVINCES:
        return "Asia/Pontianak"
    return "Asia/Jakarta"


def normalise_timezone(value: str) -> str:
    """Accept WIB/WITA/WIT or an IANA name; return a valid IANA name or raise ValueError."""
    value = value.strip()
    name = ZONE_NAMES.get(value.upper(), value)
    try:
        ZoneInfo(name)
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError for odd strings
        raise ValueError(f"unknown time zone {value!r}") from exc
    return name


def zone_abbreviation(tz_name: str) -> str:
    return _ZONE_ABBREVIATIONS.get(tz_name, tz_name)
