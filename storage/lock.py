"""One bot per database: `bot.py run` (and `restore`, which must not run beside it) hold an
exclusive ``flock`` on a lock file in the database's folder for as long as the process lives.
The kernel drops the lock when the process ends, however it ends (a SIGKILL too), so a lock is
never stale; the file itself stays, holding the last holder's process id."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storage.files import PRIVATE_FILE, private_dir


class DatabaseInUse(Exception):
    """Another process (a running bot, or a restore) holds the database."""

    def __init__(self, database: Path, pid: int | None):
        self.database = database
        self.pid = pid
        holder = f"process {pid}" if pid else "another process"
        super().__init__(f"{database} is in use by {holder} (a running bot or a restore)")


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextmanager
def exclusive(database: Path) -> Iterator[None]:
    """Hold the database's lock, or raise DatabaseInUse at once (never wait for it)."""
    path = lock_path(database)
    private_dir(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)  # not inherited by child processes
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatabaseInUse(database, _holder(fd)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip() or 0) or None
    except (OSError, ValueError):
        return None
