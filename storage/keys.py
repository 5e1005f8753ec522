"""DATA_KEY and the data it encrypts: the key's derivation parameters and fingerprint in
``meta``, the check at start (which also brings older data up to date), and rotation.

Encrypted columns (each value bound to its table, row and field, see storage/crypto.py):
``household_versions.identity``, ``household_draft_answers.value``, the sensitive answers in
``draft_answers.value`` and ``report_values.value``, their old and new values in
``report_revisions.changes``, and ``sessions.pending``.
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from domain.households import KK_QUESTION
from storage.audit import Audit
from storage.crypto import (
    FINGERPRINT_PREFIX,
    FORMAT,
    LEGACY_FORMAT,
    DataCipher,
    DataKeyError,
    KdfParams,
    describe,
    place,
)
from storage.db import Database
from storage.reports import Reports

FINGERPRINT_KEY = "data_key_fingerprint"
KDF_KEY = "data_key_kdf"


async def open_cipher(db: Database, secret: str) -> DataCipher:
    """The cipher for ``secret`` in this database: its key derivation (a random salt and the
    cost, made on first use) is read from ``meta``; the first key used on a database without
    encrypted data is remembered by its fingerprint. The scrypt runs in a worker thread."""
    stored = await db.fetchval("SELECT value FROM meta WHERE key = ?", (KDF_KEY,))
    if stored is None:
        await db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            (KDF_KEY, KdfParams.fresh().text()),
        )
        stored = await db.fetchval("SELECT value FROM meta WHERE key = ?", (KDF_KEY,))
    cipher = await asyncio.to_thread(DataCipher, secret, KdfParams.parse(stored))
    await db.execute(  # on a database that holds nothing encrypted yet (else DataKeys.check does it)
        "INSERT INTO meta (key, value) SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM household_versions) "
        "AND NOT EXISTS (SELECT 1 FROM household_draft_answers) ON CONFLICT (key) DO NOTHING",
        (FINGERPRINT_KEY, cipher.fingerprint),
    )
    return cipher


@dataclass(frozen=True)
class _Column:
    """An encrypted column: the columns that name its row (in the order of the associated
    data), the field (a fixed name, or the question id column), and the table name format 1
    used as associated data (None: never encrypted in format 1)."""

    table: str
    row: tuple[str, ...]
    column: str
    field: str | None  # None: the field is the row's question_id
    legacy: bytes | None
    sensitive_only: bool = False  # clear values are encrypted only for sensitive questions

    def where(self, row: aiosqlite.Row) -> bytes:
        field = self.field if self.field is not None else row["question_id"]
        return place(self.table, *(row[c] for c in self.row), field=field)


_COLUMNS = (
    _Column("household_versions", ("household_id", "version"), "identity", "identity", b"household_versions"),
    _Column("household_draft_answers", ("draft_id",), "value", None, b"household_draft_answers"),
    _Column("draft_answers", ("draft_id",), "value", None, None, sensitive_only=True),
    _Column("report_values", ("revision_id",), "value", None, None, sensitive_only=True),
    _Column("sessions", ("telegram_id",), "pending", "pending", None),
)


@dataclass
class Resealed:
    """What one pass changed, by table (the audit entry's details)."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class DataKeys:
    def __init__(self, db: Database, audit: Audit, cipher: DataCipher | None, reports: Reports):
        self.db, self.audit, self._cipher, self._reports = db, audit, cipher, reports

    @property
    def _sensitive(self) -> frozenset[str]:
        """The sensitive questions of the forms (known once the forms are loaded)."""
        return self._reports.sensitive

    @property
    def cipher(self) -> DataCipher:
        if self._cipher is None:
            raise DataKeyError("DATA_KEY is not set")
        return self._cipher

    async def fingerprint(self) -> str | None:
        value: str | None = await self.db.fetchval("SELECT value FROM meta WHERE key = ?", (FINGERPRINT_KEY,))
        return value

    async def check(self) -> Resealed:
        """At start: refuse a key that differs from the one the data was stored with, then
        bring older data up to date in one transaction: format-1 ciphertexts re-encrypted with
        their row and field bound (and the KK hashes recomputed), sensitive answers and session
        states still in clear encrypted, the fingerprint made slow. Audited when it changed
        anything."""
        cipher = self.cipher
        stored = await self.fingerprint()
        if stored is not None and stored not in (cipher.fingerprint, cipher.legacy().fingerprint):
            raise DataKeyError(
                "DATA_KEY differs from the key the data was stored with; see docs/PRIVACY.md (rotating the key)"
            )
        async with self.db.transaction() as conn:
            resealed = await self._reseal(conn, cipher, cipher, everything=False)
            if stored != cipher.fingerprint:
                await _set_meta(conn, FINGERPRINT_KEY, cipher.fingerprint)
                resealed.counts["fingerprint"] = 1
            if resealed.total:
                await self.audit.record(conn, "data.upgrade", subject="DATA_KEY", tables=resealed.counts)
        return resealed

    async def rekey(self, old_secret: str) -> Resealed:
        """Re-encrypt everything encrypted with the key ``old_secret`` with this storage's key,
        recompute the KK hashes and record the new fingerprint, in one transaction: all or
        nothing (with a wrong old key nothing changes). Data of either format is read."""
        new = self.cipher
        old = await asyncio.to_thread(DataCipher, old_secret, new.params)
        stored = await self.fingerprint()
        if stored is not None and stored not in (old.fingerprint, old.legacy().fingerprint, new.fingerprint):
            raise DataKeyError("the old key does not open the stored data")
        async with self.db.transaction() as conn:
            resealed = await self._reseal(conn, old, new, everything=True)
            await _set_meta(conn, FINGERPRINT_KEY, new.fingerprint)
            await self.audit.record(conn, "data.rekey", subject="DATA_KEY", tables=resealed.counts)
        return resealed

    async def _reseal(
        self, conn: aiosqlite.Connection, old: DataCipher, new: DataCipher, *, everything: bool
    ) -> Resealed:
        """Re-encrypt with ``new``: every ciphertext (``everything``) or only format-1 ones;
        and encrypt what is in clear and should not be."""
        sensitive = json.dumps(sorted(self._sensitive))
        counts: dict[str, int] = {}
        legacy = old.legacy()
        for spec in _COLUMNS:
            value = spec.column
            sealed = f"typeof({value}) = 'blob'" + ("" if everything else f" AND substr({value}, 1, 1) = x'01'")
            clear = f"typeof({value}) = 'text'"
            if spec.sensitive_only:
                clear += " AND question_id IN (SELECT value FROM json_each(?))"
            keys = (*spec.row, "question_id") if spec.field is None else spec.row
            rows = await (
                await conn.execute(
                    f"SELECT {', '.join(keys)}, {value} AS stored FROM {spec.table} WHERE ({sealed}) OR ({clear})",
                    (sensitive,) if spec.sensitive_only else (),
                )
            ).fetchall()
            updates = []
            for row in rows:
                where = spec.where(row)
                plain = _opened(row["stored"], where, old, legacy, spec.legacy)
                updates.append((new.encrypt(plain, where), *(row[k] for k in keys)))
            if updates:
                match = " AND ".join(f"{k} = ?" for k in keys)
                await conn.executemany(f"UPDATE {spec.table} SET {value} = ? WHERE {match}", updates)
                counts[spec.table] = len(updates)
        if changed := await self._reseal_changes(conn, old, new, everything=everything):
            counts["report_revisions"] = changed
        if everything or counts.get("household_versions"):
            counts["households"] = await _rehash(conn, new)
        return Resealed(counts)

    async def _reseal_changes(
        self, conn: aiosqlite.Connection, old: DataCipher, new: DataCipher, *, everything: bool
    ) -> int:
        """A revision's changes: a sensitive question's [old, new] pair is kept encrypted."""
        rows = await (
            await conn.execute("SELECT id, report_id, revision, changes FROM report_revisions WHERE changes != '{}'")
        ).fetchall()
        updates = []
        for row in rows:
            changes: dict[str, Any] = json.loads(row["changes"])
            touched = False
            for question, pair in changes.items():
                where = place("report_revisions", row["report_id"], row["revision"], field=question)
                if isinstance(pair, dict) and everything:
                    plain = old.decrypt(base64.b64decode(pair["sealed"]), where)
                elif isinstance(pair, list) and question in self._sensitive:
                    plain = pair
                else:
                    continue
                changes[question] = {"sealed": base64.b64encode(new.encrypt(plain, where)).decode("ascii")}
                touched = True
            if touched:
                updates.append((json.dumps(changes), row["id"]))
        await conn.executemany("UPDATE report_revisions SET changes = ? WHERE id = ?", updates)
        return len(updates)


def _opened(stored: str | bytes, where: bytes, old: DataCipher, legacy: Any, legacy_table: bytes | None) -> Any:
    if isinstance(stored, str):
        return json.loads(stored)
    if stored[:1] == LEGACY_FORMAT and legacy_table is not None:
        return legacy.decrypt(stored, legacy_table)
    if stored[:1] == FORMAT:
        return old.decrypt(stored, where)
    raise DataKeyError(f"{describe(where)}: encrypted data in an unknown format")


async def _rehash(conn: aiosqlite.Connection, cipher: DataCipher) -> int:
    """Every household's KK hash from its current version, with ``cipher``'s lookup key."""
    rows = list(
        await (
            await conn.execute(
                "SELECT h.id, v.version, v.identity FROM households h JOIN household_versions v "
                "ON v.household_id = h.id AND v.version = h.latest_version"
            )
        ).fetchall()
    )
    await conn.executemany(
        "UPDATE households SET kk_hash = ? WHERE id = ?",
        [
            (
                cipher.lookup_hash(
                    cipher.decrypt(r["identity"], place("household_versions", r["id"], r["version"], field="identity"))[
                        KK_QUESTION
                    ]
                ),
                r["id"],
            )
            for r in rows
        ],
    )
    return len(rows)


async def _set_meta(conn: aiosqlite.Connection, key: str, value: str) -> None:
    await conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def is_current(fingerprint: str | None) -> bool:
    """A fingerprint made by this version (slow: scrypt), not by an older one."""
    return fingerprint is not None and fingerprint.startswith(FINGERPRINT_PREFIX)
