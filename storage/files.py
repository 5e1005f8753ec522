"""The files the bot keeps hold personal data: each is created 0600 (owner only) in folders
created 0700, whatever the umask. Existing files and folders keep the mode they have."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
# What SQLite keeps beside a database: they belong to it and go wherever it goes.
COMPANIONS = ("-wal", "-shm", "-journal")


def private_dir(path: Path) -> Path:
    """``path`` as a folder; each missing folder on the way is created 0700."""
    missing: list[Path] = []
    folder = path
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:  # made by another process meanwhile
            continue
        os.chmod(folder, PRIVATE_DIR)  # mkdir's mode is masked by the umask
    return path


def new_private_file(path: Path) -> Path:
    """An empty file, 0600, that did not exist before (FileExistsError otherwise)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)  # os.open's mode is masked by the umask
    finally:
        os.close(fd)
    return path


def make_private(path: Path) -> Path:
    os.chmod(path, PRIVATE_FILE)
    return path


def with_companions(database: Path) -> list[Path]:
    """The database file and what SQLite keeps beside it, those that exist."""
    paths = [database, *(database.with_name(database.name + suffix) for suffix in COMPANIONS)]
    return [path for path in paths if path.exists()]


def move_aside(database: Path, folder: Path, name: str) -> list[Path]:
    """Move the database file and its -wal/-shm/-journal into ``folder`` as plain files (never
    opened as SQLite: a damaged file may not open), named ``name`` plus the same suffixes, so
    that the moved database opens with its own WAL. A name already taken gets a number."""
    present = with_companions(database)
    if not present:
        return []
    private_dir(folder)
    stem, dot, ext = name.rpartition(".")
    candidate, number = name, 1
    while any((folder / (candidate + path.name.removeprefix(database.name))).exists() for path in present):
        number += 1
        candidate = f"{stem}-{number}{dot}{ext}" if dot else f"{name}-{number}"
    moved: list[Path] = []
    try:
        for path in present:
            target = folder / (candidate + path.name.removeprefix(database.name))
            shutil.move(path, target)  # a rename on one file system, a copy across two
            moved.append(make_private(target))
    except BaseException:
        put_back(moved, database)
        raise
    return moved


def put_back(moved: list[Path], database: Path) -> None:
    """Undo ``move_aside``: the files go back beside where the database was."""
    if not moved:
        return
    main = moved[0].name
    for path in moved:
        shutil.move(path, database.with_name(database.name + path.name.removeprefix(main)))
