"""getUpdates: long polling, offsets, allowed_updates, conflicts."""

import threading
import time

import httpx


def test_long_poll_wakes_promptly_on_new_update(server, api):
    siti = server.user(1001)
    threading.Timer(0.2, siti.send, args=("halo",)).start()
    started = time.monotonic()
    body = api("getUpdates", timeout=5)
    elapsed = time.monotonic() - started
    assert [u["message"]["text"] for u in body["result"]] == ["halo"]
    assert 0.15 < elapsed < 1.0


def test_long_poll_times_out_empty(server, api):
    started = time.monotonic()
    assert api("getUpdates", timeout=1)["result"] == []
    assert 0.9 < time.monotonic() - started < 2


def test_offset_confirms_older_updates(server, api):
    siti = server.user(1001)
    first, second, third = siti.send("a"), siti.send("b"), siti.send("c")
    assert [u["update_id"] for u in api("getUpdates")["result"]] == [first, second, third]
    assert [u["update_id"] for u in api("getUpdates", limit=1)["result"]] == [first]
    assert [u["update_id"] for u in api("getUpdates", offset=second)["result"]] == [second, third]
    # Confirmed updates are gone for good, even when asking with a lower offset again.
    assert [u["update_id"] for u in api("getUpdates", offset=first)["result"]] == [second, third]
    assert api("getUpdates", offset=third + 1)["result"] == []
    assert server.pending_updates == []


def test_negative_offset_keeps_only_the_latest(server, api):
    siti = server.user(1001)
    siti.send("a")
    last = siti.send("b")
    assert [u["update_id"] for u in api("getUpdates", offset=-1)["result"]] == [last]


def test_allowed_updates_filters_and_persists(server, api):
    siti = server.user(1001)
    api(
        "sendMessage",
        chat_id=1001,
        text="Pilih",
        reply_markup={"inline_keyboard": [[{"text": "Ya", "callback_data": "ya"}]]},
    )
    siti.send("teks")
    pressed = siti.press("Ya")
    assert [u["update_id"] for u in api("getUpdates", allowed_updates=["callback_query"])["result"]] == [pressed]
    siti.send("lagi")
    assert api("getUpdates", offset=pressed + 1)["result"] == []  # the earlier allowed_updates still apply


def test_second_poller_gets_conflict(server):
    url = f"{server.base_url}123:ABC/getUpdates"
    results = {}
    first = threading.Thread(
        target=lambda: results.setdefault("first", httpx.post(url, data={"timeout": "5"}, timeout=10))
    )
    first.start()
    time.sleep(0.2)
    second = httpx.post(url, data={"timeout": "0"})
    first.join()
    assert second.json() == {"ok": True, "result": []}
    assert results["first"].status_code == 409
    assert results["first"].json()["description"].startswith("Conflict: terminated by other getUpdates request")


def test_webhook_blocks_polling_until_deleted(server, api):
    siti = server.user(1001)
    siti.send("a")
    assert api("setWebhook", url="https://example.org/hook")["ok"]
    assert api("getWebhookInfo")["result"] == {
        "url": "https://example.org/hook",
        "has_custom_certificate": False,
        "pending_update_count": 1,
    }
    assert api("getUpdates")["error_code"] == 409
    assert api("deleteWebhook", drop_pending_updates=True)["ok"]
    assert api("getUpdates")["result"] == []


def test_stop_releases_waiting_poll(server):
    url = f"{server.base_url}123:ABC/getUpdates"
    outcome = {}

    def poll():
        try:
            outcome["body"] = httpx.post(url, data={"timeout": "30"}, timeout=10).json()
        except httpx.HTTPError as error:  # the connection may be closed instead
            outcome["error"] = error

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.2)
    started = time.monotonic()
    server.stop()
    poller.join(timeout=5)
    assert not poller.is_alive() and time.monotonic() - started < 2
    assert outcome.get("body", {"result": []})["result"] == []
