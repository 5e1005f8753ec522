"""Where exports write while they are built: one folder per process, so that what a killed
process left behind is found by its pid and removed at the next start.

``<system temp>/lapordesa-<pid>/`` (mode 0700: a workbook holds people's data) holds the export
folders of this process (removed when the export succeeds or fails). openpyxl writes each sheet
of a write-only workbook to a temporary file of its own, in the default temp folder, and deletes
them only on save or at a clean exit; ``tempfile.tempdir`` is therefore pointed at this
process's folder the first time an export needs it, so those files are caught too."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)
PREFIX = "lapordesa-"
_PROCESS_FOLDER = re.compile(rf"{PREFIX}(\d+)")
# Export folders of the versions before the per-process folder (prefix, then random letters).
_OLD_FOLDERS = (f"{PREFIX}send-", f"{PREFIX}export-")
OLD_AGE = 3600.0  # seconds: an export of an old version's process is finished long before
_system_temp: Path | None = None


def system_temp() -> Path:
    """The temp folder the process started with (TMPDIR, or /tmp)."""
    global _system_temp
    if _system_temp is None:
        _system_temp = Path(tempfile.gettempdir())
    return _system_temp


def process_folder() -> Path:
    """This process's folder (made on first use; also the default for ``tempfile`` from then,
    and removed at a clean exit)."""
    folder = system_temp() / f"{PREFIX}{os.getpid()}"
    if not folder.is_dir():
        folder.mkdir(mode=0o700, exist_ok=True)
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    if tempfile.tempdir != str(folder):
        tempfile.tempdir = str(folder)
    return folder


@contextlib.contextmanager
def export_folder(kind: str) -> Iterator[Path]:
    """A new folder for one export's files, removed when the export ends, however it ends."""
    with tempfile.TemporaryDirectory(prefix=f"{PREFIX}{kind}-", dir=process_folder()) as folder:
        yield Path(folder)


def sweep(root: Path | None = None, *, now: float | None = None) -> list[Path]:
    """Remove what exports of processes that are gone left in ``root`` (the system temp folder):
    their per-process folders, and old versions' export folders older than an hour. Returns
    what was removed."""
    root = root or system_temp()
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(root.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _PROCESS_FOLDER.fullmatch(entry.name)
        try:
            if not entry.is_dir() or entry.is_symlink():
                continue
            if match:
                stale = not alive(int(match[1]))
            else:
                stale = entry.name.startswith(_OLD_FOLDERS) and now - entry.stat().st_mtime > OLD_AGE
        except OSError:
            continue
        if stale:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    if removed:
        log.info("removed %d temporary export folder(s) left by processes that were stopped", len(removed))
    return removed


def alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine."""
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user's
        return True
    except OSError:
        return False
    return True
