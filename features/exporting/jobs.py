"""Exports asked for in the chat, as jobs recorded in the database (storage/export_jobs.py): a
job is recorded before its build starts and finished when the person has the files (or was
told why not). A process killed in between leaves it running; at the next start
(``resume_unfinished``, called once by app/application.py) such a job is built and sent again
(the person is told first), or, when it was already cut off once or is more than a day old, the
person is told it did not finish and how to ask again. Temp folders that killed processes left
are removed at the same time (features/exporting/tempfiles.py)."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from telegram import Bot
from telegram.constants import ParseMode
from telegram.ext import Application

from domain.models import User
from domain.periods import Period, period_range
from domain.texts import t
from exports import ExportTooLarge
from features.exporting import tempfiles
from features.exporting.service import EmptySelection, OutOfScope, export_workbook
from handlers.context import SERVICES_KEY
from runtime.services import Services
from storage.export_jobs import ABANDONED, DONE, FAILED, ExportJob, ExportRequest

log = logging.getLogger(__name__)
HOST = socket.gethostname()
OWNER = f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"  # this process, as the builder of a job
MAX_ATTEMPTS = 2  # the first build and one after a crash: a job that kills the bot is not retried forever
MAX_AGE = timedelta(days=1)  # older than this, the person is asked to ask again instead


class Chat(Protocol):
    """Where the job's messages go: the Turn's chat, or ``BotChat`` after a restart."""

    async def send(self, text: str) -> None: ...

    async def send_file(self, path: Path, caption: str | None = None) -> None: ...


class BotChat:
    """A private chat reached through the bot, with no update to answer (after a restart)."""

    def __init__(self, bot: Bot, chat_id: int) -> None:
        self.bot, self.chat_id = bot, chat_id

    async def send(self, text: str) -> None:
        await self.bot.send_message(self.chat_id, text, parse_mode=ParseMode.HTML)

    async def send_file(self, path: Path, caption: str | None = None) -> None:
        with path.open("rb") as content:
            await self.bot.send_document(
                self.chat_id, content, filename=path.name, caption=caption, parse_mode=ParseMode.HTML, write_timeout=300
            )


async def record(services: Services, request: ExportRequest) -> ExportJob:
    """The job of an export whose build starts now, in this process."""
    return await services.storage.export_jobs.start(request, OWNER)


async def deliver(services: Services, chat: Chat, job: ExportJob, account: User | None = None) -> None:
    """Build the job's workbook and send it; the job is finished with what the person got.
    Cut off (a crash, or cancelled when the bot stops) it stays running for the next start.
    ``account``: the person as the handler saw them (read again when None)."""
    request, jobs = job.request, services.storage.export_jobs
    if account is None:
        account = await services.storage.users.get(request.telegram_id)
    if account is None or not account.active:
        log.info("export job %s: the person is no longer active; not sent", job.id)
        await jobs.finish(job.id, ABANDONED, "not_allowed")
        return
    language = request.language
    periods = [str(p) for p in period_range(Period.parse(request.first_period), Period.parse(request.last_period))]
    months = _months(request)
    state, outcome = DONE, "sent"
    try:
        with tempfiles.export_folder("send") as folder:
            name = f"lapordesa_{_slug(request.label or request.area)}_{periods[0]}_{periods[-1]}.xlsx"
            notice = None
            try:
                result = await export_workbook(
                    services, account, periods, list(request.villages), folder / name, scope=request.label
                )
            except EmptySelection:
                outcome, notice = "empty", t(language, "export.empty", **months)
            except ExportTooLarge:
                outcome, notice = "too_large", t(language, "export.too_large")
            except OutOfScope:
                outcome, notice = "not_allowed", t(language, "export.not_allowed")
            if notice is not None:
                await chat.send(notice)
            else:
                notes = []
                if result.split:
                    notes.append(t(language, "export.split", count=len(result.files)))
                if result.zipped:
                    notes.append(t(language, "export.zipped"))
                caption = "\n\n".join([t(language, "export.caption", **months), *notes])
                for index, file in enumerate(result.files):
                    await chat.send_file(file, caption if index == 0 else None)
    except Exception:
        log.exception("export job %s failed", job.id)
        state, outcome = FAILED, "error"
        try:
            await chat.send(t(language, "export.failed"))
        except Exception as exc:  # the person cannot be reached: nothing more to do
            log.warning("export job %s: could not say it failed (%s)", job.id, type(exc).__name__)
    await jobs.finish(job.id, state, outcome)


# -- at start -----------------------------------------------------------------------------------
def resume_unfinished(application: Application) -> asyncio.Task[None]:
    """At start (once the Application runs): remove the temp folders killed processes left, and
    build and send again the exports they did not finish (or tell the person). In the background:
    the task returned ends once each job is taken over (their builds are tasks of their own)."""
    return application.create_task(_resume(application), name="exports.resume")


async def _resume(application: Application) -> None:
    services: Services = application.bot_data[SERVICES_KEY]
    tempfiles.sweep()
    await services.storage.export_jobs.prune()
    for job in await services.storage.export_jobs.running():
        try:
            await _resume_one(application, services, job)
        except Exception:  # one job must not keep the others from being resumed
            log.exception("export job %s could not be resumed", job.id)


async def _resume_one(application: Application, services: Services, job: ExportJob) -> None:
    if owner_alive(job.owner):
        return  # another process on this machine is building it
    taken = await services.storage.export_jobs.take_over(job, OWNER)
    if taken is None:
        return  # another process took it over first
    request = taken.request
    chat = BotChat(application.bot, request.chat_id)
    months = _months(request)
    if taken.attempts > MAX_ATTEMPTS or services.clock.now() - taken.started_at > MAX_AGE:
        log.info("export job %s did not finish; the person is asked to ask again", taken.id)
        await services.storage.export_jobs.finish(taken.id, ABANDONED, "not_finished")
        await chat.send(
            t(
                request.language,
                "export_job.not_finished",
                **months,
                first_code=request.first_period,
                last_code=request.last_period,
            )
        )
        return
    log.info("export job %s was cut off by a restart; building it again", taken.id)
    await chat.send(t(request.language, "export_job.resuming", **months))
    application.create_task(deliver(services, chat, taken), name=f"export:{request.telegram_id}")


def owner_alive(owner: str) -> bool:
    """Whether the process that builds a job still runs: one on this machine with that pid (not
    this process, which has just started). A job of another machine's process counts as dead:
    SQLite is not shared between machines, the database was moved."""
    parts = owner.split(":")  # host:pid:nonce
    if owner == OWNER or len(parts) < 3:
        return False
    host, pid = ":".join(parts[:-2]), parts[-2]
    if host != HOST or not pid.isdecimal() or int(pid) == os.getpid():
        return False
    return tempfiles.alive(int(pid))


def _months(request: ExportRequest) -> dict[str, str]:
    return {
        "area": request.label,
        "first": Period.parse(request.first_period).label(request.language),
        "last": Period.parse(request.last_period).label(request.language),
    }


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "rekap"
