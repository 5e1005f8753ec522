"""handlers/polling.py and handlers/limits.py under pressure: chats never wait for each other, a
flood is cut short with one notice, a flood limit holds only its chat, and an update the
library cannot read is quarantined instead of stopping the bot."""

import asyncio
import logging

import pytest
from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import TypeHandler

from handlers import polling
from handlers.limits import TelegramLimiter
from tests.handlers.test_report_conversation import answer, register, said


async def until(check, timeout=10.0):
    for _ in range(int(timeout / 0.02)):
        if await check() if asyncio.iscoroutinefunction(check) else check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("never happened")


async def test_a_slow_chat_holds_nobody_else_and_is_parked_so_the_offset_moves(
    uji, server, storage, posyandu_ids, monkeypatch
):
    monkeypatch.setattr(polling, "PARK_AFTER", 0.05)
    release, started = asyncio.Event(), asyncio.Event()

    async def slow(update, context):
        if update.effective_user and update.effective_user.id == 7777:
            started.set()
            await release.wait()

    uji.add_handler(TypeHandler(Update, slow), group=-9)
    siti = await register(server, storage, posyandu_ids["Mawar"])
    stuck = server.user(7777, "Lambat").send("halo")
    await asyncio.wait_for(started.wait(), 5)
    siti.send("/lapor")
    await said(siti, "balita sasaran")  # while the other chat is still being handled
    await answer(siti, "50", "ditimbang")
    await until(lambda: stuck not in [u["update_id"] for u in server.pending_updates])  # confirmed...
    assert [i for i, _ in await storage.updates.parked()] == [stuck]  # ...because it is kept here
    release.set()
    for _ in range(250):
        if not await storage.updates.parked():
            break
        await asyncio.sleep(0.02)
    assert await storage.updates.parked() == []


async def test_a_flood_is_told_once_and_dropped_while_others_are_answered(uji, server, storage, posyandu_ids):
    siti = await register(server, storage, posyandu_ids["Mawar"])
    flooder = server.user(8888, "Banjir")
    for number in range(40):
        flooder.send(f"spam {number}")
    siti.send("/lapor")
    await said(siti, "balita sasaran")
    await answer(siti, "50", "ditimbang")
    await until(lambda: any("terlalu cepat" in m.content for m in flooder.messages))
    await asyncio.sleep(0.5)
    told = [m for m in flooder.messages if "terlalu cepat" in m.content]
    answered = [m for m in flooder.messages if "terlalu cepat" not in m.content]
    assert len(told) == 1
    assert len(answered) < 40  # the excess was dropped, not queued


async def test_a_flood_limit_holds_only_its_own_chat():
    limiter = TelegramLimiter()
    finished: list[int] = []
    hit = []

    async def send(chat_id):
        if chat_id == 1 and not hit:
            hit.append(1)
            raise RetryAfter(1)
        finished.append(chat_id)
        return True

    async def request(chat_id):
        return await limiter.process_request(send, (chat_id,), {}, "sendMessage", {"chat_id": chat_id}, None)

    first = asyncio.create_task(request(1))
    await asyncio.sleep(0)  # chat 1 is now waiting out its flood limit
    await request(2)
    await first
    assert finished == [2, 1]


async def test_an_unreadable_update_is_quarantined_and_polling_goes_on(uji, server, storage, posyandu_ids, caplog):
    with caplog.at_level(logging.ERROR), server.state.cond:
        bad = server.state.post_update("message", {"message_id": 1, "date": "never", "chat": "?"})
    siti = await register(server, storage, posyandu_ids["Mawar"])
    siti.send("/lapor")
    await said(siti, "balita sasaran")
    [kept] = await storage.updates.quarantined()
    assert kept.update_id == bad and "unreadable" in kept.reason
    assert bad not in [u["update_id"] for u in server.pending_updates]


async def test_an_update_that_came_first_on_three_starts_is_quarantined(storage):
    assert await storage.updates.count_attempts([5, 6], 3) == set()
    assert await storage.updates.count_attempts([5], 3) == set()
    assert await storage.updates.count_attempts([5, 7], 3) == {5}


@pytest.mark.parametrize("kind", ["message", "callback_query"])
def test_chat_of_an_update(kind):
    data = {"update_id": 1, kind: {"id": "1", "from": {"id": 3, "is_bot": False, "first_name": "A"}}}
    if kind == "message":
        data[kind] = {"message_id": 1, "date": 0, "chat": {"id": 3, "type": "private"}, "from": data[kind]["from"]}
    else:
        data[kind]["chat_instance"] = "x"
    assert polling._chat_of(Update.de_json(data, None)) == 3
