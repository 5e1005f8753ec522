"""backup and restore from the command line."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from domain.clock import SystemClock
from runtime.settings import Settings
from storage import DatabaseFull, Storage, StorageFault
from storage.backup import BackupProblem, backup_name, check_backup, make_backup, restore_backup
from storage.files import move_aside, put_back
from storage.lock import exclusive

EXIT_USAGE = 2


def add_parsers(commands) -> None:
    backup = commands.add_parser("backup", help="make an online, consistent copy of the database")
    backup.add_argument("directory", nargs="?", type=Path, help="where to put it (default: BACKUP_DIR)")
    backup.set_defaults(handler=backup_command)
    restore = commands.add_parser("restore", help="check a backup, then put it in place (stop the bot first)")
    restore.add_argument("file", type=Path)
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    restore.set_defaults(handler=restore_command)


def _why(exc: BaseException) -> str:
    if isinstance(exc, DatabaseFull) or getattr(exc, "errno", None) == 28:  # ENOSPC
        return "the disk is full"
    return f"{type(exc).__name__}: {exc}"


async def backup_command(args, settings: Settings) -> int:
    directory = args.directory or settings.backup_dir
    storage = await Storage.open(settings.database_path)
    try:
        try:
            path = await make_backup(
                storage.db, directory, storage.clock.now(), keep=None if args.directory else settings.backup_keep
            )
        except (OSError, sqlite3.Error, StorageFault, BackupProblem) as exc:
            print(f"lapordesa: the backup into {directory} failed ({_why(exc)}); nothing was written", file=sys.stderr)
            return 1
        await storage.audit.log("backup", subject=path.name)
    finally:
        await storage.close()
    print(path)
    return 0


async def restore_command(args, settings: Settings) -> int:
    database = settings.database_path
    try:
        checked = check_backup(args.file)
    except BackupProblem as problem:
        print(f"lapordesa: {problem}; nothing was changed", file=sys.stderr)
        return 1
    if args.file.resolve() == database.resolve():
        print(f"lapordesa: {args.file} is the database itself; nothing was changed", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"{args.file}: intact, schema {checked.schema_version}, {checked.reports} reports, {checked.users} users",
        file=sys.stderr,
    )
    # Held from here to the end: no bot starts on the database while it is being replaced, and
    # a bot that runs makes this stop before anything is touched (DatabaseInUse, app/cli.py).
    with exclusive(database):
        if not args.yes:
            if not sys.stdin.isatty():
                print("lapordesa: pass --yes to restore without a prompt", file=sys.stderr)
                return 1
            if input(f"Replace {database} with it? [y/N] ").strip().lower() not in ("y", "ya", "yes"):
                return 1
        # What is replaced is kept as it is, moved aside as plain files (with its -wal/-shm):
        # never opened as SQLite, since it may be damaged past opening.
        aside = move_aside(database, settings.backup_dir / "before-restore", backup_name(SystemClock().now()))
        if aside:
            print(f"the current database was moved aside to {aside[0]}", file=sys.stderr)
        try:
            restore_backup(args.file, database)
        except BaseException as exc:
            put_back(aside, database)
            if isinstance(exc, (OSError, sqlite3.Error)):
                print(f"lapordesa: the restore failed ({_why(exc)}); the database was put back", file=sys.stderr)
                return 1
            raise
        storage = await Storage.open(database)  # applies newer migrations, checks integrity
        try:
            await storage.audit.log("restore", subject=args.file.name)
        finally:
            await storage.close()
    print(f"restored {args.file} to {database}", file=sys.stderr)
    return 0
