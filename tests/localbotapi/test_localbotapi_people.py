"""Simulated users and groups; bot messages, edits, deletes and callbacks."""

import asyncio
import threading

import pytest

KEYBOARD = {
    "inline_keyboard": [
        [{"text": "✅ Ya", "callback_data": "ya"}, {"text": "❌ Tidak", "callback_data": "tidak"}],
        [{"text": "Bantuan", "url": "https://example.org"}],
    ]
}


def test_commands_get_a_bot_command_entity(server, api):
    siti = server.user(1001, "Siti", username="siti_k")
    siti.send("/lapor demam tinggi")
    siti.send("halo /bukan")
    first, second = (u["message"] for u in api("getUpdates")["result"])
    assert first["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert first["from"] == {
        "id": 1001,
        "is_bot": False,
        "first_name": "Siti",
        "username": "siti_k",
        "language_code": "id",
    }
    assert first["chat"] == {"id": 1001, "type": "private", "first_name": "Siti", "username": "siti_k"}
    assert "entities" not in second
    assert second["message_id"] == first["message_id"] + 1


def test_press_by_label_substring_or_index(server, api):
    siti = server.user(1001)
    api("sendMessage", chat_id=1001, text="Lanjut?", reply_markup=KEYBOARD)
    api("sendMessage", chat_id=1001, text="Info")
    siti.press("Tidak")
    siti.press(0)
    queries = [u["callback_query"] for u in api("getUpdates")["result"]]
    assert [q["data"] for q in queries] == ["tidak", "ya"]
    assert queries[0]["message"]["text"] == "Lanjut?" and queries[0]["from"]["id"] == 1001
    with pytest.raises(ValueError, match="not a callback button"):
        siti.press("Bantuan")
    with pytest.raises(ValueError, match="no inline button"):
        siti.press("Mungkin")


def test_press_data_and_callback_answers(server, api):
    siti = server.user(1001)
    message_id = api("sendMessage", chat_id=1001, text="Lanjut?", reply_markup=KEYBOARD)["result"]["message_id"]
    siti.press_data("hapus_semua", message_id)
    query = api("getUpdates")["result"][0]["callback_query"]
    assert query["data"] == "hapus_semua"
    assert api("answerCallbackQuery", callback_query_id=query["id"], text="Tidak dikenal")["ok"]
    assert siti.callback_answers == [{"callback_query_id": query["id"], "text": "Tidak dikenal"}]
    again = api("answerCallbackQuery", callback_query_id=query["id"])
    assert again["error_code"] == 400 and "query ID is invalid" in again["description"]


def test_edit_rules(server, api):
    siti = server.user(1001)
    budi = server.user(1002, "Budi")
    message_id = api("sendMessage", chat_id=1001, text="Lanjut?", reply_markup=KEYBOARD)["result"]["message_id"]
    assert (
        api("editMessageText", chat_id=1002, message_id=message_id, text="x")["description"]
        == "Bad Request: message to edit not found"
    )
    assert (
        api("editMessageText", chat_id=1001, message_id=99, text="x")["description"]
        == "Bad Request: message to edit not found"
    )
    same = api("editMessageText", chat_id=1001, message_id=message_id, text="Lanjut?", reply_markup=KEYBOARD)
    assert same["description"].startswith("Bad Request: message is not modified: ")
    # Without reply_markup the keyboard goes away, as on Telegram.
    edited = api("editMessageText", chat_id=1001, message_id=message_id, text="Lanjut?")["result"]
    assert "reply_markup" not in edited and "edit_date" in edited
    assert siti.last.buttons == [] and budi.messages == []
    assert api("editMessageReplyMarkup", chat_id=1001, message_id=message_id, reply_markup=KEYBOARD)["ok"]
    assert siti.last.button_texts == ["✅ Ya", "❌ Tidak", "Bantuan"]
    siti.send("pesan saya")
    own = siti.sent[-1].message_id
    assert (
        api("editMessageText", chat_id=1001, message_id=own, text="x")["description"]
        == "Bad Request: message can't be edited"
    )


def test_delete_message(server, api):
    siti = server.user(1001)
    message_id = api("sendMessage", chat_id=1001, text="sementara")["result"]["message_id"]
    assert api("deleteMessage", chat_id=1001, message_id=message_id)["ok"]
    assert siti.messages == []
    assert (
        api("deleteMessage", chat_id=1001, message_id=message_id)["description"]
        == "Bad Request: message to delete not found"
    )


def test_user_edit_and_forward(server, api):
    siti, budi = server.user(1001), server.user(1002, "Budi")
    siti.send("suhu 38")
    siti.edit(siti.sent[0].message_id, "suhu 39")
    siti.forward("kabar dari desa", budi)
    updates = api("getUpdates")["result"]
    assert updates[1]["edited_message"]["text"] == "suhu 39"
    assert updates[2]["message"]["forward_origin"]["sender_user"]["id"] == 1002
    with pytest.raises(ValueError):
        budi.edit(siti.sent[0].message_id, "bukan pesan Budi")


def test_wait_for_uses_a_cursor(server, api):
    siti = server.user(1001)
    api("sendMessage", chat_id=1001, text="satu")
    api("sendMessage", chat_id=1001, text="dua")
    assert siti.wait_for().text == "satu"
    assert siti.wait_for_text("dua").text == "dua"
    with pytest.raises(TimeoutError, match="no bot message"):
        siti.wait_for(timeout=0.05)
    message_id = siti.last.message_id
    api("editMessageText", chat_id=1001, message_id=message_id, text="dua (diubah)")
    assert siti.wait_for().text == "dua (diubah)"  # an edit makes the message unseen again
    api("sendMessage", chat_id=1001, text="tiga")
    siti.mark_seen()
    assert siti.unseen == []


def test_wait_for_wakes_from_another_thread(server, api):
    siti = server.user(1001)
    bot_side = threading.Timer(0.1, api, args=("sendMessage",), kwargs={"chat_id": 1001, "text": "nanti"})
    bot_side.start()
    assert siti.wait_for_text("nanti", timeout=5).text == "nanti"
    bot_side.join()


async def test_await_helpers_poll_without_blocking_the_loop(server, api):
    siti = server.user(1001)

    async def bot_side():
        await asyncio.sleep(0.05)  # runs only if await_text yields to the loop
        await asyncio.to_thread(api, "sendMessage", chat_id=1001, text="Terima kasih")

    task = asyncio.create_task(bot_side())
    assert (await siti.await_text("Terima kasih", timeout=5)).text == "Terima kasih"
    await task
    with pytest.raises(TimeoutError, match="containing 'lagi'"):
        await siti.await_text("lagi", timeout=0.05)


def test_group_messages(server, api):
    siti = server.user(1001)
    group = server.group(-100123, "Kader Posyandu")
    siti.send("/rekap", chat=group)
    message = api("getUpdates")["result"][0]["message"]
    assert message["chat"] == {"id": -100123, "type": "group", "title": "Kader Posyandu"}
    assert message["from"]["id"] == 1001
    api("sendMessage", chat_id=-100123, text="Rekap minggu ini", reply_markup=KEYBOARD)
    assert group.wait_for_text("Rekap").chat_id == -100123 and siti.messages == []
    siti.press("Ya", chat=group)
    assert (
        api("getUpdates", offset=message["message_id"] + 1)["result"][0]["callback_query"]["message"]["chat"]["id"]
        == -100123
    )


def test_commands_per_scope(server, api):
    server.user(1001, language_code="id")
    server.user(1002)
    default = [{"command": "start", "description": "Mulai"}]
    admin = [*default, {"command": "rekap", "description": "Rekap"}]
    api("setMyCommands", commands=default)
    api("setMyCommands", commands=admin, scope={"type": "chat", "chat_id": 1001})
    assert server.commands_for(1001) == admin
    assert server.commands_for(1002) == default
    assert api("getMyCommands", scope={"type": "chat", "chat_id": 1001})["result"] == admin
    assert server.commands({"type": "chat", "chat_id": 1001}) == admin
    api("deleteMyCommands", scope={"type": "chat", "chat_id": 1001})
    assert server.commands_for(1001) == default


def test_profile_methods(server, api):
    server.user(1001, "Siti", username="siti")
    assert api("getChat", chat_id="@siti")["result"]["id"] == 1001
    assert api("setMyDescription", description="Bot laporan desa")["ok"]
    assert api("getMyDescription")["result"] == {"description": "Bot laporan desa"}
    assert api("setMyShortDescription", short_description="Lapor")["ok"]
    assert api("sendChatAction", chat_id=1001, action="typing")["ok"]
    assert api("sendChatAction", chat_id=1001, action="dancing")["error_code"] == 400
    assert api("close")["result"] is True and api("logOut")["result"] is True
    assert api("pinChatMessage", chat_id=1001, message_id=1)["result"] is True  # unsimulated, returns True
    assert api("sendPoll", chat_id=1001, question="q", options=[{"text": "a"}, {"text": "b"}])["error_code"] == 501
