"""Online backups (VACUUM INTO, consistent while the bot writes) and checked restores."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from storage.db import Database, available_migrations
from storage.files import new_private_file, private_dir, with_companions

PREFIX = "lapordesa-"
SUFFIX = ".sqlite3"
# A backup is written under this suffix and renamed when it is complete and checked: a backup
# that failed half-way (a full disk) leaves nothing that looks like a backup.
PARTIAL = ".partial"
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
    """Copy the live database into ``directory`` (a 0600 file; the folder made 0700) and drop
    the oldest backups beyond ``keep``. The copy is written under a temporary name and renamed
    once it is checked; when anything fails (a full disk), the partial copy is removed, the
    newest backup stays what it was, and nothing is pruned."""
    private_dir(directory)
    target = directory / backup_name(moment)
    partial = target.with_name(target.name + PARTIAL)
    partial.unlink(missing_ok=True)  # left by a process killed while writing it
    try:
        new_private_file(partial)  # VACUUM INTO writes into an empty file and keeps its mode
        await db.backup_to(partial)
        check_backup(partial)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if keep is not None:
        prune_backups(directory, keep)
    return target


def list_backups(directory: Path) -> list[Path]:
    """The backups in ``directory``, oldest first. An empty file (what a failed backup of an
    earlier version left) is no backup: it neither counts as the newest nor takes a place."""
    return sorted(path for path in directory.glob(f"{PREFIX}*{SUFFIX}") if _size(path) > 0)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:  # removed meanwhile (pruned by another process)
        return 0


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
    """Check ``source``, then put a copy of it where ``database`` was. The database and its
    -wal/-shm must have been moved aside first (``storage.files.move_aside``: a stale WAL beside
    the copy would be read into it). The copy is made under a temporary name with SQLite's
    backup API and renamed into place when complete. Stop the bot first."""
    checked = check_backup(source)
    if present := with_companions(database):
        raise BackupProblem(f"{present[0]} is still in place; move it aside first")
    private_dir(database.parent)
    partial = database.with_name(database.name + PARTIAL)
    for leftover in [partial, *with_companions(partial)]:
        leftover.unlink(missing_ok=True)
    try:
        new_private_file(partial)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(partial, database)
    except BaseException:
        for leftover in [partial, *with_companions(partial)]:
            leftover.unlink(missing_ok=True)
        raise
    return checked
