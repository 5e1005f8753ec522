"""backup and restore from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

from runtime.settings import Settings
from storage import Storage
from storage.backup import BackupProblem, check_backup, make_backup, restore_backup


def add_parsers(commands) -> None:
    backup = commands.add_parser("backup", help="make an online, consistent copy of the database")
    backup.add_argument("directory", nargs="?", type=Path, help="where to put it (default: BACKUP_DIR)")
    backup.set_defaults(handler=backup_command)
    restore = commands.add_parser("restore", help="check a backup, then put it in place (stop the bot first)")
    restore.add_argument("file", type=Path)
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    restore.set_defaults(handler=restore_command)


async def backup_command(args, settings: Settings) -> int:
    directory = args.directory or settings.backup_dir
    storage = await Storage.open(settings.database_path)
    try:
        path = await make_backup(
            storage.db, directory, storage.clock.now(), keep=None if args.directory else settings.backup_keep
        )
        await storage.audit.log("backup", subject=path.name)
    finally:
        await storage.close()
    print(path)
    return 0


async def restore_command(args, settings: Settings) -> int:
    try:
        checked = check_backup(args.file)
    except BackupProblem as problem:
        print(f"lapordesa: {problem}; nothing was changed", file=sys.stderr)
        return 1
    print(
        f"{args.file}: intact, schema {checked.schema_version}, {checked.reports} reports, {checked.users} users",
        file=sys.stderr,
    )
    if not args.yes:
        if not sys.stdin.isatty():
            print("lapordesa: pass --yes to restore without a prompt", file=sys.stderr)
            return 1
        if input(f"Replace {settings.database_path} with it? [y/N] ").strip().lower() not in ("y", "ya", "yes"):
            return 1
    if settings.database_path.exists():  # keep what is replaced, just in case
        storage = await Storage.open(settings.database_path, check=False, migrate=False)
        try:
            safety = await make_backup(storage.db, settings.backup_dir / "before-restore", storage.clock.now())
        finally:
            await storage.close()
        print(f"the current database was saved as {safety}", file=sys.stderr)
    restore_backup(args.file, settings.database_path)
    storage = await Storage.open(settings.database_path)  # applies newer migrations, checks integrity
    try:
        await storage.audit.log("restore", subject=args.file.name)
    finally:
        await storage.close()
    print(f"restored {args.file} to {settings.database_path}", file=sys.stderr)
    return 0
