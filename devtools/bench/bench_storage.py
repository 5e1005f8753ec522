"""Benchmark: storage latency with 1,000,000 stored report values.

Latencies of the calls the bot makes while people report (``Reports.save_answer``: one answer
and the session moved on, in one transaction; ``Reports.submit``: a whole report as a new
revision), measured first on a database holding only the areas and then with the database
filled to ``--values`` stored answers, so the figure that matters is the ratio; and the export
queries (``features.exporting.source.StorageExportSource``: village values, posyandu answers,
completeness) for one village, one district (100 villages) and everything, 12 months each.

The fill is bulk SQL in one transaction (shaped like what ``Reports.submit`` writes: reports,
revisions, values of every question of the four report forms) because a million values
through the conversation would take hours; what is measured goes through the storage API.

    python devtools/bench/bench_storage.py                    # 1,000,000 values (fill ~1 min)
    python devtools/bench/bench_storage.py --values 20000     # quick look

Prints p50/p95/p99 in milliseconds and the export passes in seconds with their row counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from devtools.bench.population import village_rows
from domain.clock import FixedClock, iso
from domain.forms import FormSpec, QuestionType, load_forms
from domain.models import ScopeEntry
from domain.periods import Period
from domain.roles import Role
from exports.model import Generator, Language, Selection
from features.exporting.source import StorageExportSource
from runtime.settings import REPO_DIR
from storage import Storage
from storage.reports import Session

NOW = datetime(2027, 1, 20, 3, 0, tzinfo=UTC)
MONTHS = [str(Period(2026, m)) for m in range(1, 13)]
MEASURED_PERIOD = "2027-01"  # never filled: the measured drafts and reports are new
POSYANDU_PER_VILLAGE = 5
KADER_ID = 1


@dataclass
class Latencies:
    seconds: list[float] = field(default_factory=list)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000

    def line(self, label: str) -> str:
        return (
            f"  {label:34} n={len(self.seconds):5}  p50 {self.percentile(50):7.2f} ms  "
            f"p95 {self.percentile(95):7.2f} ms  p99 {self.percentile(99):7.2f} ms"
        )


def report_forms() -> list[FormSpec]:
    return [f for f in load_forms(REPO_DIR / "forms").values() if f.kind == "report"]


def values_per_posyandu_month(forms: list[FormSpec]) -> int:
    return sum(len(f.questions) for f in forms)


async def make_areas(storage: Storage, posyandu: int) -> list[tuple[int, str]]:
    villages = village_rows(-(-posyandu // POSYANDU_PER_VILLAGE))
    await storage.areas.import_villages(villages)
    places = []
    for n in range(posyandu):
        code = villages[n // POSYANDU_PER_VILLAGE].code
        places.append(((await storage.areas.add_posyandu(code, f"Posyandu {n + 1}")).id, code))
    [invitation] = await storage.users.create_invitations(
        Role.KADER, [ScopeEntry(area_code=villages[0].code, posyandu_id=places[0][0])]
    )
    await storage.users.register(KADER_ID, "Kader", invitation)
    return places


def _value(kind: QuestionType, question, rng: random.Random):
    if kind in (QuestionType.COUNT, QuestionType.MEASURE):
        return rng.randint(0, 60)
    if kind is QuestionType.YESNO:
        return rng.random() < 0.8
    if kind is QuestionType.CHOICE:
        return question.options[0].id
    if kind is QuestionType.MULTICHOICE:
        return [question.options[0].id]
    return None


async def fill(storage: Storage, forms: list[FormSpec], places: list[tuple[int, str]], rng: random.Random) -> int:
    """Reports for every posyandu x month x form, revision 1, every question answered."""
    stored = 0
    submitted_at = iso(NOW)
    report_id = await storage.db.fetchval("SELECT coalesce(max(id), 0) FROM reports")
    revision_id = await storage.db.fetchval("SELECT coalesce(max(id), 0) FROM report_revisions")
    async with storage.db.transaction() as conn:
        for period in MONTHS:
            for posyandu_id, village in places:
                reports, revisions, values = [], [], []
                for form in forms:
                    report_id += 1
                    revision_id += 1
                    reports.append((report_id, form.id, posyandu_id, village, period, submitted_at))
                    revisions.append((revision_id, report_id, submitted_at, KADER_ID))
                    for q in form.questions:
                        value = _value(q.type, q, rng)
                        values.append((revision_id, q.id, None if value is None else json.dumps(value)))
                await conn.executemany(
                    "INSERT INTO reports (id, form_id, posyandu_id, village_code, period, latest_revision, "
                    "first_submitted_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
                    reports,
                )
                await conn.executemany(
                    "INSERT INTO report_revisions (id, report_id, revision, submitted_at, submitted_by, "
                    "submitted_role) VALUES (?, ?, 1, ?, ?, 'kader')",
                    revisions,
                )
                await conn.executemany(
                    "INSERT INTO report_values (revision_id, question_id, value) VALUES (?, ?, ?)", values
                )
                stored += len(values)
    await storage.db.execute("ANALYZE")
    return stored


async def time_saves(storage: Storage, form: FormSpec, count: int, posyandu_id: int) -> Latencies:
    """One answer saved and the session moved on, as the conversation does for every answer."""
    draft = await storage.reports.open_draft(form.id, posyandu_id, MEASURED_PERIOD, KADER_ID)
    questions = form.questions
    latencies = Latencies()
    for n in range(count):
        question = questions[n % len(questions)]
        following = questions[(n + 1) % len(questions)]
        session = Session(
            telegram_id=KADER_ID,
            kind="report",
            draft_id=draft.id,
            cursor=following.id,
            mode="fill",
            wrong_tries=0,
            nonce=n,
        )
        started = time.perf_counter()
        await storage.reports.save_answer(draft.id, question.id, n % 50, session=session)
        latencies.seconds.append(time.perf_counter() - started)
    await storage.reports.discard_draft(draft.id)
    await storage.reports.end_session(KADER_ID)
    return latencies


async def time_submits(
    storage: Storage, form: FormSpec, count: int, places: list[tuple[int, str]], period: str
) -> Latencies:
    """A whole report submitted (revision 1 of a new report), each for another posyandu."""
    user = await storage.users.get(KADER_ID)
    answers = {
        q.id: (n % 40 if q.type is QuestionType.COUNT else _value(q.type, q, random.Random(n)))
        for n, q in enumerate(form.questions)
    }
    latencies = Latencies()
    for posyandu_id, village in places[:count]:
        draft = await storage.reports.open_draft(form.id, posyandu_id, period, KADER_ID, prefill=answers)
        started = time.perf_counter()
        await storage.reports.submit(draft, user, village, answers)
        latencies.seconds.append(time.perf_counter() - started)
    return latencies


async def time_export(storage: Storage, forms: list[FormSpec], codes: list[str], repeat: int) -> dict[str, tuple]:
    """Seconds of one full pass over each export stream (worst of ``repeat``), and its rows."""
    selection = Selection(
        periods=tuple(MONTHS),
        scope_label="bench",
        generated_at=NOW.replace(tzinfo=None),
        generated_by=Generator(role="admin", display_name="bench"),
        language=Language("id"),
    )
    results: dict[str, tuple[list[float], int]] = {}
    for _ in range(repeat):
        started = time.perf_counter()
        source = await StorageExportSource.load(storage, {f.id: f for f in forms}, selection, codes)
        results.setdefault("load", ([], len(codes)))[0].append(time.perf_counter() - started)
        for name in ("village_values", "raw_values", "completeness"):
            stream = getattr(source, name)
            started = time.perf_counter()
            rows = await asyncio.to_thread(lambda s=stream: sum(1 for _ in s()))
            results.setdefault(name, ([], rows))[0].append(time.perf_counter() - started)
    return {name: (max(times), statistics.median(times), rows) for name, (times, rows) in results.items()}


async def measure(values: int, folder: Path, saves: int, submits: int) -> dict:
    forms = report_forms()
    per = values_per_posyandu_month(forms)
    posyandu = max(submits + 1, -(-values // (per * len(MONTHS))))
    rng = random.Random(1)
    storage = await Storage.open(folder / "bench.sqlite3", FixedClock(NOW))
    try:
        places = await make_areas(storage, posyandu)
        main_form = next(f for f in forms if f.id == "posyandu_bulanan")
        empty = {
            "save": await time_saves(storage, main_form, saves, places[0][0]),
            "submit": await time_submits(storage, main_form, submits, places, "2025-12"),
        }
        started = time.perf_counter()
        stored = await fill(storage, forms, places, rng)
        fill_seconds = time.perf_counter() - started
        full = {
            "save": await time_saves(storage, main_form, saves, places[0][0]),
            "submit": await time_submits(storage, main_form, submits, places, MEASURED_PERIOD),
        }
        codes = sorted({code for _, code in places})
        exports = {
            "1 village": await time_export(storage, forms, codes[:1], 20),
            f"{min(100, len(codes))} villages": await time_export(storage, forms, codes[:100], 3),
            f"all {len(codes)} villages": await time_export(storage, forms, codes, 1),
        }
        total = await storage.db.fetchval("SELECT count(*) FROM report_values")
    finally:
        await storage.close()
    size = sum(p.stat().st_size for p in folder.glob("bench.sqlite3*"))
    return dict(
        posyandu=posyandu,
        stored=stored,
        total=total,
        fill_seconds=fill_seconds,
        empty=empty,
        full=full,
        exports=exports,
        size=size,
        per=per,
    )


def report(r: dict) -> None:
    print(
        f"storage with {r['total']:,} report values ({r['posyandu']} posyandu x {len(MONTHS)} months x "
        f"{r['per']} questions of 4 forms; filled in {r['fill_seconds']:.1f} s; file {r['size'] / 2**20:.0f} MiB)"
    )
    for what, label in (("save", "save_answer (one answer + session)"), ("submit", "submit (posyandu_bulanan)")):
        print(r["empty"][what].line(label + ", empty"))
        print(r["full"][what].line(label + ", full"))
        print(
            f"  {'':34} p95 ratio full / empty = {r['full'][what].percentile(95) / r['empty'][what].percentile(95):.2f}"
        )
    print("  export queries, one full pass (12 months; worst / median of the repeats):")
    for scope, passes in r["exports"].items():
        for name, (worst, median, rows) in passes.items():
            unit = "villages" if name == "load" else "rows"
            print(f"    {scope:18} {name:15} {worst:8.3f} s / {median:8.3f} s  {rows:>9,} {unit}")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--values", type=int, default=1_000_000, help="report values to store before measuring")
    parser.add_argument("--saves", type=int, default=1000, help="answers saved per measurement")
    parser.add_argument("--submits", type=int, default=200, help="reports submitted per measurement")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as folder:
        result = asyncio.run(measure(args.values, Path(folder), args.saves, args.submits))
    report(result)
    return result


if __name__ == "__main__":
    main()
