"""Export jobs: recorded when the build starts, finished when delivered; at start, one a killed
process left is built and sent again, or the person is told how to ask again; temp files are
removed whether an export succeeds or fails, and those of killed processes at start.
(The SIGKILL itself: tests/e2e/test_e2e_export.py.)"""

import asyncio
import io
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from domain.roles import Role
from features.exporting import jobs, service, tempfiles
from storage.export_jobs import ExportRequest
from tests.exporting.support import SUKAMAJU, person
from tests.exporting.test_export_conversation import documents, register, reports, said
from tests.support.harness import make_settings, running_bot

ANI = 3001
OCTOBER = ExportRequest(
    telegram_id=ANI,
    chat_id=ANI,
    language="id",
    area=SUKAMAJU,
    label="Desa Sukamaju",
    villages=(SUKAMAJU,),
    first_period="2026-10",
    last_period="2026-10",
)


@pytest.fixture
def dead_pid() -> int:
    """The id of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
async def app(server, tmp_path, storage, clock, posyandu_ids):
    await reports(storage, clock, posyandu_ids)
    async with running_bot(server, make_settings(tmp_path, server), storage, clock) as application:
        yield application


def files_in(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


async def job_state(storage, job_id, state, timeout=10.0):
    for _ in range(int(timeout / 0.02)):
        job = await storage.export_jobs.get(job_id)
        if job.state == state:
            return job
        await asyncio.sleep(0.02)
    raise AssertionError(f"job {job_id} is {job.state}, not {state}")


async def left_by_a_dead_process(storage, dead_pid, request=OCTOBER, attempts=1, started_ago=timedelta(minutes=3)):
    storage.clock.advance(seconds=-started_ago.total_seconds())
    job = await storage.export_jobs.start(request, owner=f"{jobs.HOST}:{dead_pid}:0badc0de")
    storage.clock.advance(seconds=started_ago.total_seconds())
    for _ in range(attempts - 1):
        job = await storage.export_jobs.take_over(job, f"{jobs.HOST}:{dead_pid}:0badc0de")
    return job


# -- the chat records the job and finishes it -----------------------------------------------------
async def test_an_export_is_recorded_when_it_starts_and_done_when_delivered(app, server, storage):
    before = files_in(tempfiles.process_folder())
    ani = await register(server, storage, ANI, Role.KOORDINATOR, "32.04")
    ani.send("/ekspor 2026-10 2026-10")
    await said(ani, "Pilih wilayah")
    ani.press("Desa Sukamaju")
    await said(ani, "sedang dibuat")
    [(name, _)] = await documents(server, ANI)
    job = await job_state(storage, 1, "done")
    assert (job.outcome, job.attempts) == ("sent", 1)
    assert job.request == OCTOBER  # who, which chat and language, what area and months
    assert name == "lapordesa_desa-sukamaju_2026-10_2026-10.xlsx"
    assert files_in(tempfiles.process_folder()) == before  # the workbook was removed after sending
    assert Path(tempfile.gettempdir()) == tempfiles.process_folder()  # openpyxl's sheet files go there too


async def test_a_failed_build_says_so_finishes_the_job_and_leaves_no_files(app, server, storage, monkeypatch):
    before = files_in(tempfiles.process_folder())

    def broken(source, path):
        Path(path).write_bytes(b"half a workbook")
        raise RuntimeError("disk trouble")

    monkeypatch.setattr(service, "build_workbook", broken)
    ani = await register(server, storage, ANI, Role.KOORDINATOR, SUKAMAJU)
    ani.send("/ekspor 2026-10 2026-10")
    await said(ani, "gagal dibuat")
    job = await job_state(storage, 1, "failed")
    assert job.outcome == "error"
    assert files_in(tempfiles.process_folder()) == before


# -- at start ------------------------------------------------------------------------------------
async def test_a_job_a_killed_process_left_is_built_and_sent_again(app, server, storage, dead_pid):
    await person(storage, ANI, Role.KOORDINATOR, "32.04", name="Bu Ani")
    ani = server.user(ANI, "Bu Ani")
    job = await left_by_a_dead_process(storage, dead_pid)
    jobs.resume_unfinished(app)
    notice = await said(ani, "dibuat ulang")
    assert "Desa Sukamaju, Oktober 2026 – Oktober 2026" in notice.text
    [(name, content)] = await documents(server, ANI)
    assert name == "lapordesa_desa-sukamaju_2026-10_2026-10.xlsx"
    rows = list(load_workbook(io.BytesIO(content))["Data"].iter_rows(min_row=2, values_only=True))
    assert {row[4] for row in rows} == {SUKAMAJU}
    done = await job_state(storage, job.id, "done")
    assert (done.attempts, done.owner) == (2, jobs.OWNER)
    await jobs.resume_unfinished(app)  # a second start resumes nothing
    assert len(server.documents(ANI)) == 1 and (await storage.export_jobs.running()) == []


async def test_a_job_cut_off_twice_or_a_day_old_is_not_built_again_the_person_is_told(app, server, storage, dead_pid):
    await person(storage, ANI, Role.KOORDINATOR, "32.04", name="Bu Ani")
    ani = server.user(ANI, "Bu Ani")
    twice = await left_by_a_dead_process(storage, dead_pid, attempts=2)
    jobs.resume_unfinished(app)
    told = await said(ani, "tidak selesai")
    assert "Minta lagi dengan /ekspor 2026-10 2026-10" in told.text
    assert (await job_state(storage, twice.id, "abandoned")).outcome == "not_finished"
    old = await left_by_a_dead_process(storage, dead_pid, started_ago=timedelta(days=2))
    jobs.resume_unfinished(app)
    await said(ani, "tidak selesai")
    await job_state(storage, old.id, "abandoned")
    assert server.documents(ANI) == []


async def test_a_job_of_a_live_process_is_left_to_it_and_a_deactivated_person_gets_nothing(
    app, server, storage, dead_pid
):
    await person(storage, ANI, Role.KOORDINATOR, "32.04", name="Bu Ani")
    server.user(ANI, "Bu Ani")
    live = await storage.export_jobs.start(OCTOBER, owner=f"{jobs.HOST}:{os.getppid()}:cafe0001")
    await person(storage, 3002, Role.KOORDINATOR, "32.04", name="Pak Budi")
    server.user(3002, "Pak Budi")
    budi = replace(OCTOBER, telegram_id=3002, chat_id=3002)
    gone = await left_by_a_dead_process(storage, dead_pid, request=budi)
    await storage.users.deactivate(3002)
    jobs.resume_unfinished(app)
    await job_state(storage, gone.id, "abandoned")
    assert (await storage.export_jobs.get(live.id)).state == "running"
    assert server.documents(3002) == [] and server.documents(ANI) == []


def test_stale_temp_folders_of_dead_processes_are_swept(tmp_path, dead_pid):
    for name in (f"lapordesa-{dead_pid}", f"lapordesa-{os.getppid()}", "lapordesa-send-old1", "lapordesa-send-new1"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "lapordesa_x.xlsx").write_bytes(b"data")
    (tmp_path / "lapordesa-99x").mkdir()  # not ours
    (tmp_path / "other").mkdir()
    old = time.time() - 2 * tempfiles.OLD_AGE
    os.utime(tmp_path / "lapordesa-send-old1", (old, old))
    removed = tempfiles.sweep(tmp_path)
    assert sorted(p.name for p in removed) == sorted([f"lapordesa-{dead_pid}", "lapordesa-send-old1"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"lapordesa-{os.getppid()}", "lapordesa-send-new1", "lapordesa-99x", "other"]
    )


def test_who_builds_a_job():
    assert not jobs.owner_alive(jobs.OWNER)  # this process has just started: a job it owns is from before
    assert jobs.owner_alive(f"{jobs.HOST}:{os.getppid()}:x")
    assert not jobs.owner_alive(f"elsewhere:{os.getppid()}:x")  # the database was moved here
    assert not jobs.owner_alive(f"{jobs.HOST}:{os.getpid()}:older")  # this pid, an earlier process
    assert not jobs.owner_alive("garbage")


async def test_finished_jobs_are_forgotten_after_three_months(storage, clock):
    done = await storage.export_jobs.start(OCTOBER, owner="h:1:a")
    await storage.export_jobs.finish(done.id, "done", "sent")
    running = await storage.export_jobs.start(OCTOBER, owner="h:1:b")
    clock.advance(days=91)
    assert await storage.export_jobs.prune() == 1
    assert await storage.export_jobs.get(done.id) is None and await storage.export_jobs.get(running.id) is not None
