"""The reminder sent-log (idempotency across restarts, repeated rounds and processes) and the
bulk reads a reminder round needs.

Telegram takes no idempotency key, so a send whose outcome is not known may have arrived: one
that timed out (state 'unknown') and a claim left by a round that died (state 'claimed', older
than STALE_CLAIM). ``doubtful`` counts such attempts of a key. A key is claimed again only while
that keeps at most one extra copy possible: once after a doubtful attempt (an unknown one after
UNKNOWN_WAIT), and never after two; a key that was surely not sent ('retry') any number of times."""

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

# A key claimed but neither sent nor failed this long ago belongs to a round that died: retry it
# (once: that round may have sent it).
STALE_CLAIM = timedelta(minutes=5)
# A send that timed out may have arrived: it is tried once more, but not before this (the next
# rounds, every 15 minutes, leave it alone; Telegram may still be slow).
UNKNOWN_WAIT = timedelta(hours=1)
# Doubtful attempts (timed out, or cut off by a crash) after which a key is never sent again.
MAX_DOUBTFUL = 2
# Keys older than this cannot be due any more (periods lock within ~6 weeks); not loaded.
HORIZON = timedelta(days=70)


# When a key in the log may be claimed (again); parameters: the stale-claim and the unknown-wait
# limits. Each branch keeps at most one extra copy possible (MAX_DOUBTFUL doubtful attempts).
_FREE = (
    f"(state = 'retry' AND doubtful < {MAX_DOUBTFUL}) "
    f"OR (state = 'claimed' AND claimed_at <= ? AND doubtful + 1 < {MAX_DOUBTFUL}) "
    f"OR (state = 'unknown' AND finished_at <= ? AND doubtful < {MAX_DOUBTFUL})"
)


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
    doubtful: int = 0  # attempts whose outcome is unknown (timed out, or cut off by a crash)


class Reminders:
    def __init__(self, db: Database, clock: Clock):
        self.db, self.clock = db, clock

    # -- the sent-log ---------------------------------------------------------------------
    async def done_keys(self, stale: timedelta = STALE_CLAIM, wait: timedelta = UNKNOWN_WAIT) -> set[str]:
        """Keys that must not be sent (again) now: sent, failed for good, claimed recently (or
        given up after a crash), or unknown within the wait (or given up)."""
        now = self.clock.now()
        rows = await self.db.fetchall(
            "SELECT key FROM reminder_log WHERE claimed_at > ? AND NOT (" + _FREE + ")",
            (iso(now - HORIZON), iso(now - stale), iso(now - wait)),
        )
        return {r["key"] for r in rows}

    async def claim(
        self,
        keys: Iterable[str],
        telegram_id: int,
        kind: str,
        owner: str,
        stale: timedelta = STALE_CLAIM,
        wait: timedelta = UNKNOWN_WAIT,
    ) -> list[str]:
        """Claim the keys before sending, in one transaction; returns those this caller got.
        A key is free when new, surely not sent ('retry'), claimed by a round that died or
        unknown after the wait (each once: see the module's doc)."""
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
                        "UPDATE reminder_log SET doubtful = doubtful + (state = 'claimed'), state = 'claimed', "
                        "claimed_at = ?, claimed_by = ?, attempts = attempts + 1, error = NULL "
                        "WHERE key = ? AND (" + _FREE + ")",
                        (iso(now), owner, key, iso(now - stale), iso(now - wait)),
                    )
                if cursor.rowcount:
                    got.append(key)
        return got

    async def prune(self, keep: timedelta = timedelta(days=120)) -> int:
        """Forget finished entries older than any period still open to reminders (a report locks
        within two months), so each round's look-up stays small. Returns how many."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(  # a claim that old was given up long ago
                "DELETE FROM reminder_log WHERE claimed_at < ?", (iso(self.clock.now() - keep),)
            )
            return cursor.rowcount

    async def mark_sent(self, keys: Iterable[str], owner: str, message_id: int | None = None) -> None:
        await self._finish(keys, owner, "sent", message_id=message_id)

    async def mark_failed(self, keys: Iterable[str], owner: str, error: str) -> None:
        """Failed for good (blocked by the person, chat gone): never retried."""
        await self._finish(keys, owner, "failed", error=error)

    async def release(self, keys: Iterable[str], owner: str, error: str) -> None:
        """Surely not sent this time (flood limit, no connection, an error answer): the next
        round tries again."""
        await self._finish(keys, owner, "retry", error=error)

    async def mark_unknown(self, keys: Iterable[str], owner: str, error: str) -> None:
        """Sent, but Telegram did not answer in time: it may have arrived. Tried once more after
        UNKNOWN_WAIT, unless this was already the second doubtful attempt."""
        await self._finish(keys, owner, "unknown", error=error, doubtful=1)

    async def _finish(
        self,
        keys: Iterable[str],
        owner: str,
        state: str,
        *,
        message_id: int | None = None,
        error: str | None = None,
        doubtful: int = 0,
    ) -> None:
        now = iso(self.clock.now())
        async with self.db.transaction() as conn:
            await conn.executemany(
                "UPDATE reminder_log SET state = ?, finished_at = ?, message_id = ?, error = ?, "
                "doubtful = doubtful + ? WHERE key = ? AND claimed_by = ? AND state = 'claimed'",
                [(state, now, message_id, (error or "")[:200] or None, doubtful, key, owner) for key in keys],
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
                r["doubtful"],
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
