"""Parsing the villages CSV (code,name,district,regency,province,timezone). All or nothing:
the first bad row is reported with its line number and nothing is imported."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from domain.regions import is_village_code, normalise_timezone, parent_codes, timezone_for_province

HEADER = ("code", "name", "district", "regency", "province", "timezone")


class ImportProblem(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class VillageRow:
    code: str
    name: str
    district: str
    regency: str
    province: str
    timezone: str

    @property
    def codes(self) -> tuple[str, str, str]:
        return parent_codes(self.code)


def parse_villages_csv(text: str) -> list[VillageRow]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or tuple(h.strip().lower() for h in header) != HEADER:
        raise ImportProblem(1, f"the header must be {','.join(HEADER)}")
    rows: list[VillageRow] = []
    seen: dict[str, int] = {}  # village code: the line it was given on
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        row = _parse_row(line, cells)
        if row.code in seen:
            raise ImportProblem(line, f"village {row.code} already given on line {seen[row.code]}")
        seen[row.code] = line
        rows.append(row)
    if not rows:
        raise ImportProblem(2, "the file has no villages")
    return rows


def _parse_row(line: int, cells: list[str]) -> VillageRow:
    if len(cells) != len(HEADER):
        raise ImportProblem(line, f"expected {len(HEADER)} columns, found {len(cells)}")
    code, name, district, regency, province, zone = (c.strip() for c in cells)
    if not is_village_code(code):
        raise ImportProblem(line, f"{code!r} is not a village code like 32.04.12.2001")
    for label, value in (("name", name), ("district", district), ("regency", regency), ("province", province)):
        if not value:
            raise ImportProblem(line, f"{label} is empty")
        if len(value) > 100:
            raise ImportProblem(line, f"{label} is longer than 100 characters")
    try:
        zone = normalise_timezone(zone) if zone else timezone_for_province(code)
    except ValueError:
        raise ImportProblem(line, f"timezone {zone!r} is not WIB, WITA, WIT or a zone name") from None
    return VillageRow(code, name, district, regency, province, zone)
