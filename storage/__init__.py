"""Everything that touches SQLite lives in this package; the rest of the bot sees models."""
from __future__ import annotations

from pathlib import Path

from domain.clock import Clock, SystemClock
from storage.areas import Areas
from storage.audit import Audit
from storage.db import Database, DatabaseError
from storage.meta import Meta
from storage.reminders import Reminders  # reminders: sent-log
from storage.reports import Reports
from storage.reviews import Reviews  # partners: review of reports
from storage.users import Users

__all__ = ["Storage", "Database", "DatabaseError"]


class Storage:
    """The database and its repositories, opened and closed together."""

    def __init__(self, db: Database, clock: Clock):
        self.db = db
        self.clock = clock
        self.audit = Audit(db, clock)
        self.areas = Areas(db)
        self.meta = Meta(db)
        self.users = Users(db, clock, self.audit)
        self.reports = Reports(db, clock, self.audit)
        self.reminders = Reminders(db, clock)  # reminders: sent-log
        self.partners = self.users.partners  # partners, programmes, targets
        self.reviews = Reviews(db, clock, self.audit)  # partners: review of reports

    @classmethod
    async def open(cls, path: Path | str, clock: Clock | None = None, **options) -> Storage:
        return cls(await Database.open(path, **options), clock or SystemClock())

    async def close(self) -> None:
        await self.db.close()
