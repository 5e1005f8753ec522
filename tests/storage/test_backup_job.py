"""The daily scheduled backup: retention, audit, failures that do not stop the bot, scheduling."""

import logging
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from features.backups.jobs import (
    CATCH_UP_JOB_ID,
    DAILY_JOB_ID,
    backup_due,
    backup_job,
    latest_backup_time,
    schedule_backups,
)
from handlers.context import SERVICES_KEY
from runtime.services import Services
from storage.backup import check_backup, list_backups
from tests.support.harness import make_settings


def services_for(settings, storage, clock) -> Services:
    return Services(settings=settings, storage=storage, forms={}, clock=clock)


def job_context(services: Services):
    """What the JobQueue hands a job callback, as far as the backup job looks."""
    return SimpleNamespace(application=SimpleNamespace(bot_data={SERVICES_KEY: services}))


async def test_daily_runs_keep_the_newest_backups_and_are_audited(tmp_path, storage, posyandu_ids, clock):
    settings = make_settings(tmp_path, backup_keep=3)
    services = services_for(settings, storage, clock)
    for _ in range(5):
        await backup_job(job_context(services))
        clock.advance(days=1)
    backups = list_backups(settings.backup_dir)
    assert [p.name for p in backups] == [
        "lapordesa-20261125-030000.sqlite3",
        "lapordesa-20261126-030000.sqlite3",
        "lapordesa-20261127-030000.sqlite3",
    ]
    assert check_backup(backups[-1]).schema_version == await storage.db.schema_version()
    entries = await storage.audit.recent(10, action="backup")
    assert len(entries) == 5 and entries[0].subject == backups[-1].name and entries[0].details == {"scheduled": True}
    assert latest_backup_time(settings.backup_dir) == datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


async def test_a_failed_backup_is_logged_and_the_next_one_works(tmp_path, storage, clock, caplog):
    settings = make_settings(tmp_path)
    settings.backup_dir.parent.mkdir(parents=True, exist_ok=True)
    settings.backup_dir.write_text("a file where the folder should be")
    services = services_for(settings, storage, clock)
    with caplog.at_level(logging.INFO, logger="features.backups.jobs"):
        await backup_job(job_context(services))  # does not raise
    assert any(r.levelno == logging.ERROR and "backup" in r.getMessage() for r in caplog.records)
    settings.backup_dir.unlink()
    clock.advance(days=1)
    await backup_job(job_context(services))
    assert len(list_backups(settings.backup_dir)) == 1


async def test_a_backup_is_due_when_none_is_younger_than_a_day(tmp_path, storage, clock):
    services = services_for(make_settings(tmp_path), storage, clock)
    assert backup_due(services)
    await backup_job(job_context(services))
    clock.advance(hours=24)
    assert not backup_due(services)
    clock.advance(hours=2)
    assert backup_due(services)


async def test_scheduled_daily_at_backup_time_with_a_catch_up(bot, clock):
    services = bot.bot_data[SERVICES_KEY]
    services.settings.backup_time = "02:30"
    schedule_backups(bot, catch_up_after=3600)
    schedule_backups(bot, catch_up_after=3600)  # rescheduling replaces, never doubles
    [daily] = bot.job_queue.get_jobs_by_name(DAILY_JOB_ID)
    assert len(bot.job_queue.get_jobs_by_name(CATCH_UP_JOB_ID)) == 1  # no backup yet: catch up
    local = daily.next_t.astimezone(ZoneInfo("Asia/Jakarta"))
    assert (local.hour, local.minute) == (2, 30)
    assert daily.next_t - datetime.now(UTC) <= timedelta(days=1)
    for job in bot.job_queue.jobs():
        job.schedule_removal()
