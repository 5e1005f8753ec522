"""Partners, programmes, village memberships, partner roles, coordinators' partner and programme
scopes, and MEL baselines and targets."""

from __future__ import annotations

from collections.abc import Iterable

import aiosqlite

from domain.mel import ALL_VILLAGES, TargetRow
from domain.partners import Membership, Partner, PartnerRole, Programme
from storage.audit import Audit
from storage.db import Database

# Villages a person's programme scopes cover: members of the programme where the person's partner
# plays a role (in that programme or in all). Resolved on every read, so it follows changes.
_PROGRAMME_VILLAGES_FROM = """
FROM user_programme_scopes ups
JOIN user_partners up ON up.telegram_id = ups.telegram_id
JOIN programme_villages pv ON pv.programme_id = ups.programme_id
WHERE EXISTS (SELECT 1 FROM partner_roles pr WHERE pr.partner_id = up.partner_id
              AND pr.village_code = pv.village_code
              AND (pr.programme_id IS NULL OR pr.programme_id = ups.programme_id))
"""
_PROGRAMME_VILLAGES = "SELECT DISTINCT ups.telegram_id, pv.village_code" + _PROGRAMME_VILLAGES_FROM
# The same for one person, as a JSON array in a column of a query over ``users u``.
PROGRAMME_VILLAGES_OF_USER = (
    "(SELECT json_group_array(DISTINCT pv.village_code)"
    + _PROGRAMME_VILLAGES_FROM
    + " AND ups.telegram_id = u.telegram_id)"
)


class Partners:
    def __init__(self, db: Database, audit: Audit):
        self.db, self.audit = db, audit

    # -- partners ---------------------------------------------------------------------------
    async def save_partner(self, code: str, name: str, type_: str, *, actor_id: int | None = None) -> Partner:
        """Add a partner, or update its name and type when the code exists."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO partners (code, name, type) VALUES (?, ?, ?) ON CONFLICT (code) DO UPDATE SET "
                "name = excluded.name, type = excluded.type",
                (code, name, type_),
            )
            await self.audit.record(conn, "partner.save", actor_id=actor_id, subject=code, name=name, type=type_)
        saved = await self.partner(code)
        assert saved is not None  # just written
        return saved

    async def partner(self, code: str) -> Partner | None:
        row = await self.db.fetchone("SELECT * FROM partners WHERE code = ?", (code,))
        return Partner(**dict(row)) if row else None

    async def partners(self) -> list[Partner]:
        return [Partner(**dict(r)) for r in await self.db.fetchall("SELECT * FROM partners ORDER BY code")]

    # -- programmes -------------------------------------------------------------------------
    async def save_programme(
        self, code: str, name: str, forms: Iterable[str] | None = None, *, actor_id: int | None = None
    ) -> Programme:
        """Add a programme or rename it; ``forms`` (when given) replaces its forms."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO programmes (code, name) VALUES (?, ?) ON CONFLICT (code) DO UPDATE "
                "SET name = excluded.name",
                (code, name),
            )
            if forms is not None:
                forms = list(dict.fromkeys(forms))
                await conn.execute(
                    "DELETE FROM programme_forms WHERE programme_id = (SELECT id FROM programmes WHERE code = ?)",
                    (code,),
                )
                await conn.executemany(
                    "INSERT INTO programme_forms (programme_id, form_id) SELECT id, ? FROM programmes WHERE code = ?",
                    [(form, code) for form in forms],
                )
            await self.audit.record(conn, "programme.save", actor_id=actor_id, subject=code, name=name, forms=forms)
        saved = await self.programme(code)
        assert saved is not None  # just written
        return saved

    async def programme(self, code: str) -> Programme | None:
        return next((p for p in await self.programmes() if p.code == code), None)

    async def programmes(self) -> list[Programme]:
        rows = await self.db.fetchall("SELECT * FROM programmes ORDER BY code")
        forms = await self.db.fetchall("SELECT programme_id, form_id FROM programme_forms ORDER BY form_id")
        return [
            Programme(
                id=r["id"],
                code=r["code"],
                name=r["name"],
                forms=tuple(f["form_id"] for f in forms if f["programme_id"] == r["id"]),
            )
            for r in rows
        ]

    async def join(self, programme: str, village: str, start_month: str, *, actor_id: int | None = None) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO programme_villages (programme_id, village_code, start_month) "
                "SELECT id, ?, ? FROM programmes WHERE code = ? "
                "ON CONFLICT DO UPDATE SET start_month = excluded.start_month",
                (village, start_month, programme),
            )
            await self.audit.record(
                conn, "programme.join", actor_id=actor_id, subject=programme, village=village, start=start_month
            )

    async def leave(self, programme: str, village: str, *, actor_id: int | None = None) -> bool:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM programme_villages WHERE village_code = ? AND programme_id = "
                "(SELECT id FROM programmes WHERE code = ?)",
                (village, programme),
            )
            if cursor.rowcount:
                await self.audit.record(conn, "programme.leave", actor_id=actor_id, subject=programme, village=village)
            return bool(cursor.rowcount)

    async def memberships(self, village_codes: Iterable[str] | None = None) -> list[Membership]:
        rows = await self.db.fetchall(
            "SELECT p.code AS programme_code, pv.village_code, pv.start_month FROM programme_villages pv "
            "JOIN programmes p ON p.id = pv.programme_id ORDER BY pv.village_code, p.code"
        )
        wanted = None if village_codes is None else set(village_codes)
        return [Membership(**dict(r)) for r in rows if wanted is None or r["village_code"] in wanted]

    # -- roles ------------------------------------------------------------------------------
    async def add_role(
        self, partner: str, village: str, role: str, programme: str | None = None, *, actor_id: int | None = None
    ) -> bool:
        return await self._change_role(
            "partner.role.add",
            "INSERT INTO partner_roles (partner_id, village_code, role, programme_id) "
            "SELECT (SELECT id FROM partners WHERE code = ?), ?, ?, (SELECT id FROM programmes WHERE code = ?) "
            "ON CONFLICT DO NOTHING",
            (partner, village, role, programme),
            actor_id,
        )

    async def remove_role(
        self, partner: str, village: str, role: str, programme: str | None = None, *, actor_id: int | None = None
    ) -> bool:
        return await self._change_role(
            "partner.role.remove",
            "DELETE FROM partner_roles WHERE partner_id = (SELECT id FROM partners "
            "WHERE code = ?) AND village_code = ? AND role = ? AND IFNULL(programme_id, 0) = "
            "IFNULL((SELECT id FROM programmes WHERE code = ?), 0)",
            (partner, village, role, programme),
            actor_id,
        )

    async def _change_role(
        self, action: str, sql: str, params: tuple[str, str, str, str | None], actor_id: int | None
    ) -> bool:
        """One role added or removed, audited; False when there was nothing to change."""
        partner, village, role, programme = params
        async with self.db.transaction() as conn:
            cursor = await conn.execute(sql, params)
            if cursor.rowcount:
                await self.audit.record(
                    conn, action, actor_id=actor_id, subject=partner, village=village, role=role, programme=programme
                )
            return bool(cursor.rowcount)

    async def roles(self, village_codes: Iterable[str] | None = None) -> list[PartnerRole]:
        """Who supports which village in which role, by village, partner, role."""
        rows = await self.db.fetchall(
            "SELECT pa.code AS partner_code, pa.name AS partner_name, pa.type AS partner_type, pr.village_code, "
            "pr.role, pg.code AS programme_code FROM partner_roles pr JOIN partners pa ON pa.id = pr.partner_id "
            "LEFT JOIN programmes pg ON pg.id = pr.programme_id "
            "ORDER BY pr.village_code, pa.code, pr.role, IFNULL(pg.code, '')"
        )
        wanted = None if village_codes is None else set(village_codes)
        return [PartnerRole(**dict(r)) for r in rows if wanted is None or r["village_code"] in wanted]

    # -- coordinators -----------------------------------------------------------------------
    async def set_user_partner(
        self, telegram_id: int, partner: str | None, programmes: Iterable[str] = (), *, actor_id: int | None = None
    ) -> None:
        """The person's partner (None: none) and programme scopes (replaced)."""
        programmes = list(programmes)
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM user_partners WHERE telegram_id = ?", (telegram_id,))
            await conn.execute("DELETE FROM user_programme_scopes WHERE telegram_id = ?", (telegram_id,))
            if partner is not None:
                await _bind_partner(conn, telegram_id, partner, programmes)
            await self.audit.record(
                conn,
                "user.partner",
                actor_id=actor_id,
                subject=str(telegram_id),
                partner=partner,
                programmes=programmes,
            )

    async def programme_villages(self) -> dict[int, list[str]]:
        """telegram id -> villages its programme scopes cover now, for everyone (one person's come
        with the person: ``PROGRAMME_VILLAGES_OF_USER``)."""
        found: dict[int, list[str]] = {}
        for row in await self.db.fetchall(_PROGRAMME_VILLAGES + " ORDER BY 1, 2"):
            found.setdefault(row["telegram_id"], []).append(row["village_code"])
        return found

    async def invitation_partner(self, code: str) -> tuple[str, str | None] | None:
        row = await self.db.fetchone(
            "SELECT pa.code AS partner, pg.code AS programme FROM invitation_partners i "
            "JOIN partners pa ON pa.id = i.partner_id LEFT JOIN programmes pg ON pg.id = i.programme_id "
            "WHERE i.code = ?",
            (code,),
        )
        return (row["partner"], row["programme"]) if row else None

    # -- baselines and targets --------------------------------------------------------------
    async def import_targets(self, rows: list[TargetRow], *, actor_id: int | None = None, source: str = "") -> int:
        """All rows in one transaction: a baseline replaces the earlier one, a target the one of
        the same month."""
        async with self.db.transaction() as conn:
            for row in rows:
                if row.kind == "baseline":
                    await conn.execute(
                        "DELETE FROM mel_targets WHERE kind = 'baseline' AND indicator_id = ? AND village_code = ? "
                        "AND programme_id = (SELECT id FROM programmes WHERE code = ?)",
                        (row.indicator, row.village, row.programme),
                    )
                await conn.execute(
                    "INSERT INTO mel_targets (programme_id, indicator_id, village_code, kind, month, value) "
                    "SELECT id, ?, ?, ?, ?, ? FROM programmes WHERE code = ? "
                    "ON CONFLICT DO UPDATE SET value = excluded.value",
                    (row.indicator, row.village, row.kind, row.month, row.value, row.programme),
                )
            await self.audit.record(conn, "targets.import", actor_id=actor_id, subject=source, rows=len(rows))
        return len(rows)

    async def targets(self, programme: str | None = None) -> list[TargetRow]:
        rows = await self.db.fetchall(
            "SELECT p.code, t.indicator_id, t.village_code, t.kind, t.month, t.value FROM mel_targets t "
            "JOIN programmes p ON p.id = t.programme_id WHERE ? IS NULL OR p.code = ? "
            "ORDER BY p.code, t.indicator_id, t.village_code, t.kind, t.month",
            (programme, programme),
        )
        return [TargetRow(r[0], r[1], r[2] or ALL_VILLAGES, r[3], r[4], r[5]) for r in rows]


async def _bind_partner(conn: aiosqlite.Connection, telegram_id: int, partner: str, programmes: Iterable[str]) -> None:
    await conn.execute(
        "INSERT INTO user_partners (telegram_id, partner_id) SELECT ?, id FROM partners WHERE code = ? "
        "ON CONFLICT DO UPDATE SET partner_id = excluded.partner_id",
        (telegram_id, partner),
    )
    await conn.executemany(
        "INSERT INTO user_programme_scopes (telegram_id, programme_id) SELECT ?, id FROM programmes WHERE code = ? "
        "ON CONFLICT DO NOTHING",
        [(telegram_id, p) for p in programmes],
    )


async def bind_invited_partner(conn: aiosqlite.Connection, telegram_id: int, code: str) -> None:
    """At registration: the partner and programme scope the invitation carries, if any."""
    row = await (
        await conn.execute(
            "SELECT pa.code AS partner, pg.code AS programme FROM invitation_partners i JOIN partners pa "
            "ON pa.id = i.partner_id LEFT JOIN programmes pg ON pg.id = i.programme_id WHERE i.code = ?",
            (code,),
        )
    ).fetchone()
    await conn.execute("DELETE FROM user_partners WHERE telegram_id = ?", (telegram_id,))
    await conn.execute("DELETE FROM user_programme_scopes WHERE telegram_id = ?", (telegram_id,))
    if row is not None:
        await _bind_partner(conn, telegram_id, row["partner"], [row["programme"]] if row["programme"] else [])


async def save_invitation_partner(conn: aiosqlite.Connection, code: str, partner: str, programme: str | None) -> None:
    await conn.execute(
        "INSERT INTO invitation_partners (code, partner_id, programme_id) SELECT ?, "
        "(SELECT id FROM partners WHERE code = ?), (SELECT id FROM programmes WHERE code = ?)",
        (code, partner, programme),
    )
