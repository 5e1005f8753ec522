"""Household records with every version kept, their drafts, lookups and access grants.

Identity answers (the form's sensitive questions) and the position are only ever written
encrypted; the KK number also as a keyed hash for exact lookup. Name search decrypts the
village's current names in memory (a village has a few hundred households). See docs/PRIVACY.md.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from domain.clock import Clock, from_iso, iso
from domain.formflow import changed_answers
from domain.households import KK_QUESTION, LOCATION_KEY, NAME_QUESTION, PAGE_SIZE, Status, search_names
from domain.models import User
from storage.audit import Audit
from storage.crypto import DataCipher, DataKeyError, place
from storage.db import Database, inserted_id
from storage.reports import Session, _write_session

_PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def draft_place(draft_id: int, question_id: str) -> bytes:
    """Where a household draft's answer belongs (its associated data)."""
    return place("household_draft_answers", draft_id, field=question_id)


def identity_place(household_id: int, version: int) -> bytes:
    """Where a household version's identity data belongs (its associated data)."""
    return place("household_versions", household_id, version, field="identity")


@dataclass(frozen=True)
class HouseholdDraft:
    id: int
    form_id: str
    telegram_id: int
    village_code: str
    household_id: int | None
    base_version: int | None
    answers: dict[str, Any]
    confirmed: dict[str, list[str]]
    updated_at: datetime


@dataclass(frozen=True)
class Household:
    id: int
    village_code: str
    pseudonym: str
    status: Status
    version: int
    rt: str
    rw: str
    answers: dict[str, Any]  # all answers, identity ones decrypted
    location: dict[str, Any] | None
    saved_at: datetime
    saved_by: int

    @property
    def kk(self) -> str | None:
        return self.answers.get(KK_QUESTION)

    @property
    def head(self) -> str | None:
        return self.answers.get(NAME_QUESTION)


@dataclass(frozen=True)
class Saved:
    household_id: int
    pseudonym: str
    version: int
    changed: list[str]


class DuplicateKK(Exception):
    """The KK number is already registered in the village, as ``household_id``."""

    def __init__(self, household_id: int):
        super().__init__(household_id)
        self.household_id = household_id


class AlreadySaved(Exception):
    """The same Telegram update tried to save twice."""


class Households:
    FORM_ID = "rumah_tangga"

    def __init__(self, db: Database, clock: Clock, audit: Audit, cipher: DataCipher | None):
        self.db, self.clock, self.audit, self._cipher = db, clock, audit, cipher

    @property
    def cipher(self) -> DataCipher:
        if self._cipher is None:
            raise DataKeyError("DATA_KEY is not set: household data cannot be stored or read")
        return self._cipher

    @property
    def enabled(self) -> bool:
        return self._cipher is not None

    # -- drafts ---------------------------------------------------------------------------
    async def open_draft(self, telegram_id: int, village_code: str, household: Household | None) -> HouseholdDraft:
        """A fresh draft (any earlier one of this person is dropped), prefilled from the household."""
        now = iso(self.clock.now())
        prefill = dict(household.answers) if household else {}
        if household and household.location:
            prefill[LOCATION_KEY] = household.location
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM household_drafts WHERE telegram_id = ?", (telegram_id,))
            cursor = await conn.execute(
                "INSERT INTO household_drafts (telegram_id, village_code, household_id, base_version, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    telegram_id,
                    village_code,
                    household.id if household else None,
                    household.version if household else None,
                    now,
                    now,
                ),
            )
            draft_id = inserted_id(cursor)
            await conn.executemany(
                "INSERT INTO household_draft_answers (draft_id, question_id, value, answered_at) VALUES (?, ?, ?, ?)",
                [(draft_id, q, self.cipher.encrypt(v, draft_place(draft_id, q)), now) for q, v in prefill.items()],
            )
        draft = await self.draft_of(telegram_id)
        assert draft is not None  # just written
        return draft

    async def draft_of(self, telegram_id: int) -> HouseholdDraft | None:
        row = await self.db.fetchone("SELECT * FROM household_drafts WHERE telegram_id = ?", (telegram_id,))
        if row is None:
            return None
        answers = await self.db.fetchall(
            "SELECT question_id, value, confirmed_rules FROM household_draft_answers WHERE draft_id = ?", (row["id"],)
        )
        return HouseholdDraft(
            id=row["id"],
            form_id=self.FORM_ID,
            telegram_id=telegram_id,
            village_code=row["village_code"],
            household_id=row["household_id"],
            base_version=row["base_version"],
            answers={
                a["question_id"]: self.cipher.decrypt(a["value"], draft_place(row["id"], a["question_id"]))
                for a in answers
            },
            confirmed={
                a["question_id"]: json.loads(a["confirmed_rules"]) for a in answers if a["confirmed_rules"] != "[]"
            },
            updated_at=from_iso(row["updated_at"]),
        )

    async def save_answer(
        self,
        draft_id: int,
        question_id: str,
        value: Any,
        *,
        confirmed: Sequence[str] = (),
        removed: Sequence[str] = (),
        session: Session | None = None,
    ) -> None:
        """The engine's hook: one answer, encrypted, and the session moved on, in one transaction."""
        now = iso(self.clock.now())
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO household_draft_answers (draft_id, question_id, value, confirmed_rules, answered_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (draft_id, question_id) DO UPDATE SET value = excluded.value, "
                "confirmed_rules = excluded.confirmed_rules, answered_at = excluded.answered_at",
                (
                    draft_id,
                    question_id,
                    self.cipher.encrypt(value, draft_place(draft_id, question_id)),
                    json.dumps(list(confirmed)),
                    now,
                ),
            )
            await conn.executemany(
                "DELETE FROM household_draft_answers WHERE draft_id = ? AND question_id = ?",
                [(draft_id, q) for q in removed],
            )
            await conn.execute("UPDATE household_drafts SET updated_at = ? WHERE id = ?", (now, draft_id))
            if session is not None:
                await _write_session(conn, session, now, self.cipher)

    async def discard_draft(self, telegram_id: int) -> None:
        await self.db.execute("DELETE FROM household_drafts WHERE telegram_id = ?", (telegram_id,))

    # -- reading --------------------------------------------------------------------------
    async def get(self, household_id: int) -> Household | None:
        row = await self.db.fetchone(_CURRENT + " WHERE h.id = ?", (household_id,))
        return self._household(row) if row else None

    async def find_by_kk(self, village_code: str, kk: str) -> Household | None:
        row = await self.db.fetchone(
            _CURRENT + " WHERE h.village_code = ? AND h.kk_hash = ?", (village_code, self.cipher.lookup_hash(kk))
        )
        return self._household(row) if row else None

    async def find_by_name(self, village_code: str, query: str, limit: int = PAGE_SIZE) -> list[Household]:
        """Tolerant search: the village's current names are decrypted here, in memory only."""
        households = [
            self._household(r) for r in await self.db.fetchall(_CURRENT + " WHERE h.village_code = ?", (village_code,))
        ]
        by_id = {h.id: h for h in households}
        return [by_id[i] for i in search_names(query, ((h.id, h.head) for h in households), limit)]

    async def in_area(
        self, village_code: str, rw: str | None, rt: str | None, offset: int = 0, limit: int = PAGE_SIZE
    ) -> tuple[list[Household], int]:
        """One page of the village's households (optionally of one RW, or RT/RW), and the total."""
        where, params = "WHERE h.village_code = ?", [village_code]
        if rw:
            where, params = where + " AND h.rw = ?", [*params, rw]
        if rt:
            where, params = where + " AND h.rt = ?", [*params, rt]
        total = await self.db.fetchval(f"SELECT count(*) FROM households h {where}", params)
        rows = await self.db.fetchall(
            f"{_CURRENT} {where} ORDER BY h.status != 'active', h.rw, h.rt, h.id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [self._household(r) for r in rows], total

    async def versions(self, household_id: int) -> list[dict[str, Any]]:
        """Who changed what and when: never the values."""
        rows = await self.db.fetchall(
            "SELECT version, status, changed, saved_at, saved_by, saved_role FROM household_versions "
            "WHERE household_id = ? ORDER BY version",
            (household_id,),
        )
        return [dict(r) | {"changed": json.loads(r["changed"])} for r in rows]

    async def version_answers(self, household_id: int, version: int) -> dict[str, Any]:
        row = await self.db.fetchone(
            "SELECT answers, identity FROM household_versions WHERE household_id = ? AND version = ?",
            (household_id, version),
        )
        return self._answers(row, household_id, version)[0] if row else {}

    async def history(self, village_codes: Collection[str]) -> list[dict[str, Any]]:
        """Every version's non-sensitive answers (no decryption) for the villages, for indicators:
        household id, village, pseudonym, current RT/RW, version, status, saved_at, answers."""
        rows = await self.db.fetchall(
            "SELECT h.id, h.village_code, h.pseudonym, v.answers, v.version, v.status, v.saved_at "
            "FROM households h JOIN household_versions v ON v.household_id = h.id "
            "WHERE h.village_code IN (SELECT value FROM json_each(?)) ORDER BY h.village_code, h.id, v.version",
            (json.dumps(list(village_codes)),),
        )
        return [dict(r) | {"answers": json.loads(r["answers"])} for r in rows]

    def _household(self, row: sqlite3.Row) -> Household:
        answers, location = self._answers(row, row["id"], row["latest_version"])
        return Household(
            id=row["id"],
            village_code=row["village_code"],
            pseudonym=row["pseudonym"],
            status=Status(row["status"]),
            version=row["latest_version"],
            rt=row["rt"],
            rw=row["rw"],
            answers=answers,
            location=location,
            saved_at=from_iso(row["saved_at"]),
            saved_by=row["saved_by"],
        )

    def _answers(
        self, row: sqlite3.Row, household_id: int, version: int
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The answers and position of a version (a row with its answers and identity)."""
        identity = self.cipher.decrypt(row["identity"], identity_place(household_id, version))
        location = identity.pop(LOCATION_KEY, None)
        return {**json.loads(row["answers"]), **identity}, location

    # -- writing --------------------------------------------------------------------------
    async def save(
        self,
        draft: HouseholdDraft,
        user: User,
        answers: dict[str, Any],
        sensitive: Collection[str],
        location: dict[str, Any] | None = None,
        update_id: int | None = None,
    ) -> Saved:
        """A new household (version 1) or a new version of one, in one transaction. When someone
        else saved a version since this draft started, only the fields this draft changed are
        applied on top of theirs. Raises DuplicateKK or AlreadySaved."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await self._not_replayed(conn, update_id)
            current: dict[str, Any]
            old_location: dict[str, Any] | None
            if draft.household_id is None:
                current, version, status, old_location = {}, 0, Status.ACTIVE, None
            else:
                row = await _existing(conn, _CURRENT + " WHERE h.id = ?", (draft.household_id,))
                current, old_location = self._answers(row, draft.household_id, row["latest_version"])
                version, status = row["latest_version"], Status(row["status"])
                if draft.base_version != version:
                    base = await _existing(
                        conn,
                        "SELECT answers, identity FROM household_versions WHERE household_id = ? AND version = ?",
                        (draft.household_id, draft.base_version),
                    )
                    assert draft.base_version is not None  # a draft of a household starts from a version
                    mine = changed_answers(self._answers(base, draft.household_id, draft.base_version)[0], answers)
                    answers = {
                        k: v
                        for k, v in {**current, **{k: n for k, (_, n) in mine.items()}}.items()
                        if v is not None or k in answers
                    }
            kk_hash = self.cipher.lookup_hash(answers[KK_QUESTION])
            other = await _one(
                conn, "SELECT id FROM households WHERE village_code = ? AND kk_hash = ?", (draft.village_code, kk_hash)
            )
            if other is not None and other["id"] != draft.household_id:
                raise DuplicateKK(other["id"])
            changed = sorted(changed_answers(current, answers)) if draft.household_id else []
            if location != old_location and draft.household_id is not None:
                changed.append("lokasi")
            if draft.household_id is None:
                pseudonym = await self._new_pseudonym(conn)
                cursor = await conn.execute(
                    "INSERT INTO households (village_code, pseudonym, kk_hash, rt, rw, latest_version, created_at) "
                    "VALUES (?, ?, ?, ?, ?, 1, ?)",
                    (draft.village_code, pseudonym, kk_hash, answers["rt"], answers["rw"], iso(now)),
                )
                household_id = inserted_id(cursor)
            else:
                household_id = draft.household_id
                pseudonym = (await _existing(conn, "SELECT pseudonym FROM households WHERE id = ?", (household_id,)))[0]
                await conn.execute(
                    "UPDATE households SET kk_hash = ?, rt = ?, rw = ?, latest_version = ? WHERE id = ?",
                    (kk_hash, answers["rt"], answers["rw"], version + 1, household_id),
                )
            await self._insert_version(
                conn, household_id, version + 1, status, answers, sensitive, location, changed, user, update_id
            )
            await conn.execute("DELETE FROM household_drafts WHERE id = ?", (draft.id,))
            await conn.execute("DELETE FROM sessions WHERE telegram_id = ?", (user.telegram_id,))
            await self.audit.record(
                conn,
                "household.update" if version else "household.add",
                actor_id=user.telegram_id,
                actor_role=user.role.value,
                subject=pseudonym,
                village=draft.village_code,
                version=version + 1,
                changed=changed,
            )
        return Saved(household_id, pseudonym, version + 1, changed)

    async def set_status(
        self, household_id: int, status: Status, user: User, update_id: int | None = None
    ) -> Saved | None:
        """Moved, dissolved or active again: a new version with the same answers. None when the
        household already has that status."""
        async with self.db.transaction() as conn:
            await self._not_replayed(conn, update_id)
            row = await _one(
                conn,
                "SELECT h.*, v.answers, v.identity FROM households h JOIN household_versions v "
                "ON v.household_id = h.id AND v.version = h.latest_version WHERE h.id = ?",
                (household_id,),
            )
            if row is None or row["status"] == status.value:
                return None
            version = row["latest_version"] + 1
            await conn.execute(
                "INSERT INTO household_versions (household_id, version, status, answers, identity, changed, saved_at, "
                "saved_by, saved_role, update_id) VALUES (?, ?, ?, ?, ?, '[\"status\"]', ?, ?, ?, ?)",
                (
                    household_id,
                    version,
                    status.value,
                    row["answers"],
                    self.cipher.encrypt(  # bound to its new version: copied as it was, it would not open
                        self.cipher.decrypt(row["identity"], identity_place(household_id, row["latest_version"])),
                        identity_place(household_id, version),
                    ),
                    iso(self.clock.now()),
                    user.telegram_id,
                    user.role.value,
                    update_id,
                ),
            )
            await conn.execute(
                "UPDATE households SET status = ?, latest_version = ? WHERE id = ?",
                (status.value, version, household_id),
            )
            await self.audit.record(
                conn,
                f"household.{status.value}",
                actor_id=user.telegram_id,
                actor_role=user.role.value,
                subject=row["pseudonym"],
                village=row["village_code"],
                version=version,
            )
        return Saved(household_id, row["pseudonym"], version, ["status"])

    async def _insert_version(
        self,
        conn: aiosqlite.Connection,
        household_id: int,
        version: int,
        status: Status,
        answers: dict[str, Any],
        sensitive: Collection[str],
        location: dict[str, Any] | None,
        changed: list[str],
        user: User,
        update_id: int | None,
    ) -> None:
        public = {k: v for k, v in answers.items() if k not in sensitive}
        identity = {k: v for k, v in answers.items() if k in sensitive}
        if location:
            identity[LOCATION_KEY] = location
        await conn.execute(
            "INSERT INTO household_versions (household_id, version, status, answers, identity, changed, saved_at, "
            "saved_by, saved_role, update_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                household_id,
                version,
                status.value,
                json.dumps(public, ensure_ascii=False),
                self.cipher.encrypt(identity, identity_place(household_id, version)),
                json.dumps(changed),
                iso(self.clock.now()),
                user.telegram_id,
                user.role.value,
                update_id,
            ),
        )

    async def _not_replayed(self, conn: aiosqlite.Connection, update_id: int | None) -> None:
        if update_id is not None and await _one(
            conn, "SELECT 1 FROM household_versions WHERE update_id = ?", (update_id,)
        ):
            raise AlreadySaved(update_id)

    @staticmethod
    async def _new_pseudonym(conn: aiosqlite.Connection) -> str:
        while True:
            pseudonym = "RT-" + "".join(secrets.choice(_PSEUDONYM_ALPHABET) for _ in range(6))
            if await _one(conn, "SELECT 1 FROM households WHERE pseudonym = ?", (pseudonym,)) is None:
                return pseudonym

    # -- access and keys ------------------------------------------------------------------
    async def set_full_access(self, telegram_id: int, granted: bool, actor_id: int | None = None) -> bool:
        """Let a coordinator see identities (or take it back); audited. False: not a coordinator."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE users SET full_access = ? WHERE telegram_id = ? AND role = 'koordinator'",
                (int(granted), telegram_id),
            )
            if cursor.rowcount:
                await self.audit.record(
                    conn,
                    "access.grant" if granted else "access.revoke",
                    actor_id=actor_id,
                    actor_role="admin" if actor_id else None,
                    subject=str(telegram_id),
                )
            return bool(cursor.rowcount)


_CURRENT = (
    "SELECT h.id, h.village_code, h.pseudonym, h.status, h.latest_version, h.rt, h.rw, v.answers, "
    "v.identity, v.saved_at, v.saved_by FROM households h JOIN household_versions v "
    "ON v.household_id = h.id AND v.version = h.latest_version"
)


async def _one(conn: aiosqlite.Connection, sql: str, params: Iterable[Any]) -> sqlite3.Row | None:
    return await (await conn.execute(sql, tuple(params))).fetchone()


async def _existing(conn: aiosqlite.Connection, sql: str, params: Iterable[Any]) -> sqlite3.Row:
    """The row that must be there (households and their versions are never deleted)."""
    params = tuple(params)
    row = await _one(conn, sql, params)
    if row is None:
        raise LookupError(f"no row for {sql!r} with {tuple(params)!r}")
    return row
