"""`python bot.py demo`: the demo database, the local Bot API, the real bot, and a chat in the
terminal as one of the demo people.

The event loop prints what the bot sends (a small task watches the simulated chats) while a
daemon thread waits for the next typed line, so the bot's messages appear as they come and
Ctrl-C or Ctrl-D always end the demo cleanly: the bot is stopped with SIGTERM, like in
production, and the local Bot API after it.
"""

from __future__ import annotations

import asyncio
import itertools
import queue
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from devtools.demo import terminal
from devtools.demo.bot_process import BotDidNotStart, LocalBot
from devtools.demo.world import DISTRICT_NAME, HISTORY_MONTHS, VILLAGES, DemoWorld, Persona, build_world
from devtools.localbotapi import ChatMessage, LocalBotApi, SimUser
from domain.forms import load_forms
from domain.texts import catalogue
from runtime.settings import REPO_DIR

DATABASE_NAME = "demo.sqlite3"
EXPORTS_FOLDER = "exports"
FIRST_REPLY_WAIT = 10.0  # seconds to wait for the bot's first reply to what was typed
QUIET = 0.4  # ... and then until it has been quiet this long
BUSY_MARK = "⏳"  # the bot's "working on it" (an export): wait for what follows
BUSY_WAIT = 120.0
ALIASES = {"kader": ("cadre",), "bidan": ("midwife",), "koordinator": ("coordinator",), "tamu": ("guest",)}


class Texts:
    """The demo's own texts (domain/texts, section ``demo``), as plain terminal text."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._texts = catalogue(language)

    def __call__(self, name: str, /, **params) -> str:
        return self._texts[name].format(**params)

    def role(self, persona: Persona) -> str:
        return self._texts[f"role.{persona.role.value}"] if persona.role else self("demo.guest_role")


@dataclass
class Person:
    persona: Persona
    user: SimUser
    names: tuple[str, ...]


class LineReader:
    """Blocking ``input()`` in a daemon thread, one line per request; None at end of input."""

    def __init__(self, loop: asyncio.AbstractEventLoop, stream: TextIO) -> None:
        self._loop, self._stream = loop, stream
        self._requests: queue.Queue[asyncio.Future] = queue.Queue()
        self.echo = not _is_terminal(stream)  # piped input: show what was "typed", like a transcript
        threading.Thread(target=self._run, name="demo-input", daemon=True).start()

    async def line(self) -> str | None:
        future = self._loop.create_future()
        self._requests.put(future)
        return await future

    def _run(self) -> None:
        while True:
            future = self._requests.get()
            try:
                line = input() if self._stream is sys.stdin else self._stream.readline() or None
            except EOFError:
                line = None
            except Exception:  # a closed or broken terminal ends the demo like Ctrl-D
                line = None
            self._loop.call_soon_threadsafe(_settle, future, line)
            if line is None:
                return


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _settle(future: asyncio.Future, value) -> None:
    if not future.done():
        future.set_result(value)


class ChatView:
    """Shows the bot's messages to the person at the terminal and acts for them."""

    def __init__(
        self, server: LocalBotApi, world: DemoWorld, exports: Path, texts: Texts, write: Callable[[str], None]
    ) -> None:
        self.server, self.world, self.exports, self.texts, self.write = server, world, exports, texts, write
        self.people = [
            Person(
                p,
                server.user(p.telegram_id, p.name, language_code=texts.language),
                (p.key, *ALIASES.get(p.key, ()), p.name.lower()),
            )
            for p in world.personas
        ]
        self.current = 0
        self._shown: dict[tuple[int, int], tuple] = {}
        self._announced: dict[int, int] = {}
        self.activity = 0  # bot messages (and changes) shown so far
        self.last_activity = 0.0
        self.at_prompt = False

    @property
    def person(self) -> Person:
        return self.people[self.current]

    def prompt(self) -> str:
        persona = self.person.persona
        return self.texts("demo.prompt", handle=persona.key, name=persona.name)

    # -- showing ----------------------------------------------------------------------------
    def pump(self) -> None:
        """Show what is new in the current chat; announce what is new in the others."""
        state = self.server.state
        with state.cond:
            fresh = self.person.user.unseen
            self.person.user.mark_seen()
            waiting = {p.persona.telegram_id: len(p.user.unseen) for p in self.people if p is not self.person}
        lines = [line for message in fresh for line in self._lines(message)]
        for person in self.people:
            count = waiting.get(person.persona.telegram_id, 0)
            if count > self._announced.get(person.persona.telegram_id, 0):
                lines.append(
                    self.texts("demo.unread", count=count, name=person.persona.name, handle=person.persona.key)
                )
            self._announced[person.persona.telegram_id] = count
        if lines:
            self.write(
                ("\n" if self.at_prompt else "") + "\n".join(lines) + "\n" + (self.prompt() if self.at_prompt else "")
            )

    def _lines(self, message: ChatMessage) -> list[str]:
        key = (message.chat_id, message.message_id)
        rows = tuple(tuple(b["text"] for b in row) for row in (message.reply_markup or {}).get("inline_keyboard", []))
        signature = (message.content, rows)
        before = self._shown.get(key)
        self._shown[key] = signature
        lines = self._changes(message, before, signature)
        if lines:  # what counts as the bot's answer (not the removal of buttons already used)
            self.activity += 1
            self.last_activity = asyncio.get_running_loop().time()
        return lines

    def _changes(self, message: ChatMessage, before: tuple | None, now: tuple) -> list[str]:
        text, rows = now
        if before == now:
            return []
        if before is None:
            lines = terminal.message_lines(text, rows, keyboard=_reply_keyboard(message))
            if message.document:
                lines.append(terminal.INDENT + self.texts("demo.saved", path=self._save(message)))
            return lines
        if before[0] != text:
            return terminal.message_lines(text, rows, edited=True)
        if rows:  # only the buttons changed (a choice ticked): show them again
            return terminal.message_lines(_first_line(text), rows, edited=True)
        return []  # the buttons were taken away after an answer: nothing to see

    def _save(self, message: ChatMessage) -> Path:
        with self.server.state.cond:
            data = self.server.state.files[message.document["file_id"]].data
        name = Path(message.document.get("file_name") or "file").name
        target = self.exports / name
        for number in itertools.count(2):
            if not target.exists():
                break
            target = self.exports / f"{Path(name).stem} ({number}){Path(name).suffix}"
        target.write_bytes(data)
        return target

    # -- acting -----------------------------------------------------------------------------
    def send(self, text: str) -> bool:
        self.person.user.send(text)
        return True

    def press(self, number: int) -> bool:
        with self.server.state.cond:
            message = next((m for m in reversed(self.person.user.messages) if m.buttons), None)
        if message is None:
            self.write(self.texts("demo.no_buttons") + "\n")
            return False
        if not 1 <= number <= len(message.buttons):
            self.write(self.texts("demo.no_such_button", number=number, count=len(message.buttons)) + "\n")
            return False
        try:
            self.person.user.press(number - 1, message)
        except ValueError:
            self.write(self.texts("demo.not_pressable") + "\n")
            return False
        return True

    def switch(self, who: str) -> None:
        index = terminal.choose_person(who, [p.names for p in self.people])
        if index is None:
            people = ", ".join(p.persona.key for p in self.people)
            self.write(self.texts("demo.unknown_person", who=who, people=people) + "\n")
            return
        self.current = index
        persona = self.person.persona
        self.write(self.texts("demo.now_other", name=persona.name, role=self.texts.role(persona)) + "\n")
        self.pump()

    def introduce(self) -> None:
        t = self.texts
        lines = [t("demo.people")]
        for person in self.people:
            p = person.persona
            if p.role is None:
                lines.append(t("demo.guest", handle=p.key, name=p.name, code=self.world.invitation))
            else:
                lines.append(t("demo.person", handle=p.key, name=p.name, role=t.role(p), place=p.place))
        self.write("\n".join(lines) + "\n")

    async def settle(self, before: int) -> None:
        """Wait for the bot's answer to what was just done, and until it has gone quiet."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FIRST_REPLY_WAIT
        while self.activity == before:
            if loop.time() > deadline:
                self.write(self.texts("demo.no_reply") + "\n")
                return
            await asyncio.sleep(0.02)
        while loop.time() - self.last_activity < QUIET:
            await asyncio.sleep(0.02)
        busy_until = loop.time() + BUSY_WAIT
        while self._busy() and loop.time() < busy_until:
            await asyncio.sleep(0.05)

    def _busy(self) -> bool:
        last = self.person.user.last
        return last is not None and last.content.startswith(BUSY_MARK)


async def _watch(view: ChatView) -> None:
    while True:
        view.pump()
        await asyncio.sleep(0.05)


async def chat(view: ChatView, reader: LineReader) -> None:
    """The conversation: read a line, do it, wait for the bot; until :q or the end of input."""
    t = view.texts
    watcher = asyncio.create_task(_watch(view))
    try:
        while True:
            view.write(view.prompt())
            view.at_prompt = True
            line = await reader.line()
            view.at_prompt = False
            if reader.echo and line is not None:
                view.write(line.rstrip("\n") + "\n")
            if line is None:
                view.write("\n")
                return
            command = terminal.parse(line)
            before = view.activity
            acted = False
            match command:
                case terminal.Send(text):
                    acted = view.send(text)
                case terminal.Press(number):
                    acted = view.press(number)
                case terminal.SwitchTo(who):
                    view.switch(who)
                case terminal.People():
                    view.introduce()
                case terminal.Help():
                    view.write(t("demo.help") + "\n")
                case terminal.Quit():
                    return
                case terminal.Unknown(text):
                    view.write(t("demo.unknown_command", command=text) + "\n")
            if acted:
                await view.settle(before)
    finally:
        watcher.cancel()


async def run_demo(
    folder: Path,
    *,
    language: str = "id",
    seed: int = 7,
    stdin: TextIO | None = None,
    write: Callable[[str], None] | None = None,
) -> int:
    """The whole demo; returns the exit status."""
    write = write or _stdout
    texts = Texts(language)
    folder = folder.resolve()
    exports = folder / EXPORTS_FOLDER
    exports.mkdir(parents=True, exist_ok=True)
    database = folder / DATABASE_NAME
    for leftover in (database, database.with_name(DATABASE_NAME + "-wal"), database.with_name(DATABASE_NAME + "-shm")):
        leftover.unlink(missing_ok=True)  # every demo starts from a fresh world

    forms = load_forms(REPO_DIR / "forms")
    write(
        texts(
            "demo.building",
            district=DISTRICT_NAME,
            villages=len(VILLAGES),
            posyandu=sum(len(names) for _, names in VILLAGES.values()),
            months=HISTORY_MONTHS,
        )
        + "\n"
    )
    world = await build_world(database, forms, datetime.now(UTC), seed=seed, language=language)
    write(texts("demo.built", reports=world.reports) + "\n" + texts("demo.starting") + "\n")
    with LocalBotApi() as server:
        for telegram_id in world.others:  # so that reminders to them reach someone
            server.user(telegram_id, "Demo")
        view = ChatView(server, world, exports, texts, write)
        bot = LocalBot(server, database, folder)
        try:
            try:
                await bot.start()
            except BotDidNotStart as problem:
                write(texts("demo.bot_failed", problem=problem) + "\n")
                return 1
            write("\n" + texts("demo.title") + "\n" + texts("demo.folder", folder=folder, exports=exports) + "\n\n")
            view.introduce()
            write("\n" + texts("demo.help") + "\n\n")
            persona = view.person.persona
            write(texts("demo.now", name=persona.name, role=texts.role(persona)) + "\n")
            await chat(view, LineReader(asyncio.get_running_loop(), stdin or sys.stdin))
        finally:
            write(texts("demo.stopping") + "\n")
            await bot.stop()
    write(texts("demo.bye", folder=folder) + "\n")
    return 0


def _stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _reply_keyboard(message: ChatMessage) -> list[list[str]]:
    rows = (message.keyboard or {}).get("keyboard", [])
    return [[b if isinstance(b, str) else b.get("text", "") for b in row] for row in rows]


def _first_line(text: str) -> str:
    first = text.splitlines()[0] if text else ""
    return first if len(first) <= 60 else first[:59] + "…"
