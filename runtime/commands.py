"""What every command-line command needs: the database opened for the command and closed
after it, and one clear line on standard error when it fails."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from runtime.settings import Settings
from storage import Storage


@asynccontextmanager
async def opened(settings: Settings) -> AsyncIterator[Storage]:
    """The database for one command, always closed (an open aiosqlite connection blocks exit)."""
    storage = await Storage.open(settings.database_path)
    try:
        yield storage
    finally:
        await storage.close()


def fail(message: str, status: int = 1) -> int:
    print(f"lapordesa: {message}", file=sys.stderr)
    return status
