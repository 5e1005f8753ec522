"""The demo's world: a demo district with villages and posyandu, registered people, and some
months of report history, all written through the storage API (the same calls the bot and the
admin commands make), at the times they would have happened."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from devtools.demo.history import plausible_answers, submission_day
from domain import formflow
from domain.clock import FixedClock
from domain.forms import FormSpec
from domain.imports import VillageRow
from domain.models import Posyandu, ScopeEntry
from domain.periods import Period
from domain.roles import Role
from storage import Storage

ZONE = "Asia/Jakarta"
DISTRICT_CODE, DISTRICT_NAME = "32.04.99", "Demo"
REGENCY, PROVINCE = "Kabupaten Bandung", "Jawa Barat"
VILLAGES = {  # village code -> (name, posyandu names)
    "32.04.99.2001": ("Sukamaju", ("Mawar", "Melati")),
    "32.04.99.2002": ("Mekarsari", ("Anggrek", "Kenanga")),
    "32.04.99.2003": ("Sindangjaya", ("Cempaka", "Dahlia")),
    "32.04.99.2004": ("Cibodas", ("Flamboyan", "Teratai")),
}
HOME_VILLAGE, HOME_POSYANDU = "32.04.99.2001", "Mawar"
HISTORY_MONTHS = 6
MISSING_SHARE = 0.08  # past reports never sent
REVISED_SHARE = 0.05  # reports sent a second time with a correction
EARLY_SHARE = 0.3  # other posyandu that already sent this month's report
KADER_NAMES = ("Dewi", "Rina", "Yuli", "Nur", "Lilis", "Euis", "Tati", "Entin")
BIDAN_NAMES = ("Wulan", "Ratna", "Sri")


@dataclass(frozen=True)
class Persona:
    """Someone the person at the terminal can be (``:as KEY``)."""

    key: str  # kader, bidan, koordinator, tamu
    telegram_id: int
    name: str
    role: Role | None  # None: not registered yet
    place: str  # where they work, for the introduction


@dataclass(frozen=True)
class DemoWorld:
    database: Path
    personas: tuple[Persona, ...]
    others: tuple[int, ...]  # the other registered people (who sent the history)
    invitation: str  # a kader code for the guest to register with
    reports: int  # reports in the history
    periods: tuple[str, ...]  # the months of history, oldest first


async def build_world(
    database: Path, forms: dict[str, FormSpec], now: datetime, *, seed: int = 7, language: str = "id"
) -> DemoWorld:
    """Create the demo database at ``database`` (which must not exist yet)."""
    rng = random.Random(seed)
    today = now.astimezone(ZoneInfo(ZONE)).date()
    current = Period.of(today)
    periods = [current.shift(-n) for n in range(HISTORY_MONTHS, -1, -1)]
    clock = FixedClock(_at(periods[0].day(1) - timedelta(days=20)))
    storage = await Storage.open(database, clock)
    try:
        await storage.areas.import_villages(
            [VillageRow(code, name, DISTRICT_NAME, REGENCY, PROVINCE, ZONE) for code, (name, _) in VILLAGES.items()]
        )
        posyandu = [
            await storage.areas.add_posyandu(code, name) for code, (_, names) in VILLAGES.items() for name in names
        ]
        home = next(p for p in posyandu if p.village_code == HOME_VILLAGE and p.name == HOME_POSYANDU)
        personas = (
            Persona("kader", 1001, "Siti", Role.KADER, f"Posyandu {home.name}, Desa {VILLAGES[HOME_VILLAGE][0]}"),
            Persona("bidan", 1002, "Ani", Role.BIDAN, f"Desa {VILLAGES[HOME_VILLAGE][0]}"),
            Persona("koordinator", 1003, "Budi", Role.KOORDINATOR, f"Kecamatan {DISTRICT_NAME}"),
            Persona("tamu", 1004, "Tono", None, f"Posyandu {home.name}"),
        )
        await _register(
            storage,
            personas[0].telegram_id,
            personas[0].name,
            Role.KADER,
            [ScopeEntry(area_code=HOME_VILLAGE, posyandu_id=home.id)],
        )
        await _register(
            storage, personas[1].telegram_id, personas[1].name, Role.BIDAN, [ScopeEntry(area_code=HOME_VILLAGE)]
        )
        await _register(
            storage, personas[2].telegram_id, personas[2].name, Role.KOORDINATOR, [ScopeEntry(area_code=DISTRICT_CODE)]
        )
        kader = {home.id: personas[0].telegram_id}
        bidan = {HOME_VILLAGE: personas[1].telegram_id}
        for number, place in enumerate(p for p in posyandu if p.id != home.id):
            kader[place.id] = 2001 + number
            await _register(
                storage,
                2001 + number,
                KADER_NAMES[number % len(KADER_NAMES)],
                Role.KADER,
                [ScopeEntry(area_code=place.village_code, posyandu_id=place.id)],
            )
        for number, code in enumerate(c for c in VILLAGES if c != HOME_VILLAGE):
            bidan[code] = 3001 + number
            await _register(
                storage, 3001 + number, BIDAN_NAMES[number % len(BIDAN_NAMES)], Role.BIDAN, [ScopeEntry(area_code=code)]
            )
        if language != "id":
            for persona in personas:
                await storage.users.set_language(persona.telegram_id, language)
        reports = await _history(storage, clock, forms, posyandu, kader, bidan, periods, today, home, rng)
        clock.set(now)  # the history is back-dated; the guest's code must be valid from today
        [invitation] = await storage.users.create_invitations(
            Role.KADER, [ScopeEntry(area_code=HOME_VILLAGE, posyandu_id=home.id)], days=30
        )
        others = tuple(sorted((set(kader.values()) | set(bidan.values())) - {p.telegram_id for p in personas}))
        return DemoWorld(database, personas, others, invitation, reports, tuple(str(p) for p in periods))
    finally:
        await storage.close()


async def _register(storage: Storage, telegram_id: int, name: str, role: Role, scope: list[ScopeEntry]) -> None:
    [code] = await storage.users.create_invitations(role, scope)
    registration = await storage.users.register(telegram_id, name, code)
    assert registration.user is not None, registration


async def _history(
    storage: Storage,
    clock: FixedClock,
    forms: dict[str, FormSpec],
    posyandu: list[Posyandu],
    kader: dict[int, int],
    bidan: dict[str, int],
    periods: list[Period],
    today,
    home: Posyandu,
    rng: random.Random,
) -> int:
    """Every report form for every posyandu and month, sent around its due date; months still
    open are left for the demo people (and sent early by a few others)."""
    sent = 0
    report_forms = [f for f in forms.values() if f.kind == "report"]
    for form in report_forms:
        reporter_role = Role.KADER if Role.KADER in form.roles else Role.BIDAN
        for place in posyandu:
            reporter = kader[place.id] if reporter_role is Role.KADER else bidan[place.village_code]
            mine = place.village_code == HOME_VILLAGE if reporter_role is Role.BIDAN else place.id == home.id
            user = await storage.users.get(reporter)
            prev = None
            for period in periods:
                due = form.schedule.due(period)
                if due >= today:  # still open
                    if mine or rng.random() >= EARLY_SHARE:
                        continue
                    day = today - timedelta(days=rng.randint(0, 3))
                elif rng.random() < MISSING_SHARE:
                    prev = None
                    continue
                else:
                    day = min(submission_day(due, rng), form.schedule.locks_after(period))
                answers = plausible_answers(form, period, rng, prev)
                clock.set(_at(day, rng))
                draft = await storage.reports.open_draft(form.id, place.id, str(period), reporter, prefill=answers)
                await storage.reports.submit(draft, user, place.village_code, answers)
                sent += 1
                if rng.random() < REVISED_SHARE and day + timedelta(days=2) < today:
                    answers = _corrected(form, period, answers, prev, rng)
                    clock.set(_at(day + timedelta(days=2), rng))
                    draft = await storage.reports.open_draft(form.id, place.id, str(period), reporter, prefill=answers)
                    await storage.reports.submit(draft, user, place.village_code, answers)
                prev = answers
    return sent


def _corrected(form: FormSpec, period: Period, answers: dict, prev: dict | None, rng: random.Random) -> dict:
    """A second revision: one count lowered by one (a child counted twice, say), within the rules."""
    context = formflow.Context(prev=dict(prev or {}), month=period.month)
    counts = [k for k, v in answers.items() if isinstance(v, int) and not isinstance(v, bool) and v > 0]
    for key in rng.sample(counts, len(counts)):
        trial = {**answers, key: answers[key] - 1}
        if not formflow.all_broken_rules(form, trial, "hard", context):
            return trial
    return answers


def _at(day, rng: random.Random | None = None) -> datetime:
    """A working-hours moment of a local date, in UTC."""
    minutes = rng.randint(0, 8 * 60) if rng else 0
    local = datetime.combine(day, time(8, 0), ZoneInfo(ZONE)) + timedelta(minutes=minutes)
    return local.astimezone(UTC)
