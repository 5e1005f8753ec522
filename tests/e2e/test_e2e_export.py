"""An export cut off by a SIGKILL: `python bot.py run` is killed while it sends the workbook it
built (the double refuses sendDocument with a 502, so the bot is waiting to retry), then started
again. The export was recorded when it started: the new process builds it again and sends it,
and the killed process's workbook does not stay behind in the temp folder.

The bot's temp folder is TMPDIR, one per test, so what is left in it can be counted."""

from __future__ import annotations

import asyncio
from io import BytesIO
from pathlib import Path

from openpyxl import load_workbook

from domain.clock import SystemClock
from domain.models import ScopeEntry
from domain.periods import Period
from domain.roles import Role
from storage import Storage
from tests.e2e.conftest import VILLAGE, jakarta_today, said, wait_until

BUDI, SITI = 2001, 1001


async def _seed(world, period: str) -> None:
    """A kader's submitted report for ``period`` and a coordinator of the village."""
    storage = await Storage.open(world.database, SystemClock())
    try:
        for uid, role, scope in [
            (SITI, Role.KADER, ScopeEntry(area_code=VILLAGE, posyandu_id=world.posyandu_id)),
            (BUDI, Role.KOORDINATOR, ScopeEntry(area_code=VILLAGE)),
        ]:
            [code] = await storage.users.create_invitations(role, [scope])
            await storage.users.register(uid, "Siti" if uid == SITI else "Budi", code)
        kader = await storage.users.get(SITI)
        draft = await storage.reports.open_draft("uji_bulanan", world.posyandu_id, period, SITI)
        await storage.reports.submit(draft, kader, VILLAGE, {"sasaran": 57, "ditimbang": 43})
    finally:
        await storage.close()


def left_behind(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_an_export_cut_off_by_sigkill_is_built_again_and_leaves_no_files(world, make_bot, server):
    period = str(Period.of(jakarta_today()).shift(-1))
    asyncio.run(_seed(world, period))
    tmp = world.tmp / "tmp"
    tmp.mkdir()
    bot = make_bot(TMPDIR=str(tmp))
    budi = server.user(BUDI, "Budi")

    server.fail_next("sendDocument", 502, times=2)  # the bot retries with backoff: it is killed meanwhile
    budi.send(f"/ekspor {period} {period}")
    said(budi, "sedang dibuat")
    wait_until(lambda: server.calls("sendDocument"), what="the bot to send the workbook")
    bot.kill()
    assert server.documents(BUDI) == []
    assert any(name.endswith(".xlsx") for name in left_behind(tmp))  # the killed process's workbook

    bot.start(server)
    notice = said(budi, "dibuat ulang", timeout=20)
    assert "Sukamaju" in notice.text
    [(name, content)] = wait_until(lambda: server.documents(BUDI), timeout=30, what="the export to be sent again")
    assert name.endswith(f"_{period}_{period}.xlsx")
    rows = list(load_workbook(BytesIO(content))["Data"].iter_rows(min_row=2, values_only=True))
    assert any(57 in row for row in rows)
    wait_until(lambda: world.scalar("SELECT state FROM export_jobs") == "done", what="the job to be marked done")
    assert world.scalar("SELECT attempts FROM export_jobs") == 2
    wait_until(lambda: left_behind(tmp) == [], what="the temp folder to be empty")
    bot.stop()
    assert server.documents(BUDI) == [(name, content)]  # once
