"""Benchmark: report answers processed per second by the real bot, against a bare
python-telegram-bot echo bot, with many people typing at once, on the local Bot API.

Each bot runs as its own process (`bot.py run`, exactly what an operator starts; the echo bot
is bench/echo_bot.py), against a fresh LocalBotApi in this process, where the simulated
people live. Each person answers one question, waits for the bot's next message (the next
question, or the echo), answers the next, and so on; all people at once. Before the clock
starts, every kader has opened the monthly posyandu report (/lapor, the form's button), so
what is timed is answering questions: parse, check the rules, save the answer and the
session in one transaction, send the next question.

    python devtools/bench/bench_conversation.py                        # 200 people x 20 answers, 3 rounds
    python devtools/bench/bench_conversation.py --people 5 --answers 3 --rounds 1   # quick look

Prints answers/s of each and the ratios (target: the real bot >= 0.5 x the bare echo bot);
the bots take turns, round after round, and the ratio is the median of the rounds, since on a
two-core machine one run can differ from the next by a tenth.
The echo bot is measured twice: bare, and with the rate limiter the real bot uses
(app.telegram_limits: replies go at once, only broadcasts are paced), so the ratio to the
limited echo bot shows the cost of the bot's own work alone.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from devtools.bench.echo_bot import READY_LINE as ECHO_READY
from devtools.bench.population import populate
from devtools.demo.bot_process import LocalBot
from devtools.demo.history import plausible_answers
from devtools.localbotapi import ChatMessage, LocalBotApi, SimUser
from domain.answers import display
from domain.forms import FormSpec, load_forms
from domain.periods import Period
from runtime.settings import REPO_DIR
from storage import Storage

FORM_ID = "posyandu_bulanan"
FORM_BUTTON = "Laporan Bulanan Posyandu"
REPLY_TIMEOUT = 120.0
BOTS = {  # key -> (label, echo bot?, with the real bot's rate limiter?)
    "echo": ("echo bot (bare PTB)", True, False),
    "echo_limited": ("echo bot + TelegramLimiter", True, True),
    "lapordesa": ("Lapor Desa bot (bot.py run)", False, False),
}


@dataclass(frozen=True)
class Send:
    text: str


@dataclass(frozen=True)
class Press:
    label: str | int


Flow = Generator[Send | Press, ChatMessage, None]


def open_report() -> Flow:
    """/lapor, the posyandu report's button, and the newest month when two are open."""
    message = yield Send("/lapor")
    if FORM_BUTTON in message.button_texts:
        message = yield Press(FORM_BUTTON)
    if "Untuk bulan apa" in message.content:
        yield Press(-1)


def answer(texts: list[str]) -> Flow:
    for text in texts:
        yield Send(text)


class Crowd:
    """Drives many simulated people at once from one thread: each acts again as soon as the bot
    sent their chat a new message (edits of old messages are not answers)."""

    def __init__(self, server: LocalBotApi) -> None:
        self.server = server
        self._read = len(server.sent_messages)

    def run(self, flows: dict[SimUser, Flow]) -> int:
        """Run every flow to its end; returns the number of actions taken."""
        state, actions = self.server.state, 0
        waiting: dict[int, tuple[SimUser, Flow]] = {}
        for user, flow in flows.items():
            actions += self._act(user, flow, None, waiting)
        deadline = time.monotonic() + REPLY_TIMEOUT
        while waiting:
            with state.cond:
                while len(state.sent_messages) == self._read:
                    if not state.cond.wait(timeout=max(0.0, deadline - time.monotonic())):
                        raise TimeoutError(f"{len(waiting)} people got no reply within {REPLY_TIMEOUT}s")
                fresh = state.sent_messages[self._read :]
                self._read = len(state.sent_messages)
            deadline = time.monotonic() + REPLY_TIMEOUT
            for message in fresh:
                if message.chat_id in waiting:
                    user, flow = waiting.pop(message.chat_id)
                    actions += self._act(user, flow, message, waiting)
        return actions

    @staticmethod
    def _act(user: SimUser, flow: Flow, message: ChatMessage | None, waiting: dict) -> int:
        try:
            step = next(flow) if message is None else flow.send(message)
        except StopIteration:
            return 0
        if isinstance(step, Send):
            user.send(step.text)
        else:
            user.press(step.label)
        waiting[user.id] = (user, flow)
        return 1


def typed_answers(form: FormSpec, count: int, seed: int) -> list[str]:
    """What a person types for the first ``count`` questions: plausible, rule-abiding answers."""
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
    values = plausible_answers(form, Period.of(today), random.Random(seed))
    questions = [form.question(q) for q in values][:count]
    return [display(q, values[q.id]).split()[0] if values[q.id] is not None else "/lewati" for q in questions]


@dataclass
class Measurement:
    label: str
    answers: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.answers / self.seconds


def measure_bot(
    label: str,
    people: int,
    answers: int,
    folder: Path,
    *,
    echo: bool,
    rate_limiter: bool = False,
    form: FormSpec | None = None,
) -> tuple[Measurement, int]:
    """One bot process on a fresh double; returns the measurement and the answers it stored."""
    database = folder / f"{label}.sqlite3"
    kader = asyncio.run(_populate(database, people))
    with LocalBotApi() as server:
        users = [server.user(k.telegram_id, "Kader") for k in kader]
        if echo:
            command = [
                sys.executable,
                str(REPO_DIR / "devtools" / "bench" / "echo_bot.py"),
                *(["--rate-limiter"] * rate_limiter),
            ]
            bot = LocalBot(server, database, folder, command=command, ready_line=ECHO_READY, log_name=f"{label}.log")
        else:
            bot = LocalBot(server, database, folder, log_name=f"{label}.log")
        asyncio.run(bot.start())
        try:
            crowd = Crowd(server)
            if not echo:
                crowd.run({u: open_report() for u in users})
            scripts = {u: answer(typed_answers(form, answers, seed=n)) for n, u in enumerate(users)}
            started = time.perf_counter()
            done = crowd.run(scripts)
            seconds = time.perf_counter() - started
        finally:
            asyncio.run(bot.stop())
        if server.violations:
            raise AssertionError(f"{label}: invalid Bot API calls: {server.violations[:3]}")
    stored = done if echo else asyncio.run(_stored_answers(database))
    return Measurement(label, done, seconds), stored


async def _populate(database: Path, people: int):
    storage = await Storage.open(database)
    try:
        return await populate(storage, people)
    finally:
        await storage.close()


async def _stored_answers(database: Path) -> int:
    storage = await Storage.open(database)
    try:
        return await storage.db.fetchval("SELECT count(*) FROM draft_answers")
    finally:
        await storage.close()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--answers", type=int, default=20, help="answers per person")
    parser.add_argument("--rounds", type=int, default=3, help="each bot measured this often, interleaved")
    parser.add_argument("--bots", nargs="+", choices=list(BOTS), default=list(BOTS), help="which to measure")
    args = parser.parse_args(argv)
    form = load_forms(REPO_DIR / "forms")[FORM_ID]
    rounds: list[dict[str, Measurement]] = []
    stored: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="bench-conversation-") as tmp:
        for number in range(args.rounds):
            results = {}
            for key in args.bots:
                label, echo, limiter = BOTS[key]
                folder = Path(tmp) / f"round{number}"
                folder.mkdir(exist_ok=True)
                results[key], stored[key] = measure_bot(
                    key, args.people, args.answers, folder, echo=echo, rate_limiter=limiter, form=form
                )
                results[key].label = label
            rounds.append(results)
    print(
        f"{args.people} people x {args.answers} answers each, at once, local Bot API, "
        f"{args.rounds} interleaved rounds ({datetime.now(UTC):%Y-%m-%d})"
    )
    for number, results in enumerate(rounds, 1):
        for m in results.values():
            print(
                f"  round {number}: {m.label:28} {m.answers:6} answers in {m.seconds:7.2f} s: {m.rate:8.1f} answers/s"
            )
    if "lapordesa" in args.bots:
        for key, target in (("echo", "  (target >= 0.5)"), ("echo_limited", "")):
            if key in args.bots:
                ratios = [r["lapordesa"].rate / r[key].rate for r in rounds]
                print(
                    f"  ratio Lapor Desa / {BOTS[key][0]:26} = {statistics.median(ratios):.2f} median "
                    f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)}){target}"
                )
        print(f"  answers stored in draft_answers: {stored['lapordesa']} (expected {args.people * args.answers})")
    return {"rounds": rounds, "stored": stored}


if __name__ == "__main__":
    main()
