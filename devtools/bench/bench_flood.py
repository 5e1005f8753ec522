"""Benchmark: one person floods the bot while fifty others answer their monthly report.

The local Bot API enforces Telegram's flood limits (30 messages a second overall, one a second
into one chat). The bot runs as its own process (`bot.py run`). Fifty kader answer the posyandu
report, each waiting a human 1-3 s before the next answer; meanwhile one more person (a guest,
who needs no invitation) sends 300 messages in 10 s. What is measured is the reply time of the
fifty: from sending an answer to the next message in their chat.

    python devtools/bench/bench_flood.py                    # 50 people x 8 answers, 300 floods
    python devtools/bench/bench_flood.py --people 5 --answers 3 --flood 60   # quick look

Target (issue 17): the others' p95 reply time under 2 s, none unanswered.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from devtools.bench.bench_conversation import Crowd, Flow, Send, _populate, open_report, typed_answers
from devtools.demo.bot_process import LocalBot
from devtools.localbotapi import ChatMessage, LocalBotApi, SimUser
from domain.forms import load_forms
from runtime.settings import REPO_DIR

FORM_ID = "posyandu_bulanan"
FLOODER_ID = 999_001
REPLY_TIMEOUT = 30.0  # an answer not replied to within this counts as unanswered


class TimedCrowd(Crowd):
    """A crowd whose people think 1-3 s before acting, and whose reply times are recorded."""

    def __init__(self, server: LocalBotApi, seed: int = 7) -> None:
        super().__init__(server)
        self.random = random.Random(seed)
        self.sent_at: dict[int, float] = {}
        self.reply_times: list[float] = []
        self.unanswered = 0

    def run_timed(self, flows: dict[SimUser, Flow]) -> None:
        state = self.server.state
        waiting: dict[int, tuple[SimUser, Flow]] = {}
        due: list[tuple[float, SimUser, Flow, ChatMessage | None]] = [(0.0, u, f, None) for u, f in flows.items()]
        while waiting or due:
            now = time.monotonic()
            for entry in [d for d in due if d[0] <= now]:
                due.remove(entry)
                _, user, flow, message = entry
                if self._act(user, flow, message, waiting):
                    self.sent_at[user.id] = time.monotonic()
            for chat_id in [c for c, at in self.sent_at.items() if c in waiting and now - at > REPLY_TIMEOUT]:
                self.unanswered += 1
                waiting.pop(chat_id)
                del self.sent_at[chat_id]
            with state.cond:
                state.cond.wait(timeout=0.02)
                fresh = state.sent_messages[self._read :]
                self._read = len(state.sent_messages)
            for message in fresh:
                if message.chat_id in waiting and message.chat_id in self.sent_at:
                    self.reply_times.append(time.monotonic() - self.sent_at.pop(message.chat_id))
                    user, flow = waiting.pop(message.chat_id)
                    due.append((time.monotonic() + self.random.uniform(1.0, 3.0), user, flow, message))


def flood(user: SimUser, count: int, seconds: float) -> threading.Thread:
    def send() -> None:
        for number in range(count):
            user.send(f"spam {number}")
            time.sleep(seconds / count)

    thread = threading.Thread(target=send, name="flooder", daemon=True)
    thread.start()
    return thread


def measure(people: int, answers: int, floods: int, folder: Path) -> dict[str, float]:
    form = load_forms(REPO_DIR / "forms")[FORM_ID]
    database = folder / "flood.sqlite3"
    kader = asyncio.run(_populate(database, people))
    with LocalBotApi() as server:
        users = [server.user(k.telegram_id, "Kader") for k in kader]
        flooder = server.user(FLOODER_ID, "Flooder")
        bot = LocalBot(server, database, folder, log_name="flood.log")
        asyncio.run(bot.start())
        try:
            Crowd(server).run({u: open_report() for u in users})
            server.faults.enforce_flood_limits(30, 1, None)
            crowd = TimedCrowd(server)
            flooding = flood(flooder, floods, 10.0)
            started = time.monotonic()
            crowd.run_timed({u: _answers(typed_answers(form, answers, seed=n)) for n, u in enumerate(users)})
            seconds = time.monotonic() - started
            flooding.join()
            flood_hits = len(server.faults.flood_hits)
            flooder_replies = len([m for m in server.sent_messages if m.chat_id == FLOODER_ID])
        finally:
            asyncio.run(bot.stop())
    times = sorted(crowd.reply_times)
    p95 = times[max(0, round(0.95 * len(times)) - 1)] if times else float("nan")
    return {
        "replies": len(times),
        "unanswered": crowd.unanswered,
        "median": statistics.median(times) if times else float("nan"),
        "p95": p95,
        "max": times[-1] if times else float("nan"),
        "seconds": seconds,
        "flood_hits": flood_hits,
        "flooder_replies": flooder_replies,
    }


def _answers(texts: list[str]) -> Flow:
    for text in texts:
        yield Send(text)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--answers", type=int, default=8, help="answers per person")
    parser.add_argument("--flood", type=int, default=300, help="messages the flooder sends in 10 s")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-flood-") as tmp:
        result = measure(args.people, args.answers, args.flood, Path(tmp))
    print(
        f"{args.people} people x {args.answers} answers, one person sending {args.flood} messages in 10 s, "
        f"local Bot API at 30/s overall and 1/s per chat ({datetime.now(UTC):%Y-%m-%d})"
    )
    print(
        f"  reply time of the others: median {result['median']:.2f} s, p95 {result['p95']:.2f} s, "
        f"max {result['max']:.2f} s; {result['replies']} replies, {result['unanswered']} unanswered "
        f"(within {REPLY_TIMEOUT:.0f} s)"
    )
    print(f"  429 answers drawn: {result['flood_hits']}; messages to the flooder: {result['flooder_replies']}")
    return result


if __name__ == "__main__":
    main()
