"""The reminder sent-log (idempotency across restarts, repeated rounds and processes) and the
bulk reads a reminder round needs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.clock import Clock, from_iso, iso
from domain.models import Posyandu, ScopeEntry, User
from domain.roles import Role
from storage.audit import Audit
from storage.db import Database
from storage.partners import Partners  # partners: programme scopes

# A key claimed but neither sent nor failed this long ago belongs to a round that died: retry it.
STALE_CLAIM = timedelta(minutes=5)
# Keys older than this cannot be due any more (periods lock within ~6 weeks); not loaded.
HORIZON = timedelta(days=70)


@dataclass(frozen=True)
class LogEntry:
    key: str
    kind: str
    telegram_id: int
    state: str
    claimed_at: datetime
    attempts: int
    finished_at: datetime | None
    error: str | None


class Reminders:
    def __init__(self, db: Database, clock: Clock):
        self.db, self.clock = db, clock

    # -- the sent-log ---------------------------------------------------------------------
    async def done_keys(self, stale: timedelta = STALE_CLAIM) -> set[str]:
        """Keys that must not be sent (again) now: sent, failed for good, or claimed recently."""
        now = self.clock.now()
        rows = await self.db.fetchall(
            "SELECT key FROM reminder_log WHERE claimed_at > ? AND (state IN ('sent', 'failed') "
            "OR (state = 'claimed' AND claimed_at > ?))",
            (iso(now - HORIZON), iso(now - stale)),
        )
        return {r["key"] for r in rows}

    async def claim(
        self, keys: Iterable[str], telegram_id: int, kind: str, owner: str, stale: timedelta = STALE_CLAIM
    ) -> list[str]:
        """Claim the keys before sending, in one transaction; returns those this caller got.
        A key is free when new, marked for retry, or claimed by a round that died."""
        now = self.clock.now()
        got = []
        async with self.db.transaction() as conn:
            for key in keys:
                cursor = await conn.execute(
                    "INSERT INTO reminder_log (key, kind, telegram_id, state, claimed_at, claimed_by) "
                    "VALUES (?, ?, ?, 'claimed', ?, ?) ON CONFLICT (key) DO NOTHING",
                    (key, kind, telegram_id, iso(now), owner),
                )
                if not cursor.rowcount:
                    cursor = await conn.execute(
                        "UPDATE reminder_log SET state = 'claimed', claimed_at = ?, claimed_by = ?, "
                        "attempts = attempts + 1, error = NULL WHERE key = ? AND (state = 'retry' "
                        "OR (state = 'claimed' AND claimed_at <= ?))",
                        (iso(now), owner, key, iso(now - stale)),
                    )
                if cursor.rowcount:
                    got.append(key)
        return got

    async def prune(self, keep: timedelta = timedelta(days=120)) -> int:
        """Forget finished entries older than any period still open to reminders (a report locks
        within two months), so each round's look-up stays small. Returns how many."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM reminder_log WHERE state != 'claimed' AND claimed_at < ?", (iso(self.clock.now() - keep),)
            )
            return cursor.rowcount

    async def mark_sent(self, keys: Iterable[str], owner: str, message_id: int | None = None) -> None:
        await self._finish(keys, owner, "sent", message_id=message_id)

    async def mark_failed(self, keys: Iterable[str], owner: str, error: str) -> None:
        """Failed for good (blocked by the person, chat gone): never retried."""
        await self._finish(keys, owner, "failed", error=error)

    async def release(self, keys: Iterable[str], owner: str, error: str) -> None:
        """Not sent this time (flood limit, network): the next round tries again."""
        await self._finish(keys, owner, "retry", error=error)

    async def _finish(
        self, keys: Iterable[str], owner: str, state: str, *, message_id: int | None = None, error: str | None = None
    ) -> None:
        now = iso(self.clock.now())
        async with self.db.transaction() as conn:
            await conn.executemany(
                "UPDATE reminder_log SET state = ?, finished_at = ?, message_id = ?, error = ? "
                "WHERE key = ? AND claimed_by = ? AND state = 'claimed'",
                [(state, now, message_id, (error or "")[:200] or None, key, owner) for key in keys],
            )

    async def entries(self, prefix: str = "") -> list[LogEntry]:
        rows = await self.db.fetchall(
            "SELECT * FROM reminder_log WHERE key LIKE ? ESCAPE '\\' ORDER BY key",
            (prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",),
        )
        return [
            LogEntry(
                r["key"],
                r["kind"],
                r["telegram_id"],
                r["state"],
                from_iso(r["claimed_at"]),
                r["attempts"],
                from_iso(r["finished_at"]) if r["finished_at"] else None,
                r["error"],
            )
            for r in rows
        ]

    # -- bulk reads for a round -----------------------------------------------------------
    async def people(self) -> list[User]:
        """Every active person with scopes, in two queries (a round needs them all)."""
        rows = await self.db.fetchall(
            "SELECT u.*, l.language FROM users u LEFT JOIN languages l ON l.telegram_id = u.telegram_id "
            "WHERE u.active = 1 ORDER BY u.telegram_id"
        )
        scopes: dict[int, list[ScopeEntry]] = {}
        for s in await self.db.fetchall(
            "SELECT s.telegram_id, s.area_code, s.posyandu_id FROM user_scopes s JOIN users u "
            "ON u.telegram_id = s.telegram_id WHERE u.active = 1 ORDER BY s.area_code, s.posyandu_id"
        ):
            scopes.setdefault(s["telegram_id"], []).append(
                ScopeEntry(area_code=s["area_code"], posyandu_id=s["posyandu_id"])
            )
        partners = Partners(self.db, Audit(self.db, self.clock))  # partners: read only, nothing audited
        for telegram_id, villages in (await partners.programme_villages()).items():  # partners
            scopes.setdefault(telegram_id, []).extend(ScopeEntry(area_code=v) for v in villages)  # partners
        return [
            User(
                telegram_id=r["telegram_id"],
                name=r["name"],
                role=Role(r["role"]),
                language=r["language"] or "id",
                active=True,
                reachable=bool(r["reachable"]),
                full_access=bool(r["full_access"]),
                scope=tuple(scopes.get(r["telegram_id"], ())),
            )
            for r in rows
        ]

    async def posyandu(self) -> list[Posyandu]:
        rows = await self.db.fetchall("SELECT * FROM posyandu WHERE active = 1 ORDER BY village_code, name")
        return [Posyandu(**dict(r)) for r in rows]

    async def submissions(self, periods: Iterable[str]) -> dict[tuple[str, int, str], datetime]:
        """(form, posyandu, period) -> when it was first submitted, for the given periods."""
        periods = sorted(set(periods))
        if not periods:
            return {}
        rows = await self.db.fetchall(
            f"SELECT form_id, posyandu_id, period, first_submitted_at FROM reports "
            f"WHERE period IN ({', '.join('?' * len(periods))})",
            periods,
        )
        return {(r["form_id"], r["posyandu_id"], r["period"]): from_iso(r["first_submitted_at"]) for r in rows}
