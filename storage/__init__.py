"""Everything that touches SQLite lives in this package; the rest of the bot sees models."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from domain.clock import Clock, SystemClock
from storage.areas import Areas
from storage.audit import Audit
from storage.crypto import DataCipher, DataKeyError, check_key_strength
from storage.db import (
    Database,
    DatabaseBusy,
    DatabaseError,
    DatabaseFull,
    StorageFault,
    handling_update,
    note_update_failed,
)
from storage.export_jobs import ExportJobs  # exports asked for in the chat, until delivered
from storage.export_rows import ExportRows  # what a workbook export reads
from storage.households import Households
from storage.keys import DataKeys, open_cipher
from storage.meta import Meta
from storage.reminders import Reminders  # reminders: sent-log
from storage.reports import Reports
from storage.reviews import Reviews  # partners: review of reports
from storage.updates import Updates
from storage.users import Users

__all__ = [
    "DataKeyError",
    "Database",
    "DatabaseBusy",
    "DatabaseError",
    "DatabaseFull",
    "Storage",
    "StorageFault",
    "handling_update",
    "note_update_failed",
]


class Storage:
    """The database and its repositories, opened and closed together."""

    def __init__(self, db: Database, clock: Clock, cipher: DataCipher | None = None):
        self.db = db
        self.clock = clock
        self.audit = Audit(db, clock)
        self.areas = Areas(db)
        self.meta = Meta(db)
        self.users = Users(db, clock, self.audit)
        self.reports = Reports(db, clock, self.audit, cipher)
        self.reminders = Reminders(db, clock)  # reminders: sent-log
        self.updates = Updates(db)
        self.households = Households(db, clock, self.audit, cipher)
        self.keys = DataKeys(db, self.audit, cipher, self.reports)
        self.partners = self.users.partners  # partners, programmes, targets
        self.reviews = Reviews(db, clock, self.audit)  # partners: review of reports
        self.export_rows = ExportRows(db)  # workbook export: posyandu and the streams it reads
        self.export_jobs = ExportJobs(db, clock)  # exports asked for in the chat, until delivered

    @property
    def cipher(self) -> DataCipher | None:
        return self.reports.cipher

    def protect(self, sensitive: Iterable[str]) -> None:
        """Store the answers to these questions (ids, unique across forms) only encrypted."""
        self.reports.sensitive = frozenset(sensitive)

    @classmethod
    async def open(
        cls, path: Path | str, clock: Clock | None = None, data_key: str | None = None, **options: bool
    ) -> Storage:  # Database.open's migrate and check
        if data_key:
            check_key_strength(data_key)  # a weak key fails before the database is opened
        db = await Database.open(path, **options)
        try:
            cipher = await open_cipher(db, data_key) if data_key else None
        except BaseException:
            await db.close()
            raise
        return cls(db, clock or SystemClock(), cipher)

    async def close(self) -> None:
        await self.db.close()
