"""The HTTP front: routes ``/bot<token>/<method>`` and ``/file/bot<token>/<path>``.

:class:`LocalBotApi` is also the public face of the package: it owns the
state, the spec, the fault injection and the simulated people.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import unquote

from . import encoding, methods, rules
from .errors import ApiError
from .limits import Faults, FloodHit
from .people import SimGroup, SimUser
from .spec import Spec, UploadedFile
from .state import ChatMessage, State, scope_key

# Failures that mean the bot sent something Telegram would refuse (or that the
# double cannot answer), as opposed to conditions a test injected on purpose.
_VIOLATION_CODES = {400, 404, 500, 501}


class RequestRecord(NamedTuple):
    """One call as the server received it (typed params once they validated)."""

    method: str
    params: dict
    time: float


@dataclass(frozen=True)
class Violation:
    """A request the real Bot API would have rejected (or the double could not serve)."""

    method: str
    params: dict
    error_code: int
    description: str

    def __str__(self) -> str:
        return f"{self.method}: {self.error_code} {self.description} (params: {self.params})"


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], api: LocalBotApi) -> None:
        super().__init__(address, _Handler)
        self.api = api
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()


class _Aborted(Exception):
    """The client closed the connection before the request's body was complete."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like api.telegram.org
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm
        # meets the client's delayed ACK and every response takes ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def log_message(self, format: str, *args) -> None:
        """Silence per-request logging; tests read ``server.requests`` instead."""

    def _route(self) -> None:
        path, _, query = self.path.partition("?")
        try:
            body = self._read_body()
        except (_Aborted, ConnectionError, OSError, ValueError):
            # The client went away mid-request (killed, timed out): there is no request to judge,
            # so it is neither served nor counted as a violation.
            self.close_connection = True
            return
        api = self.server.api
        if path.startswith("/file/bot"):
            _token, _, file_path = path.removeprefix("/file/bot").partition("/")
            stored = api.state.files_by_path.get(unquote(file_path))
            if stored is None:
                self._reply(404, json.dumps(ApiError(404, "Not Found").payload()).encode(), "application/json")
            else:
                self._reply(200, stored.data, stored.mime_type or "application/octet-stream")
            return
        if path.startswith("/bot") and "/" in path[4:]:
            token, _, method = path[4:].partition("/")
            status, payload = api.handle(token, method, self.headers.get("Content-Type", ""), body, query)
        else:
            status, payload = 404, ApiError(404, "Not Found").payload()
        self._reply(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json")

    def _read_body(self) -> bytes:
        """The whole body, or _Aborted when the connection ends before it is complete."""
        if "chunked" not in self.headers.get("Transfer-Encoding", "").lower():
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if len(body) < length:
                raise _Aborted
            return body
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0], 16):  # b"" (closed): ValueError
            chunk = self.rfile.read(size)
            if len(chunk) < size:
                raise _Aborted
            chunks.append(chunk)
            self.rfile.readline()  # CRLF after each chunk
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailer fields
        return b"".join(chunks)

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (ConnectionError, OSError):
            self.close_connection = True  # the client gave up (e.g. after a delay()); nothing to tell it


class LocalBotApi:
    """A local Telegram Bot API server for tests, demos and benchmarks.

    >>> with LocalBotApi() as server:          # doctest: +SKIP
    ...     siti = server.user(1001, "Siti")
    ...     # run the bot with base_url=server.base_url, base_file_url=server.base_file_url
    ...     siti.send("/start")
    ...     siti.wait_for_text("Selamat datang")
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bot_username: str = "LaporDesaBot",
        bot_first_name: str = "Lapor Desa",
    ) -> None:
        self.host = host
        self.port = port
        self.spec = Spec.load()
        self.state = State()
        self.bot = methods.BotProfile(bot_username, bot_first_name)
        self.faults = Faults()
        self.requests: list[RequestRecord] = []
        self.violations: list[Violation] = []
        self._users: dict[int, SimUser] = {}
        self._groups: dict[int, SimGroup] = {}
        self._http: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> LocalBotApi:
        self._http = _HttpServer((self.host, self.port), self)
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.01}, name="localbotapi", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: pending long polls return, open connections are closed."""
        if self._http is None:
            return
        self.state.close()
        self._http.shutdown()
        with self._http.connections_lock:
            for connection in list(self._http.connections):
                with contextlib.suppress(OSError):  # already closed by the client
                    connection.shutdown(socket.SHUT_RDWR)
        self._http.server_close()
        self._thread.join()
        self._http = None

    def __enter__(self) -> LocalBotApi:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # -- people ---------------------------------------------------------------------

    def user(
        self,
        telegram_id: int,
        first_name: str = "Siti",
        language_code: str | None = "id",
        username: str | None = None,
        last_name: str | None = None,
    ) -> SimUser:
        """The simulated user with this id (created on first call, with a private
        chat the bot may write to, as if they had pressed Start)."""
        with self.state.cond:
            if telegram_id not in self._users:
                user = {"id": telegram_id, "is_bot": False, "first_name": first_name}
                chat = {"id": telegram_id, "type": "private", "first_name": first_name}
                for key, value in (("last_name", last_name), ("username", username)):
                    if value:
                        user[key] = chat[key] = value
                if language_code:
                    user["language_code"] = language_code
                self.state.users[telegram_id] = user
                self.state.chats[telegram_id] = chat
                self._users[telegram_id] = SimUser(self.state, user)
            return self._users[telegram_id]

    def group(self, chat_id: int, title: str, *, supergroup: bool = False) -> SimGroup:
        """A group chat (ids of groups are negative on Telegram)."""
        with self.state.cond:
            if chat_id not in self._groups:
                chat = {"id": chat_id, "type": "supergroup" if supergroup else "group", "title": title}
                self.state.chats[chat_id] = chat
                self._groups[chat_id] = SimGroup(self.state, chat)
            return self._groups[chat_id]

    # -- fault injection -----------------------------------------------------------------

    def block(self, user_id: int) -> None:
        """The user blocked the bot: calls aimed at their chat get 403."""
        self.faults.blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self.faults.blocked.discard(user_id)

    def enforce_flood_limits(
        self, global_per_second: int = 30, per_chat_per_second: int = 1, retry_after: int | None = None
    ) -> None:
        """Answer 429 above these rates (sliding one-second window).  ``retry_after``
        fixes the advertised wait; by default it is the time until the window frees."""
        self.faults.enforce_flood_limits(global_per_second, per_chat_per_second, retry_after)

    def disable_flood_limits(self) -> None:
        self.faults.disable_flood_limits()

    def fail_next(self, method: str, status: int = 502, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` fail with this HTTP status."""
        self.faults.fail_next(method, status, times)

    def delay(self, method: str, seconds: float) -> None:
        """Answer calls of ``method`` only after ``seconds`` (0 to stop delaying)."""
        self.faults.delay(method, seconds)

    @property
    def flood_hits(self) -> list[FloodHit]:
        return self.faults.flood_hits

    # -- inspection ---------------------------------------------------------------------

    @property
    def sent_messages(self) -> list[ChatMessage]:
        """Every message the bot sent, in order, in its current (edited) form."""
        return self.state.sent_messages

    @property
    def pending_updates(self) -> list[dict]:
        """Updates queued and not yet confirmed by the bot."""
        with self.state.cond:
            return list(self.state.updates)

    def calls(self, method: str) -> list[dict]:
        """Parameters of every request made to ``method`` (case-insensitive)."""
        return [record.params for record in self.requests if record.method.lower() == method.lower()]

    def documents(self, chat_id: int) -> list[tuple[str, bytes]]:
        """``(file_name, content)`` of every document the bot sent to this chat."""
        found = []
        with self.state.cond:
            for message in self.state.sent_messages:
                if message.chat_id == chat_id and message.document:
                    stored = self.state.files[message.document["file_id"]]
                    found.append((message.document["file_name"], stored.data))
        return found

    def commands(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        """The command list stored for exactly this scope (None = default)."""
        with self.state.cond:
            return list(self.state.commands.get(scope_key(scope, language_code), []))

    def commands_for(self, chat_id: int, language_code: str = "") -> list[dict]:
        """The command menu a user would see in this chat (scopes resolved like Telegram)."""
        with self.state.cond:
            return list(self.state.commands_for(chat_id, language_code))

    # -- request handling ------------------------------------------------------------------

    def handle(self, token: str, name: str, content_type: str, body: bytes, query: str) -> tuple[int, dict]:
        """Serve one Bot API call; returns the HTTP status and the JSON body."""
        method, params, started, logged = name, {}, time.time(), False
        try:
            params = encoding.decode(content_type, body, query)
            method = self.spec.resolve_method(name)
            fields = self.spec.methods[method]["fields"]
            attachments = {
                key: params.pop(key)
                for key in list(params)
                if isinstance(params[key], UploadedFile) and key not in fields
            }
            params = self.spec.validate_call(method, params, attachments)
            formatted = rules.check_call(method, params)
            self.requests.append(RequestRecord(method, params, started))
            logged = True
            time.sleep(self.faults.delay_for(method))
            try:
                self.faults.check(method, params)
            except ApiError as injected:  # a condition the test asked for, not the bot's mistake
                return injected.code, injected.payload()
            call = methods.Call(method, params, token, formatted)
            return 200, {"ok": True, "result": methods.dispatch(self.spec, self.state, self.bot, call)}
        except ApiError as error:
            failure = error
        except Exception as bug:  # a bug in the double must fail tests loudly, not hang them
            traceback.print_exc()
            failure = ApiError(500, f"Internal Server Error: {type(bug).__name__}: {bug}")
        if not logged:
            self.requests.append(RequestRecord(method, params, started))
        if failure.code in _VIOLATION_CODES:
            self.violations.append(Violation(method, params, failure.code, failure.description))
        return failure.code, failure.payload()
