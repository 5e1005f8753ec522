"""Villages (with their district, regency, province) and posyandu."""

from __future__ import annotations

import aiosqlite

from domain.imports import VillageRow
from domain.models import Posyandu, Village
from domain.regions import within
from storage.db import Database, inserted_id

_VILLAGE_SELECT = """
SELECT v.code, v.name, v.timezone, d.code AS district_code, d.name AS district_name,
       r.code AS regency_code, r.name AS regency_name, p.code AS province_code, p.name AS province_name
FROM villages v JOIN districts d ON d.code = v.district_code
JOIN regencies r ON r.code = d.regency_code JOIN provinces p ON p.code = r.province_code
"""


class PosyanduNotFound(LookupError):
    pass


class Areas:
    def __init__(self, db: Database):
        self.db = db

    async def import_villages(self, rows: list[VillageRow]) -> tuple[int, int]:
        """Insert or update all rows in one transaction; returns (added, updated)."""
        added = updated = 0
        async with self.db.transaction() as conn:
            for row in rows:
                province, regency, district = row.codes
                await _upsert(conn, "provinces", "code, name", (province, row.province))
                await _upsert(conn, "regencies", "code, province_code, name", (regency, province, row.regency))
                await _upsert(conn, "districts", "code, regency_code, name", (district, regency, row.district))
                exists = await (await conn.execute("SELECT 1 FROM villages WHERE code = ?", (row.code,))).fetchone()
                await _upsert(
                    conn,
                    "villages",
                    "code, district_code, name, timezone",
                    (row.code, district, row.name, row.timezone),
                )
                updated += bool(exists)
                added += not exists
        return added, updated

    async def village(self, code: str) -> Village | None:
        row = await self.db.fetchone(_VILLAGE_SELECT + " WHERE v.code = ?", (code,))
        return Village(**dict(row)) if row else None

    async def villages(self, area_codes: list[str] | None = None) -> list[Village]:
        """All villages, or those inside any of the given areas, ordered by code."""
        rows = await self.db.fetchall(_VILLAGE_SELECT + " ORDER BY v.code")
        villages = [Village(**dict(r)) for r in rows]
        if area_codes is None:
            return villages
        return [v for v in villages if any(within(a, v.code) for a in area_codes)]

    async def area_exists(self, code: str) -> bool:
        for table in ("villages", "districts", "regencies", "provinces"):
            if await self.db.fetchval(f"SELECT 1 FROM {table} WHERE code = ?", (code,)):
                return True
        return False

    async def area_name(self, code: str) -> str | None:
        for table in ("villages", "districts", "regencies", "provinces"):
            name: str | None = await self.db.fetchval(f"SELECT name FROM {table} WHERE code = ?", (code,))
            if name:
                return name
        return None

    async def add_posyandu(self, village_code: str, name: str) -> Posyandu:
        name = " ".join(name.split())
        async with self.db.transaction() as conn:
            cursor = await conn.execute("INSERT INTO posyandu (village_code, name) VALUES (?, ?)", (village_code, name))
            return Posyandu(id=inserted_id(cursor), village_code=village_code, name=name)

    async def posyandu(self, posyandu_id: int) -> Posyandu:
        row = await self.db.fetchone("SELECT * FROM posyandu WHERE id = ?", (posyandu_id,))
        if row is None:
            raise PosyanduNotFound(posyandu_id)
        return Posyandu(**dict(row))

    async def posyandu_in(self, village_code: str) -> list[Posyandu]:
        rows = await self.db.fetchall(
            "SELECT * FROM posyandu WHERE village_code = ? AND active = 1 ORDER BY name", (village_code,)
        )
        return [Posyandu(**dict(r)) for r in rows]


async def _upsert(conn: aiosqlite.Connection, table: str, columns: str, values: tuple[object, ...]) -> None:
    names = [c.strip() for c in columns.split(",")]
    updates = ", ".join(f"{c} = excluded.{c}" for c in names[1:])
    await conn.execute(
        f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(values))}) "
        f"ON CONFLICT ({names[0]}) DO UPDATE SET {updates}",
        values,
    )
