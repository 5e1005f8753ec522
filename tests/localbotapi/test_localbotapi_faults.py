"""Fault injection: flood control, blocked users, 5xx errors, delays."""

import time

import httpx


def test_per_chat_flood_limit(server, api):
    server.user(1001)
    server.enforce_flood_limits(per_chat_per_second=2)
    assert api("sendMessage", chat_id=1001, text="1")["ok"]
    assert api("sendMessage", chat_id=1001, text="2")["ok"]
    body = api("sendMessage", chat_id=1001, text="3")
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert [(hit.method, hit.chat_id) for hit in server.flood_hits] == [("sendMessage", 1001)]
    assert server.violations == []  # an injected condition, not a bad request
    assert api("sendChatAction", chat_id=1001, action="typing")["ok"]  # not rate-limited


def test_global_flood_limit_and_fixed_retry_after(server, api):
    for user_id in (1, 2, 3):
        server.user(user_id)
    server.enforce_flood_limits(global_per_second=2, retry_after=7)
    assert api("sendMessage", chat_id=1, text="x")["ok"]
    assert api("sendMessage", chat_id=2, text="x")["ok"]
    assert api("sendMessage", chat_id=3, text="x")["parameters"] == {"retry_after": 7}


def test_flood_window_slides(server, api):
    server.user(1001)
    server.enforce_flood_limits(per_chat_per_second=1)
    assert api("sendMessage", chat_id=1001, text="1")["ok"]
    assert not api("sendMessage", chat_id=1001, text="2")["ok"]
    time.sleep(1.05)
    assert api("sendMessage", chat_id=1001, text="3")["ok"]
    server.disable_flood_limits()
    assert api("sendMessage", chat_id=1001, text="4")["ok"]


def test_blocked_user(server, api):
    siti = server.user(1001)
    server.block(1001)
    body = api("sendMessage", chat_id=1001, text="x")
    assert (body["error_code"], body["description"]) == (403, "Forbidden: bot was blocked by the user")
    assert siti.messages == [] and server.violations == []
    server.unblock(1001)
    assert api("sendMessage", chat_id=1001, text="x")["ok"]


def test_fail_next(server, api):
    server.fail_next("sendmessage", status=502, times=2)
    server.user(1001)
    assert api("sendMessage", chat_id=1001, text="x") == {
        "ok": False,
        "error_code": 502,
        "description": "Bad Gateway",
    }
    assert api("sendMessage", chat_id=1001, text="x")["error_code"] == 502
    assert api("sendMessage", chat_id=1001, text="x")["ok"]


def test_delay_makes_client_time_out(server):
    server.user(1001)
    server.delay("sendMessage", 0.5)
    url = f"{server.base_url}123:ABC/sendMessage"
    try:
        httpx.post(url, data={"chat_id": "1001", "text": "x"}, timeout=0.1)
    except httpx.ReadTimeout:
        pass
    else:
        raise AssertionError("expected a read timeout")
    server.delay("sendMessage", 0)
    assert httpx.post(url, data={"chat_id": "1001", "text": "y"}).json()["ok"]


def test_requests_are_logged(server, api):
    server.user(1001)
    api("sendMessage", chat_id=1001, text="x")
    api("sendMessage", chat_id=1001)
    method, params, at = server.requests[0]
    assert (method, params) == ("sendMessage", {"chat_id": 1001, "text": "x"}) and at <= time.time()
    assert server.requests[1].params == {"chat_id": "1001"}  # undecodable: logged as received
    assert server.calls("SENDMESSAGE")[0]["text"] == "x"


def _abort_mid_request(server, head: bytes, body: bytes) -> None:
    """A client killed while sending: the headers and part of the body, then the connection ends."""
    import socket

    with socket.create_connection((server.host, server.port), timeout=5) as conn:
        conn.sendall(head + body)
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(5)
        assert conn.recv(1024) == b""  # no answer: the server just closes


def test_a_request_cut_off_mid_body_is_not_a_violation(server, api):
    from tests.localbotapi.conftest import TOKEN

    server.user(1001)
    path = f"/bot{TOKEN}/sendMessage".encode()
    body = b'{"chat_id": 1001, "text": "a long message that never fully arrives"}'
    _abort_mid_request(
        server,
        b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body),
        body[:20],
    )
    _abort_mid_request(
        server,
        b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n",
        b"%x\r\n" % len(body) + body[:10],
    )
    assert server.violations == [] and server.requests == []
    assert api("sendMessage", chat_id=1001, text="still serving")["ok"]


def test_an_injected_500_is_not_the_bots_violation(server, api):
    server.user(1001)
    server.fail_next("sendMessage", 500)
    assert api("sendMessage", chat_id=1001, text="x")["error_code"] == 500
    assert server.violations == []
