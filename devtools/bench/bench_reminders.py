"""Benchmark: one reminder round to many people under Telegram's 30 messages/s limit.

The local Bot API enforces the flood limits (30 messages/s overall, 1 per chat, in a sliding
second; 429 with retry_after above them). The round is the bot's own: ``reminders.jobs.run_round``
with the Application's Bot from ``app.application.build_application`` (its TelegramLimiter paces
broadcasts at 29/s with no bursts and retries on 429). Everyone is a registered kader whose
reports are due in three days (the D-3 reminder), so each person is due exactly one message.
The round's time includes its planning.

    python devtools/bench/bench_reminders.py                 # 5,000 people (~3 min at 30/s)
    python devtools/bench/bench_reminders.py --people 60     # quick look

Prints the achieved rate / 30 (target >= 0.9) and checks, from the double's record of sent
messages and the reminder log, that nobody was missed and nobody got two.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.application import build_application
from devtools.bench.population import populate
from devtools.localbotapi import LocalBotApi
from domain.clock import FixedClock
from domain.forms import load_forms
from features.reminders.jobs import run_round
from runtime.services import Services
from runtime.settings import REPO_DIR, Settings
from storage import Storage

LIMIT = 30  # messages per second, Telegram's overall limit for a bot
TOKEN = "123456:bench-reminders"
# Wednesday 2 December 2026, 09:00 WIB: the D-3 reminder of every November report (due the 5th).
D3 = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


@dataclass
class Outcome:
    people: int
    sent: int
    seconds: float
    delivered: int  # messages the double accepted (sendMessage answered 200)
    lost: int  # people who got no reminder
    duplicated: int  # people who got more than one
    flood_hits: int  # 429s the double answered
    log_states: dict

    @property
    def rate(self) -> float:
        return self.delivered / self.seconds

    @property
    def ratio(self) -> float:
        return self.rate / LIMIT


async def measure(people: int, folder: Path) -> Outcome:
    clock = FixedClock(D3)
    with LocalBotApi() as server:
        settings = Settings(
            _env_file=None,
            telegram_bot_token=TOKEN,
            database_path=folder / "bench.sqlite3",
            telegram_api_base_url=server.base_url,
            telegram_api_file_url=server.base_file_url,
            forms_dir=REPO_DIR / "forms",
            backup_dir=folder / "backups",
        )
        storage = await Storage.open(settings.database_path, clock)
        try:
            kader = await populate(storage, people)
            for person in kader:
                server.user(person.telegram_id, "Kader")
            services = Services(settings=settings, storage=storage, forms=load_forms(settings.forms_dir), clock=clock)
            application = build_application(services)
            server.enforce_flood_limits(global_per_second=LIMIT, per_chat_per_second=1)
            async with application:
                started = time.perf_counter()
                result = await run_round(services, application.bot)
                seconds = time.perf_counter() - started
            states = collections.Counter(e.state for e in await storage.reminders.entries("remind:"))
        finally:
            await storage.close()
        per_chat = collections.Counter(m.chat_id for m in server.sent_messages)
        expected = {k.telegram_id for k in kader}
        return Outcome(
            people=people,
            sent=result.sent,
            seconds=seconds,
            delivered=len(server.sent_messages),
            lost=len(expected - set(per_chat)),
            duplicated=sum(1 for c in per_chat.values() if c > 1),
            flood_hits=len(server.flood_hits),
            log_states=dict(states),
        )


def report(outcome: Outcome) -> None:
    print(f"reminder round to {outcome.people} people, flood limits {LIMIT}/s overall and 1/s per chat")
    print(
        f"  sent {outcome.sent} (double received {outcome.delivered}) in {outcome.seconds:.1f} s: "
        f"{outcome.rate:.2f} messages/s"
    )
    print(
        f"  lost {outcome.lost}, duplicated {outcome.duplicated}, 429 answers {outcome.flood_hits}, "
        f"reminder log {outcome.log_states}"
    )
    print(f"  achieved rate / {LIMIT} = {outcome.ratio:.3f}  (target >= 0.9)")


def main(argv: list[str] | None = None) -> Outcome:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=5000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-reminders-") as folder:
        outcome = asyncio.run(measure(args.people, Path(folder)))
    report(outcome)
    return outcome


if __name__ == "__main__":
    main()
