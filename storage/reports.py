"""Drafts (saved answer by answer), guided-conversation sessions, and submitted reports with
every revision kept. A submission is one transaction: either the old state or the new one."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from domain.clock import Clock, from_iso, iso
from domain.formflow import changed_answers
from domain.models import Posyandu, User
from storage.areas import PosyanduNotFound
from storage.audit import Audit
from storage.crypto import DataCipher, DataKeyError, place
from storage.db import Database, inserted_id


@dataclass(frozen=True)
class Draft:
    id: int
    form_id: str
    posyandu_id: int
    period: str
    telegram_id: int
    answers: dict[str, Any]
    confirmed: dict[str, list[str]]  # question id -> soft rules confirmed when it was answered
    updated_at: datetime


@dataclass(frozen=True)
class Session:
    telegram_id: int
    kind: str
    draft_id: int | None
    cursor: str | None
    mode: str
    wrong_tries: int
    pending: dict[str, Any] = field(default_factory=dict)
    nonce: int = 0
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Submitted:
    report_id: int
    revision: int
    submitted_at: datetime
    changes: dict[str, tuple[Any, Any]]
    duplicate: bool = False


@dataclass(frozen=True)
class ReportInfo:
    form_id: str
    posyandu_id: int
    period: str
    revision: int
    first_submitted_at: datetime
    last_submitted_at: datetime


@dataclass(frozen=True)
class SubmittedBy:
    """The revision a given Telegram update created, with its values: enough to send its receipt again."""

    form_id: str
    posyandu_id: int
    period: str
    revision: int
    answers: dict[str, Any]


class AlreadySubmitted(Exception):
    """The same Telegram update tried to submit twice."""


class Reports:
    """Answers to questions in :attr:`sensitive` (the forms' ``sensitive: true`` ones) are stored
    only encrypted, bound to their row and question; so is a session's pending state whenever
    there is a key (it may hold an answer waiting for "yes, correct"). See docs/PRIVACY.md."""

    def __init__(self, db: Database, clock: Clock, audit: Audit, cipher: DataCipher | None = None):
        self.db, self.clock, self.audit, self.cipher = db, clock, audit, cipher
        self.sensitive: frozenset[str] = frozenset()  # question ids (unique across forms)

    # -- values at rest -------------------------------------------------------------------
    def _sealer(self, question_id: str) -> DataCipher:
        if self.cipher is None:
            raise DataKeyError(f"{question_id} is a sensitive question: it is stored encrypted and DATA_KEY is not set")
        return self.cipher

    def _store(self, table: str, row_id: int, question_id: str, value: Any) -> str | bytes | None:
        """What goes into ``table``'s value column: JSON, or for a sensitive answer ciphertext."""
        if value is None:
            return None
        if question_id in self.sensitive:
            return self._sealer(question_id).encrypt(value, place(table, row_id, field=question_id))
        return json.dumps(value, ensure_ascii=False)

    def _load(self, table: str, row_id: int, question_id: str, stored: str | bytes | None) -> Any:
        if stored is None:
            return None
        if isinstance(stored, bytes):
            return self._sealer(question_id).decrypt(stored, place(table, row_id, field=question_id))
        return json.loads(stored)

    def _loaded_pairs(self, json_rows: str) -> dict[str, Any]:
        """The values of ``_LATEST_VALUES``: [question, JSON value, hex ciphertext, revision id]."""
        return {
            question: self._load("report_values", revision_id, question, bytes.fromhex(sealed) if sealed else value)
            for question, value, sealed, revision_id in json.loads(json_rows)
        }

    def _changes(self, report_id: int, revision: int, changes: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
        """A revision's changes as stored: a sensitive question's old and new value encrypted."""
        stored: dict[str, Any] = {}
        for question, pair in changes.items():
            if question in self.sensitive:
                blob = self._sealer(question).encrypt(
                    list(pair), place("report_revisions", report_id, revision, field=question)
                )
                stored[question] = {"sealed": base64.b64encode(blob).decode("ascii")}
            else:
                stored[question] = list(pair)
        return stored

    def _unsealed_changes(self, report_id: int, revision: int, stored: dict[str, Any]) -> dict[str, Any]:
        return {
            question: self._sealer(question).decrypt(
                base64.b64decode(pair["sealed"]), place("report_revisions", report_id, revision, field=question)
            )
            if isinstance(pair, dict)
            else pair
            for question, pair in stored.items()
        }

    # -- drafts ---------------------------------------------------------------------------
    async def open_draft(
        self, form_id: str, posyandu_id: int, period: str, telegram_id: int, prefill: dict[str, Any] | None = None
    ) -> Draft:
        """This person's draft for the report, created (optionally prefilled) when missing."""
        now = iso(self.clock.now())
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO drafts (form_id, posyandu_id, period, telegram_id, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (form_id, posyandu_id, period, telegram_id, now, now),
            )
            if cursor.rowcount and prefill:
                draft_id = inserted_id(cursor)
                await conn.executemany(
                    "INSERT INTO draft_answers (draft_id, question_id, value, answered_at) VALUES (?, ?, ?, ?)",
                    [(draft_id, q, self._store("draft_answers", draft_id, q, v), now) for q, v in prefill.items()],
                )
        draft_id = await self.db.fetchval(
            "SELECT id FROM drafts WHERE form_id = ? AND posyandu_id = ? AND period = ? AND telegram_id = ?",
            (form_id, posyandu_id, period, telegram_id),
        )
        draft = await self.draft(draft_id)
        assert draft is not None  # made or found in the transaction above
        return draft

    async def draft(self, draft_id: int) -> Draft | None:
        row = await self.db.fetchone(  # the draft and its answers in one read: [question, value, rules, sealed]
            f"SELECT d.*, (SELECT json_group_array(json_array(a.question_id, {_JSON_VALUE.format('a.value')}, "
            f"a.confirmed_rules, {_SEALED_VALUE.format('a.value')})) "
            "FROM draft_answers a WHERE a.draft_id = d.id) AS answers FROM drafts d WHERE d.id = ?",
            (draft_id,),
        )
        if row is None:
            return None
        answers = json.loads(row["answers"])
        return Draft(
            id=row["id"],
            form_id=row["form_id"],
            posyandu_id=row["posyandu_id"],
            period=row["period"],
            telegram_id=row["telegram_id"],
            updated_at=from_iso(row["updated_at"]),
            answers={
                question: self._load("draft_answers", draft_id, question, bytes.fromhex(sealed) if sealed else value)
                for question, value, _, sealed in answers
            },
            confirmed={question: json.loads(rules) for question, _, rules, _ in answers if rules != "[]"},
        )

    async def drafts_of(self, telegram_id: int) -> list[Draft]:
        rows = await self.db.fetchall(
            "SELECT id FROM drafts WHERE telegram_id = ? ORDER BY updated_at DESC", (telegram_id,)
        )
        drafts = [await self.draft(r["id"]) for r in rows]
        return [d for d in drafts if d is not None]  # one sent meanwhile is no longer a draft

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
        """Store one answer (None = skipped), drop answers that no longer apply, and move the
        session on, all in one transaction: what the person typed is never lost."""
        now = iso(self.clock.now())
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO draft_answers (draft_id, question_id, value, confirmed_rules, answered_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (draft_id, question_id) DO UPDATE SET value = excluded.value, "
                "confirmed_rules = excluded.confirmed_rules, answered_at = excluded.answered_at",
                (
                    draft_id,
                    question_id,
                    self._store("draft_answers", draft_id, question_id, value),
                    json.dumps(list(confirmed)),
                    now,
                ),
            )
            if removed:
                await conn.executemany(
                    "DELETE FROM draft_answers WHERE draft_id = ? AND question_id = ?", [(draft_id, q) for q in removed]
                )
            if session is not None:  # (the draft's updated_at follows its answers: migration 0007)
                await _write_session(conn, session, now, self.cipher)

    async def discard_draft(self, draft_id: int) -> None:
        await self.db.execute("DELETE FROM drafts WHERE id = ?", (draft_id,))

    # -- sessions -------------------------------------------------------------------------
    async def session(self, telegram_id: int) -> Session | None:
        row = await self.db.fetchone("SELECT * FROM sessions WHERE telegram_id = ?", (telegram_id,))
        if row is None:
            return None
        return Session(
            telegram_id=row["telegram_id"],
            kind=row["kind"],
            draft_id=row["draft_id"],
            cursor=row["cursor"],
            mode=row["mode"],
            wrong_tries=row["wrong_tries"],
            pending=_pending(row["telegram_id"], row["pending"], self.cipher),
            nonce=row["nonce"],
            updated_at=from_iso(row["updated_at"]),
        )

    async def save_session(self, session: Session) -> None:
        async with self.db.transaction() as conn:
            await _write_session(conn, session, iso(self.clock.now()), self.cipher)

    async def end_session(self, telegram_id: int) -> None:
        await self.db.execute("DELETE FROM sessions WHERE telegram_id = ?", (telegram_id,))

    async def busy_people(self, idle: timedelta) -> set[int]:
        """People in the middle of a conversation (active within ``idle``)."""
        since = iso(self.clock.now() - idle)
        rows = await self.db.fetchall("SELECT telegram_id FROM sessions WHERE updated_at > ?", (since,))
        return {r["telegram_id"] for r in rows}

    # -- reports --------------------------------------------------------------------------
    async def submit(
        self, draft: Draft, user: User, village_code: str, answers: dict[str, Any], update_id: int | None = None
    ) -> Submitted:
        """Turn the draft into the period's report or a new revision of it, in one transaction."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if update_id is not None and await _fetchval(
                conn, "SELECT 1 FROM report_revisions WHERE update_id = ?", (update_id,)
            ):
                raise AlreadySubmitted(update_id)
            report = await (
                await conn.execute(
                    "SELECT id, latest_revision FROM reports WHERE form_id = ? AND posyandu_id = ? AND period = ?",
                    (draft.form_id, draft.posyandu_id, draft.period),
                )
            ).fetchone()
            old = await self._values(conn, report["id"], report["latest_revision"]) if report else {}
            if report is None:
                cursor = await conn.execute(
                    "INSERT INTO reports (form_id, posyandu_id, village_code, period, latest_revision, "
                    "first_submitted_at) VALUES (?, ?, ?, ?, 1, ?)",
                    (draft.form_id, draft.posyandu_id, village_code, draft.period, iso(now)),
                )
                assert cursor.lastrowid is not None
                report_id, revision = cursor.lastrowid, 1
            else:
                report_id, revision = report["id"], report["latest_revision"] + 1
                await conn.execute("UPDATE reports SET latest_revision = ? WHERE id = ?", (revision, report_id))
            changes = changed_answers(old, answers)
            cursor = await conn.execute(
                "INSERT INTO report_revisions (report_id, revision, submitted_at, submitted_by, submitted_role, "
                "update_id, changes) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    report_id,
                    revision,
                    iso(now),
                    user.telegram_id,
                    user.role.value,
                    update_id,
                    json.dumps(self._changes(report_id, revision, changes)) if revision > 1 else "{}",
                ),
            )
            revision_id = inserted_id(cursor)
            await conn.executemany(
                "INSERT INTO report_values (revision_id, question_id, value, confirmed_rules) VALUES (?, ?, ?, ?)",
                [
                    (
                        revision_id,
                        q,
                        self._store("report_values", revision_id, q, v),
                        json.dumps(draft.confirmed.get(q, [])),
                    )
                    for q, v in answers.items()
                ],
            )
            await conn.execute("DELETE FROM drafts WHERE id = ?", (draft.id,))
            await conn.execute("DELETE FROM sessions WHERE telegram_id = ?", (user.telegram_id,))
            await self.audit.record(
                conn,
                "report.revise" if revision > 1 else "report.submit",
                actor_id=user.telegram_id,
                actor_role=user.role.value,
                subject=f"{draft.form_id}/{draft.posyandu_id}/{draft.period}",
                revision=revision,
                changed=sorted(changes) if revision > 1 else [],
            )
        return Submitted(report_id, revision, now, changes)

    async def latest(self, form_id: str, posyandu_id: int, period: str) -> dict[str, Any] | None:
        row = await self.db.fetchone(
            f"SELECT {_LATEST_VALUES} AS answers FROM reports r "
            "WHERE r.form_id = ? AND r.posyandu_id = ? AND r.period = ?",
            (form_id, posyandu_id, period),
        )
        return None if row is None else self._loaded_pairs(row["answers"])

    async def posyandu_with_latest(
        self, form_id: str, posyandu_id: int, period: str
    ) -> tuple[Posyandu, dict[str, Any] | None]:
        """The posyandu and the latest values of its report for ``period`` (None: not sent), in
        one read: what a report's questions are shown with (last month's values)."""
        row = await self.db.fetchone(
            f"SELECT p.*, (SELECT {_LATEST_VALUES} FROM reports r WHERE r.form_id = ? AND r.posyandu_id = p.id "
            "AND r.period = ?) AS answers FROM posyandu p WHERE p.id = ?",
            (form_id, period, posyandu_id),
        )
        if row is None:
            raise PosyanduNotFound(posyandu_id)
        place = Posyandu(id=row["id"], village_code=row["village_code"], name=row["name"], active=row["active"])
        return place, None if row["answers"] is None else self._loaded_pairs(row["answers"])

    async def info(self, form_id: str, posyandu_id: int, period: str) -> ReportInfo | None:
        row = await self.db.fetchone(
            "SELECT r.*, v.submitted_at AS last_at FROM reports r JOIN report_revisions v "
            "ON v.report_id = r.id AND v.revision = r.latest_revision "
            "WHERE r.form_id = ? AND r.posyandu_id = ? AND r.period = ?",
            (form_id, posyandu_id, period),
        )
        if row is None:
            return None
        return ReportInfo(
            form_id,
            posyandu_id,
            period,
            row["latest_revision"],
            from_iso(row["first_submitted_at"]),
            from_iso(row["last_at"]),
        )

    async def revisions(self, form_id: str, posyandu_id: int, period: str) -> list[dict[str, Any]]:
        rows = await self.db.fetchall(
            "SELECT v.report_id, v.revision, v.submitted_at, v.submitted_by, v.submitted_role, v.changes "
            "FROM report_revisions v JOIN reports r ON r.id = v.report_id "
            "WHERE r.form_id = ? AND r.posyandu_id = ? AND r.period = ? ORDER BY v.revision",
            (form_id, posyandu_id, period),
        )
        return [
            {k: r[k] for k in ("revision", "submitted_at", "submitted_by", "submitted_role")}
            | {"changes": self._unsealed_changes(r["report_id"], r["revision"], json.loads(r["changes"]))}
            for r in rows
        ]

    async def submitted_by_update(self, update_id: int) -> SubmittedBy | None:
        row = await self.db.fetchone(
            "SELECT r.id, r.form_id, r.posyandu_id, r.period, v.revision FROM report_revisions v "
            "JOIN reports r ON r.id = v.report_id WHERE v.update_id = ?",
            (update_id,),
        )
        if row is None:
            return None
        values = await self.db.fetchall(_VALUES_SQL, (row["id"], row["revision"]))
        return SubmittedBy(
            row["form_id"],
            row["posyandu_id"],
            row["period"],
            row["revision"],
            {
                r["question_id"]: self._load("report_values", r["revision_id"], r["question_id"], r["value"])
                for r in values
            },
        )

    async def submitted_keys(self, period: str) -> set[tuple[str, int]]:
        rows = await self.db.fetchall("SELECT form_id, posyandu_id FROM reports WHERE period = ?", (period,))
        return {(r["form_id"], r["posyandu_id"]) for r in rows}

    # -- locks ----------------------------------------------------------------------------
    async def unlock(self, form_id: str, posyandu_id: int, period: str, by: User, days: int = 7) -> datetime:
        now = self.clock.now()
        until = now + timedelta(days=days)
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO unlocks (form_id, posyandu_id, period, unlocked_by, unlocked_at, until) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET unlocked_by = excluded.unlocked_by, "
                "unlocked_at = excluded.unlocked_at, until = excluded.until",
                (form_id, posyandu_id, period, by.telegram_id, iso(now), iso(until)),
            )
            await self.audit.record(
                conn,
                "report.unlock",
                actor_id=by.telegram_id,
                actor_role=by.role.value,
                subject=f"{form_id}/{posyandu_id}/{period}",
                days=days,
            )
        return until

    async def unlocked(self, form_id: str, posyandu_id: int, period: str) -> bool:
        until = await self.db.fetchval(
            "SELECT until FROM unlocks WHERE form_id = ? AND posyandu_id = ? AND period = ?",
            (form_id, posyandu_id, period),
        )
        return until is not None and from_iso(until) > self.clock.now()

    async def unlocked_periods(self, form_id: str, posyandu_id: int) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT period FROM unlocks WHERE form_id = ? AND posyandu_id = ? AND until > ?",
            (form_id, posyandu_id, iso(self.clock.now())),
        )
        return [r["period"] for r in rows]

    async def _values(self, conn: aiosqlite.Connection, report_id: int, revision: int) -> dict[str, Any]:
        rows = await (await conn.execute(_VALUES_SQL, (report_id, revision))).fetchall()
        return {
            r["question_id"]: self._load("report_values", r["revision_id"], r["question_id"], r["value"]) for r in rows
        }


def _pending(telegram_id: int, stored: str | bytes, cipher: DataCipher | None) -> dict[str, Any]:
    if isinstance(stored, bytes):
        if cipher is None:
            raise DataKeyError("a session's state is stored encrypted and DATA_KEY is not set")
        pending: dict[str, Any] = cipher.decrypt(stored, place("sessions", telegram_id, field="pending"))
        return pending
    loaded: dict[str, Any] = json.loads(stored)
    return loaded


async def _write_session(conn: aiosqlite.Connection, session: Session, now: str, cipher: DataCipher | None) -> None:
    """A session row; with a key its pending state is encrypted (it may hold an answer waiting
    for "yes, correct", say a KK number from another regency)."""
    pending: str | bytes = (
        json.dumps(session.pending)
        if cipher is None
        else cipher.encrypt(session.pending, place("sessions", session.telegram_id, field="pending"))
    )
    await conn.execute(
        "INSERT INTO sessions (telegram_id, kind, draft_id, household_id, cursor, mode, wrong_tries, pending, "
        "nonce, updated_at) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?) ON CONFLICT (telegram_id) DO UPDATE SET "
        "kind = excluded.kind, draft_id = excluded.draft_id, cursor = excluded.cursor, mode = excluded.mode, "
        "wrong_tries = excluded.wrong_tries, pending = excluded.pending, nonce = excluded.nonce, "
        "updated_at = excluded.updated_at",
        (
            session.telegram_id,
            session.kind,
            session.draft_id,
            session.cursor,
            session.mode,
            session.wrong_tries,
            pending,
            session.nonce,
            now,
        ),
    )


# A value column inside SQLite's JSON: the JSON text (NULL for ciphertext, which JSON cannot
# hold) and the ciphertext as hex (NULL for JSON).
_JSON_VALUE = "CASE WHEN typeof({0}) = 'blob' THEN NULL ELSE {0} END"
_SEALED_VALUE = "CASE WHEN typeof({0}) = 'blob' THEN hex({0}) END"
# The latest revision's values of report ``r``: a JSON array of [question, value, sealed, revision id].
_LATEST_VALUES = (
    f"(SELECT json_group_array(json_array(rv.question_id, {_JSON_VALUE.format('rv.value')}, "
    f"{_SEALED_VALUE.format('rv.value')}, rv.revision_id)) FROM report_values rv "
    "JOIN report_revisions v ON v.id = rv.revision_id "
    "WHERE v.report_id = r.id AND v.revision = r.latest_revision)"
)
_VALUES_SQL = (
    "SELECT revision_id, question_id, value FROM report_values WHERE revision_id = "
    "(SELECT id FROM report_revisions WHERE report_id = ? AND revision = ?)"
)


async def _fetchval(conn: aiosqlite.Connection, sql: str, params: tuple[Any, ...]) -> Any:
    row = await (await conn.execute(sql, params)).fetchone()
    return None if row is None else row[0]
