"""People, their roles and scopes, invitations and registration."""

from __future__ import annotations

import builtins
import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import aiosqlite

from domain.clock import Clock, from_iso, iso
from domain.models import Invitation, ScopeEntry, User
from domain.roles import Role
from storage.audit import Audit
from storage.db import Database
from storage.partners import PROGRAMME_VILLAGES_OF_USER, Partners, bind_invited_partner, save_invitation_partner

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: easy to read out and type
CODE_LENGTH = 8
MAX_FAILURES_PER_HOUR = 5


def normalise_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


# A person with everything ``User`` holds, in one read: scopes, partner, programme scopes and
# the villages those cover now (JSON arrays, ordered in Python).
_USER_SELECT = f"""
SELECT u.*, l.language,
  (SELECT json_group_array(json_array(s.area_code, s.posyandu_id)) FROM user_scopes s
   WHERE s.telegram_id = u.telegram_id) AS scopes,
  (SELECT p.code FROM user_partners up JOIN partners p ON p.id = up.partner_id
   WHERE up.telegram_id = u.telegram_id) AS partner,
  (SELECT json_group_array(p.code) FROM user_programme_scopes ps JOIN programmes p ON p.id = ps.programme_id
   WHERE ps.telegram_id = u.telegram_id) AS programmes,
  {PROGRAMME_VILLAGES_OF_USER} AS programme_villages
FROM users u LEFT JOIN languages l ON l.telegram_id = u.telegram_id"""


class Outcome(StrEnum):
    REGISTERED = "registered"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    LIMITED = "limited"  # too many wrong codes this hour
    ALREADY = "already"  # this Telegram user is registered already


@dataclass(frozen=True)
class Registration:
    outcome: Outcome
    user: User | None = None
    retry_at: datetime | None = None


class Users:
    def __init__(self, db: Database, clock: Clock, audit: Audit):
        self.db, self.clock, self.audit = db, clock, audit
        self.partners = Partners(db, audit)

    # -- users --------------------------------------------------------------------------------
    async def get(self, telegram_id: int, *, include_inactive: bool = False) -> User | None:
        row = await self.db.fetchone(_USER_SELECT + " WHERE u.telegram_id = ?", (telegram_id,))
        if row is None or (not row["active"] and not include_inactive):
            return None
        return _user_from(row)

    # builtins.list: in this class's annotations `list` is the method below
    async def list(self, *, include_inactive: bool = True) -> builtins.list[User]:
        where = "" if include_inactive else "WHERE u.active = 1"
        rows = await self.db.fetchall(f"{_USER_SELECT} {where} ORDER BY u.role, u.telegram_id")
        return [_user_from(r) for r in rows]

    async def in_area(self, area_code: str, roles: set[Role]) -> builtins.list[User]:
        """Active users whose scope lies inside ``area_code`` (e.g. the kader of a village)."""
        rows = await self.db.fetchall(
            _USER_SELECT + " WHERE u.telegram_id IN (SELECT s.telegram_id FROM user_scopes s "
            "WHERE 1 AND (s.area_code = ? OR s.area_code LIKE ? || '.%')) AND u.active = 1",
            (area_code, area_code),
        )
        return [_user_from(r) for r in rows if Role(r["role"]) in roles]

    async def language(self, telegram_id: int) -> str | None:
        language: str | None = await self.db.fetchval(
            "SELECT language FROM languages WHERE telegram_id = ?", (telegram_id,)
        )
        return language

    async def set_language(self, telegram_id: int, language: str) -> None:
        await self.db.execute(
            "INSERT INTO languages (telegram_id, language) VALUES (?, ?) "
            "ON CONFLICT (telegram_id) DO UPDATE SET language = excluded.language",
            (telegram_id, language),
        )

    async def set_reachable(self, telegram_id: int, reachable: bool) -> None:
        await self.db.execute("UPDATE users SET reachable = ? WHERE telegram_id = ?", (int(reachable), telegram_id))

    async def deactivate(self, telegram_id: int, *, actor_id: int | None = None) -> bool:
        """Access ends at once: the person's conversation (``sessions`` row) ends in the same
        transaction, so an open form answers nothing more. Their drafts stay, for an admin."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE users SET active = 0 WHERE telegram_id = ? AND active = 1", (telegram_id,)
            )
            if cursor.rowcount:
                await conn.execute("DELETE FROM sessions WHERE telegram_id = ?", (telegram_id,))
                await self.audit.record(conn, "user.deactivate", actor_id=actor_id, subject=str(telegram_id))
            return bool(cursor.rowcount)

    async def activate(self, telegram_id: int, *, actor_id: int | None = None) -> bool:
        """Undo ``deactivate``: the person comes back with the role and scope they had."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE users SET active = 1 WHERE telegram_id = ? AND active = 0", (telegram_id,)
            )
            if cursor.rowcount:
                await self.audit.record(conn, "user.activate", actor_id=actor_id, subject=str(telegram_id))
            return bool(cursor.rowcount)

    async def ensure_admin(self, telegram_id: int, name: str) -> User | None:
        """Admins listed in the settings are registered on their first message. Only a person
        the bot has never registered: one deactivated stays so until ``users activate``
        (None then)."""
        async with self.db.transaction(records_update=False) as conn:
            cursor = await conn.execute(
                "INSERT INTO users (telegram_id, name, role, registered_at) VALUES (?, ?, 'admin', ?) "
                "ON CONFLICT (telegram_id) DO NOTHING",
                (telegram_id, name[:100] or str(telegram_id), iso(self.clock.now())),
            )
            if cursor.rowcount:
                await self.audit.record(conn, "admin.bootstrap", actor_id=telegram_id, actor_role="admin")
        return await self.get(telegram_id)

    # -- invitations --------------------------------------------------------------------------
    async def create_invitations(
        self,
        role: Role,
        scope: builtins.list[ScopeEntry],
        *,
        count: int = 1,
        days: int = 14,
        created_by: int | None = None,
        partner: tuple[str, str | None] | None = None,
    ) -> builtins.list[str]:
        """``partner``: (partner code, programme code or None) a coordinator will belong to."""
        now = self.clock.now()
        codes: list[str] = []
        async with self.db.transaction() as conn:
            for _ in range(count):
                code = new_code()
                await conn.execute(
                    "INSERT INTO invitations (code, role, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                    (code, role.value, created_by, iso(now), iso(now + timedelta(days=days))),
                )
                await conn.executemany(
                    "INSERT INTO invitation_scopes (code, area_code, posyandu_id) VALUES (?, ?, ?)",
                    [(code, s.area_code, s.posyandu_id) for s in scope],
                )
                if partner is not None:
                    await save_invitation_partner(conn, code, *partner)
                codes.append(code)
            await self.audit.record(
                conn,
                "invitation.create",
                actor_id=created_by,
                subject=role.value,
                count=count,
                days=days,
                areas=sorted({s.area_code for s in scope}),
            )
        return codes

    async def invitation(self, code: str) -> Invitation | None:
        row = await self.db.fetchone("SELECT * FROM invitations WHERE code = ?", (normalise_code(code),))
        if row is None:
            return None
        scopes = await self.db.fetchall(
            "SELECT area_code, posyandu_id FROM invitation_scopes WHERE code = ?", (row["code"],)
        )
        return Invitation(
            code=row["code"],
            role=Role(row["role"]),
            created_by=row["created_by"],
            created_at=from_iso(row["created_at"]),
            expires_at=from_iso(row["expires_at"]),
            max_uses=row["max_uses"],
            uses=row["uses"],
            scope=tuple(ScopeEntry(**dict(s)) for s in scopes),
        )

    # -- registration -------------------------------------------------------------------------
    async def register(self, telegram_id: int, name: str, code: str) -> Registration:
        now = self.clock.now()
        if await self.get(telegram_id):
            return Registration(Outcome.ALREADY)
        retry_at = await self._limited_until(telegram_id, now)
        if retry_at:
            return Registration(Outcome.LIMITED, retry_at=retry_at)
        invitation = await self.invitation(code)
        outcome = self._check(invitation, now)
        async with self.db.transaction() as conn:
            if outcome is Outcome.REGISTERED and invitation is not None:  # (REGISTERED implies an invitation)
                cursor = await conn.execute(
                    "UPDATE invitations SET uses = uses + 1 WHERE code = ? AND uses < max_uses AND expires_at > ?",
                    (invitation.code, iso(now)),
                )
                outcome = Outcome.REGISTERED if cursor.rowcount else Outcome.USED
            if outcome is not Outcome.REGISTERED or invitation is None:
                await conn.execute(
                    "INSERT INTO registration_failures (telegram_id, at) VALUES (?, ?)", (telegram_id, iso(now))
                )
                await self.audit.record(conn, "register.failed", actor_id=telegram_id, subject=outcome.value)
                return Registration(outcome)
            await self._bind(conn, telegram_id, name, invitation, now)
            await self.audit.record(
                conn,
                "register",
                actor_id=telegram_id,
                actor_role=invitation.role.value,
                subject=invitation.code[:2] + "******",
                areas=[s.area_code for s in invitation.scope],
            )
        return Registration(Outcome.REGISTERED, user=await self.get(telegram_id))

    @staticmethod
    def _check(invitation: Invitation | None, now: datetime) -> Outcome:
        if invitation is None:
            return Outcome.UNKNOWN
        if invitation.uses >= invitation.max_uses:
            return Outcome.USED
        if now >= invitation.expires_at:
            return Outcome.EXPIRED
        return Outcome.REGISTERED

    async def _bind(
        self, conn: aiosqlite.Connection, telegram_id: int, name: str, invitation: Invitation, now: datetime
    ) -> None:
        # A deactivated person may be invited again: the row is replaced, the history stays in the audit log.
        await conn.execute("DELETE FROM user_scopes WHERE telegram_id = ?", (telegram_id,))
        await conn.execute(
            "INSERT INTO users (telegram_id, name, role, registered_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (telegram_id) DO UPDATE SET name = excluded.name, role = excluded.role, active = 1, "
            "reachable = 1, registered_at = excluded.registered_at",
            (telegram_id, name[:100] or str(telegram_id), invitation.role.value, iso(now)),
        )
        await conn.executemany(
            "INSERT INTO user_scopes (telegram_id, area_code, posyandu_id) VALUES (?, ?, ?)",
            [(telegram_id, s.area_code, s.posyandu_id) for s in invitation.scope],
        )
        await bind_invited_partner(conn, telegram_id, invitation.code)

    async def _limited_until(self, telegram_id: int, now: datetime) -> datetime | None:
        hour_ago = iso(now - timedelta(hours=1))
        rows = await self.db.fetchall(
            "SELECT at FROM registration_failures WHERE telegram_id = ? AND at > ? ORDER BY at", (telegram_id, hour_ago)
        )
        if len(rows) < MAX_FAILURES_PER_HOUR:
            return None
        return from_iso(rows[-MAX_FAILURES_PER_HOUR]["at"]) + timedelta(hours=1)


def _user_from(row: sqlite3.Row) -> User:
    scopes = sorted(json.loads(row["scopes"]), key=lambda s: (s[0], s[1] is not None, s[1] or 0))
    entries = [ScopeEntry(area_code=area, posyandu_id=posyandu) for area, posyandu in scopes]
    # programme scopes: the villages the person's partner supports in the programme, read now
    entries += [
        ScopeEntry(area_code=v)
        for v in sorted(json.loads(row["programme_villages"]))
        if ScopeEntry(area_code=v) not in entries
    ]
    return User(
        telegram_id=row["telegram_id"],
        name=row["name"],
        role=Role(row["role"]),
        language=row["language"] or "id",
        active=bool(row["active"]),
        reachable=bool(row["reachable"]),
        full_access=bool(row["full_access"]),
        scope=tuple(entries),
        partner=row["partner"],
        programmes=tuple(sorted(json.loads(row["programmes"]))),
    )
