"""The daily backup: a JobQueue job at BACKUP_TIME (in DEFAULT_TIMEZONE) that copies the live
database into BACKUP_DIR (VACUUM INTO, consistent while the bot writes) and keeps the newest
BACKUP_KEEP copies. At start, a backup older than a day (or none at all) is caught up a minute
later. A failed backup is logged and never stops the bot; the next day tries again.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from telegram.ext import Application, CallbackContext, Job

from handlers.context import SERVICES_KEY
from runtime.services import Services
from storage.backup import PREFIX, SUFFIX, list_backups, make_backup

log = logging.getLogger(__name__)

DAILY_JOB_ID = "backup.daily"
CATCH_UP_JOB_ID = "backup.catch_up"
CATCH_UP_AFTER = 60.0  # seconds after start: let polling settle first
STALE_AFTER = timedelta(hours=25)


async def run_backup(services: Services) -> Path | None:
    """One backup with retention, audited; None (and an ERROR log line) when it failed."""
    settings, storage = services.settings, services.storage
    try:
        path = await make_backup(storage.db, settings.backup_dir, services.clock.now(), keep=settings.backup_keep)
        await storage.audit.log("backup", subject=path.name, scheduled=True)
    except Exception as exc:  # a full disk or an unwritable folder must not stop the bot
        log.error(
            "scheduled backup into %s failed (%s: %s); the next one tries again",
            settings.backup_dir,
            type(exc).__name__,
            exc,
        )
        return None
    log.info("backup written: %s (keeping the newest %d)", path.name, settings.backup_keep)
    return path


async def backup_job(context: CallbackContext) -> None:
    await run_backup(context.application.bot_data[SERVICES_KEY])


def latest_backup_time(directory: Path) -> datetime | None:
    """When the newest backup in ``directory`` was made (from its name, in UTC)."""
    for path in reversed(list_backups(directory)):
        stamp = path.name.removeprefix(PREFIX).removesuffix(SUFFIX)
        try:
            return datetime.strptime(stamp, "%Y%m%d-%H%M%S").replace(tzinfo=ZoneInfo("UTC"))
        except ValueError:
            continue
    return None


def backup_due(services: Services) -> bool:
    """True when the newest backup is more than a day old, or there is none."""
    latest = latest_backup_time(services.settings.backup_dir)
    return latest is None or services.clock.now() - latest > STALE_AFTER


def schedule_backups(application: Application, *, catch_up_after: float = CATCH_UP_AFTER) -> Job:
    """The daily job (stable id: rescheduling replaces it) and, if the last one was missed, a
    catch-up shortly after start."""
    services: Services = application.bot_data[SERVICES_KEY]
    settings = services.settings
    hours, minutes = (int(part) for part in settings.backup_time.split(":"))
    at = time(hours, minutes, tzinfo=ZoneInfo(settings.default_timezone))
    job = application.job_queue.run_daily(
        backup_job,
        at,
        name=DAILY_JOB_ID,
        job_kwargs={
            "id": DAILY_JOB_ID,
            "replace_existing": True,
            "misfire_grace_time": 6 * 3600,
            "coalesce": True,
            "max_instances": 1,
        },
    )
    if backup_due(services):
        application.job_queue.run_once(
            backup_job,
            catch_up_after,
            name=CATCH_UP_JOB_ID,
            job_kwargs={"id": CATCH_UP_JOB_ID, "replace_existing": True, "misfire_grace_time": 3600},
        )
    return job
