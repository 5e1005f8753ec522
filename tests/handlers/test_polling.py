"""app/polling.py: an update is confirmed to Telegram only after it was handled, and an update
delivered again (after a crash) never takes effect twice."""

import asyncio

from telegram import Update
from telegram.ext import TypeHandler

from handlers.polling import Poller
from storage.updates import Progress
from tests.handlers.test_report_conversation import answer, register, said
from tests.support.harness import settled


def capture(application) -> list[dict]:
    """Every update the bot receives, as Telegram sent it, so a test can deliver it again."""
    seen: list[dict] = []

    async def keep(update, context):
        seen.append(update.to_dict())

    application.add_handler(TypeHandler(Update, keep), group=-9)
    return seen


async def deliver_again(application, storage, raw: dict) -> None:
    """As Telegram does after a restart: a poller that has just started gets the update again."""
    await storage.updates.start_polling()
    await Poller(application, storage).handle([Update.de_json(raw, application.bot)])


async def start_report(server, storage, posyandu_ids):
    siti = await register(server, storage, posyandu_ids["Mawar"])
    siti.send("/lapor")
    await said(siti, "balita sasaran")
    return siti


async def test_an_update_is_confirmed_only_after_it_was_handled(uji, server):
    release, started = asyncio.Event(), asyncio.Event()

    async def slow(update, context):
        started.set()
        await release.wait()

    uji.add_handler(TypeHandler(Update, slow), group=-9)
    update_id = server.user(1001, "Siti").send("halo")
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.sleep(0.2)  # time the old Updater would have used to fetch (and confirm) again
    assert update_id in [u["update_id"] for u in server.pending_updates]
    release.set()
    for _ in range(500):
        if not server.pending_updates:
            break
        await asyncio.sleep(0.01)
    assert server.pending_updates == []


async def test_an_answer_delivered_again_is_not_applied_to_the_next_question(uji, server, storage, posyandu_ids):
    seen = capture(uji)
    siti = await start_report(server, storage, posyandu_ids)
    await answer(siti, "50", "ditimbang")
    fifty = seen[-1]
    await settled(storage)
    await deliver_again(uji, storage, fifty)  # finished before: nothing happens, nothing is said
    await answer(siti, "40", "kelas ibu")
    drafts = await storage.reports.drafts_of(1001)
    assert drafts[0].answers == {"sasaran": 50, "ditimbang": 40}
    assert not [m for m in siti.messages if "tidak boleh" in m.content]  # "50" never judged as D


async def test_an_applied_but_unanswered_update_shows_the_question_again(uji, server, storage, posyandu_ids):
    seen = capture(uji)
    siti = await start_report(server, storage, posyandu_ids)
    await answer(siti, "50", "ditimbang")
    fifty = seen[-1]
    await settled(storage)
    await storage.db.execute("UPDATE handled_updates SET replied = 0 WHERE update_id = ?", (fifty["update_id"],))
    await deliver_again(uji, storage, fifty)  # as if the bot died before its reply went out
    again = await said(siti, "ditimbang")
    assert "ditimbang (D)?" in again.text
    drafts = await storage.reports.drafts_of(1001)
    assert drafts[0].answers == {"sasaran": 50}
    await answer(siti, "40", "kelas ibu")  # the buttons and the question still work as usual


async def test_old_handled_updates_are_forgotten(storage):
    await storage.db.execute(
        "INSERT INTO handled_updates (update_id, handled_at, replied) VALUES "
        "(1, CAST(strftime('%s','now') AS INTEGER) - 4 * 86400, 1), "
        "(2, CAST(strftime('%s','now') AS INTEGER), 1)"
    )
    assert await storage.updates.prune() == 1
    assert [await storage.updates.progress(i) for i in (1, 2)] == [Progress.NEW, Progress.DONE]


async def test_only_updates_older_than_the_start_are_looked_up(uji, server, storage, posyandu_ids):
    """Within one run an update never comes twice (the offset only moves on), so only those up to
    the newest handled before the poller started may be redeliveries."""
    siti = await start_report(server, storage, posyandu_ids)
    await answer(siti, "50", "ditimbang")
    await settled(storage)
    await storage.updates.start_polling()
    newest = storage.updates.redelivery_horizon
    assert newest > 0 and await storage.updates.progress(newest) is Progress.DONE
    await storage.db.execute(
        "INSERT INTO handled_updates (update_id, handled_at, replied) VALUES (?, 0, 1)", (newest + 5,)
    )
    assert await storage.updates.progress(newest + 5) is Progress.NEW  # newer than the start: not looked up
