"""A real Application, in the test's event loop, polling the local Bot API double."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from app.application import build_application
from devtools.localbotapi import LocalBotApi
from domain.clock import FixedClock
from domain.forms import load_forms
from domain.imports import VillageRow
from handlers.polling import Poller
from runtime.services import Services
from runtime.settings import REPO_DIR, Settings
from storage import Storage

TOKEN = "123456:TEST-token-for-the-local-bot-api"
ADMIN_ID = 9000
# Monday 23 November 2026, 10:00 WIB.
START = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)

VILLAGES = [
    VillageRow("32.04.12.2001", "Sukamaju", "Cileunyi", "Kabupaten Bandung", "Jawa Barat", "Asia/Jakarta"),
    VillageRow("32.04.12.2002", "Cibiru Wetan", "Cileunyi", "Kabupaten Bandung", "Jawa Barat", "Asia/Jakarta"),
    VillageRow("53.71.01.1001", "Oebobo", "Oebobo", "Kota Kupang", "Nusa Tenggara Timur", "Asia/Makassar"),
    VillageRow("91.03.01.2001", "Sentani Kota", "Sentani", "Kabupaten Jayapura", "Papua", "Asia/Jayapura"),
]


def make_settings(tmp_path: Path, server: LocalBotApi | None = None, **overrides) -> Settings:
    values = dict(
        telegram_bot_token=TOKEN,
        database_path=tmp_path / "lapordesa.sqlite3",
        admin_telegram_ids=(ADMIN_ID,),
        forms_dir=REPO_DIR / "forms",
        backup_dir=tmp_path / "backups",
    )
    if server is not None:
        values.update(telegram_api_base_url=server.base_url, telegram_api_file_url=server.base_file_url)
    values.update(overrides)
    return Settings(_env_file=None, **values)


async def seed(storage: Storage) -> dict[str, int]:
    """The test villages, two posyandu in Sukamaju and one in each other village."""
    await storage.areas.import_villages(VILLAGES)
    ids = {}
    for village, name in [
        ("32.04.12.2001", "Mawar"),
        ("32.04.12.2001", "Melati"),
        ("32.04.12.2002", "Anggrek"),
        ("53.71.01.1001", "Kenanga"),
        ("91.03.01.2001", "Cempaka"),
    ]:
        ids[name] = (await storage.areas.add_posyandu(village, name)).id
    return ids


@asynccontextmanager
async def running_bot(server: LocalBotApi, settings: Settings, storage: Storage, clock: FixedClock):
    services = Services(settings=settings, storage=storage, forms=load_forms(settings.forms_dir), clock=clock)
    application = build_application(services)
    async with application:
        await application.start()
        stop = asyncio.Event()
        polling = asyncio.create_task(Poller(application, storage, timeout=1).run(stop))
        try:
            yield application
        finally:
            stop.set()
            await polling
            await application.stop()


async def settled(storage: Storage, timeout: float = 5.0) -> None:
    """Until the poller has finished what it took (the bookkeeping after the replies too), so a
    test can change the database or its faults without racing the previous update."""
    for _ in range(int(timeout / 0.01)):
        if not await storage.db.fetchval("SELECT COUNT(*) FROM handled_updates WHERE replied = 0"):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the bot did not finish handling its updates")


def new_clock() -> FixedClock:
    return FixedClock(START)
