"""Online backups (VACUUM INTO, consistent while the bot writes) and checked restores."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from storage.db import Database, available_migrations

PREFIX = "lapordesa-"
SUFFIX = ".sqlite3"
REQUIRED_TABLES = {"villages", "posyandu", "users", "reports", "report_values", "audit_log"}


class BackupProblem(Exception):
    """A backup file that must not be restored, with the reason."""


@dataclass(frozen=True)
class BackupCheck:
    path: Path
    schema_version: int
    reports: int
    users: int


def backup_name(moment: datetime) -> str:
    return f"{PREFIX}{moment.strftime('%Y%m%d-%H%M%S')}{SUFFIX}"


async def make_backup(db: Database, directory: Path, moment: datetime, keep: int | None = None) -> Path:
    """Copy the live database into ``directory`` and drop the oldest backups beyond ``keep``."""
    target = directory / backup_name(moment)
    if target.exists():
        target.unlink()
    await db.backup_to(target)
    check_backup(target)
    if keep is not None:
        prune_backups(directory, keep)
    return target


def list_backups(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"{PREFIX}*{SUFFIX}"))


def prune_backups(directory: Path, keep: int) -> list[Path]:
    backups = list_backups(directory)
    removed = backups[:-keep] if keep > 0 else backups
    for path in removed:
        path.unlink()
    return removed


def check_backup(path: Path) -> BackupCheck:
    """Open read-only and check: a SQLite file, intact, a Lapor Desa schema we can run."""
    if not path.is_file():
        raise BackupProblem(f"{path} does not exist")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupProblem(f"{path} is damaged (integrity check failed)")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            missing = REQUIRED_TABLES - tables
            if missing:
                raise BackupProblem(f"{path} is not a Lapor Desa database (no {', '.join(sorted(missing))})")
            if version > max(available_migrations()):
                raise BackupProblem(f"{path} comes from a newer Lapor Desa (schema {version})")
            reports = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
            users = conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupProblem(f"{path} is not a usable SQLite database ({exc})") from None
    return BackupCheck(path, version, reports, users)


def restore_backup(source: Path, database: Path) -> BackupCheck:
    """Check ``source``, then copy it over ``database`` with SQLite's backup API (which also
    replaces what sits in the WAL). Stop the bot first."""
    checked = check_backup(source)
    database.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(database)
    try:
        src.backup(dst)
        dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        dst.close()
        src.close()
    return checked
