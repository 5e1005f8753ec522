"""Who should get which reminder, escalation or digest right now. PURE: no Telegram, no SQL.

Everything the planner needs is passed in (the time, the villages and their zones, the forms,
the posyandu, the people, what was submitted, what was already sent, who is busy); it returns
the messages that are due, each with a stable idempotency key, and those held back.

Rules (all times are the village's local time; coordinators use the default zone):

- A form's reminders fall on ``due - d`` days for each ``d`` in ``reminders.days_before_due``,
  at ``reminders.time``. The latest reminder day that has passed is the active one; it stays
  due until the next reminder day begins (then that one takes over) or, for the last one,
  until the period locks. Nothing is due for a locked or submitted period, so a reminder missed
  while the bot was down is sent when it comes back only while it still makes sense.
- Reminders go to reporters: active users whose role is one of the form's roles and whose
  scope covers the posyandu (a bidan's village scope covers every posyandu of the village).
- Escalation: from the day after the due day (at the reminder time) until the lock, the
  village's perangkat desa hear which posyandu and forms are missing and who is responsible.
- Digest: weekly (``weekday`` 0 = Sunday ... 6) at ``time``, to each coordinator, about the
  month just ended in every village of their scope; a missed digest is still sent within a day.
- Quiet hours (21:00-06:00 local): nothing is due; it waits for the morning.
- A busy person (in a conversation with the bot) or an unreachable one (blocked the bot) is
  held back: the message stays due for a later round.
- A manual round (a coordinator's ``/pengingat kirim``, ``remind --now``) also reminds about
  any open, unsubmitted report of the month just ended when no scheduled reminder is active,
  at most once a day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.clock import local_now
from domain.forms import FormSpec
from domain.models import Posyandu, User, Village
from domain.periods import Period
from domain.regions import parent_codes
from domain.roles import Role

QUIET_START = time(21, 0)
QUIET_END = time(6, 0)
DIGEST_GRACE = timedelta(days=1)

SubmittedMap = Mapping[tuple[str, int, str], datetime]  # (form, posyandu, period) -> first submitted at (UTC)


# -- inputs -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DigestSchedule:
    weekday: int  # 0 = Sunday ... 6 = Saturday
    at: time
    timezone: str  # coordinators' zone (the default zone)


@dataclass(frozen=True)
class Inputs:
    now: datetime  # timezone-aware (UTC)
    villages: Sequence[Village]
    forms: Sequence[FormSpec]  # report forms only are used
    posyandu: Sequence[Posyandu]
    people: Sequence[User]
    submitted: SubmittedMap = field(default_factory=dict)
    done: Set[str] = frozenset()  # keys sent, failed for good, or being sent
    busy: Set[int] = frozenset()
    digest: DigestSchedule | None = None
    manual: bool = False
    quiet: tuple[time, time] | None = (QUIET_START, QUIET_END)  # None: no quiet hours


# -- outputs ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reminder:
    key: str
    user: User
    form: FormSpec
    posyandu: Posyandu
    village: Village
    period: Period
    step: str  # "D-3", "D-1", "D-0" or "now-YYYYMMDD" (manual round)
    due: date
    days_left: int  # negative: days late

    kind = "remind"


@dataclass(frozen=True)
class Missing:
    posyandu: Posyandu
    form: FormSpec
    responsible: tuple[User, ...]


@dataclass(frozen=True)
class Escalation:
    key: str
    user: User
    village: Village
    period: Period
    due: date
    missing: tuple[Missing, ...]

    kind = "escalate"


@dataclass(frozen=True)
class Completeness:
    village: Village
    period: Period
    expected: int
    submitted: int
    on_time: int
    late: int

    @property
    def rate(self) -> float:
        """Share submitted, 0..1 (1 when nothing is expected)."""
        return min(1.0, self.submitted / self.expected) if self.expected else 1.0

    @property
    def missing(self) -> int:
        return self.expected - self.submitted


@dataclass(frozen=True)
class Digest:
    key: str
    user: User
    week: str
    day: date  # the digest's scheduled (local) date
    villages: tuple[Completeness, ...]
    unreachable: tuple[User, ...]

    kind = "digest"


Message = Reminder | Escalation | Digest


@dataclass(frozen=True)
class Held:
    message: Message
    reason: str  # "busy" | "unreachable"


@dataclass(frozen=True)
class Batch:
    """What one person gets in one message this round (several reminders travel together)."""

    user: User
    messages: tuple[Message, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(m.key for m in self.messages)


@dataclass
class Plan:
    due: list[Message] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)

    def batches(self) -> list[Batch]:
        """One batch per person and kind, in a stable order (one message per chat per round)."""
        grouped: dict[tuple[int, str], list[Message]] = defaultdict(list)
        for message in self.due:
            grouped[(message.user.telegram_id, message.kind)].append(message)
        return [Batch(items[0].user, tuple(items)) for _, items in sorted(grouped.items())]

    def held_batches(self) -> list[Batch]:
        grouped: dict[tuple[int, str], list[Message]] = defaultdict(list)
        for held in self.held:
            grouped[(held.message.user.telegram_id, held.message.kind)].append(held.message)
        return [Batch(items[0].user, tuple(items)) for _, items in sorted(grouped.items())]


# -- keys ---------------------------------------------------------------------------------------
def remind_key(form_id: str, posyandu_id: int, period: Period, step: str, user_id: int) -> str:
    return f"remind:{form_id}:{posyandu_id}:{period}:{step}:{user_id}"


def escalate_key(village_code: str, period: Period, due: date, user_id: int) -> str:
    return f"escalate:{village_code}:{period}:d{due.day}:{user_id}"


def digest_key(user_id: int, week: str) -> str:
    return f"digest:{user_id}:{week}"


# -- time helpers -------------------------------------------------------------------------------
def at_local(day: date, moment: time, timezone: str) -> datetime:
    return datetime.combine(day, moment, tzinfo=ZoneInfo(timezone))


def parse_hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def is_quiet(moment: datetime, quiet: tuple[time, time] | None = (QUIET_START, QUIET_END)) -> bool:
    """Whether a local time falls in the quiet hours (start inclusive, end exclusive)."""
    if quiet is None:
        return False
    start, end = quiet
    clock = moment.time().replace(tzinfo=None)
    if start <= end:
        return start <= clock < end
    return clock >= start or clock < end


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def season_period(today: date) -> Period:
    """The month just ended: the one reporters should be finishing now."""
    return Period.of(today).prev()


def candidate_periods(today: date) -> list[Period]:
    return [Period.of(today).prev(), Period.of(today)]


def is_locked(form: FormSpec, period: Period, today: date) -> bool:
    return today > form.schedule.locks_after(period)


# -- who reports what ---------------------------------------------------------------------------
def report_forms(forms: Iterable[FormSpec]) -> list[FormSpec]:
    return [f for f in forms if f.kind == "report"]


def reporters(form: FormSpec, posyandu: Posyandu, people: Iterable[User]) -> list[User]:
    """Active people who report this form for this posyandu."""
    return [
        u
        for u in people
        if u.active and u.role in form.roles and u.role is not Role.ADMIN and u.covers_posyandu(posyandu)
    ]


def people_by_village(people: Sequence[User], village_codes: Iterable[str]) -> dict[str, list[User]]:
    """The active people whose scope reaches each village, in the order of ``people``; admins,
    who cover everything, are left out. Scope entries are indexed by area code, so a village
    looks up its four codes (province, regency, district, village) instead of scanning everyone."""
    by_area: dict[str, list[tuple[int, User]]] = defaultdict(list)
    for position, user in enumerate(people):
        if user.active and not user.is_admin:
            for area in {s.area_code for s in user.scope}:
                by_area[area].append((position, user))
    out = {}
    for code in village_codes:
        found = {position: user for area in (*parent_codes(code), code) for position, user in by_area.get(area, ())}
        out[code] = [found[position] for position in sorted(found)]
    return out


def active_step(form: FormSpec, period: Period, now_local: datetime) -> tuple[int, datetime] | None:
    """The scheduled reminder (days before due, its local send time) active at ``now_local``."""
    schedule, reminders = form.schedule, form.reminders
    today = now_local.date()
    if not reminders.days_before_due or is_locked(form, period, today):
        return None
    due = schedule.due(period)
    at = parse_hhmm(reminders.time)
    zone = now_local.tzinfo
    steps = sorted(set(reminders.days_before_due), reverse=True)  # 3, 1, 0: earliest first
    sends = [(d, datetime.combine(due - timedelta(days=d), at, tzinfo=zone)) for d in steps]
    for index, (days, send_at) in enumerate(sends):
        if send_at > now_local or send_at.date() < schedule.opens(period):
            continue
        following = sends[index + 1][1].date() if index + 1 < len(sends) else None
        if following is not None and today >= following:
            continue  # superseded by the next reminder day
        return days, send_at
    return None


# -- the plan -----------------------------------------------------------------------------------
def all_quiet(inputs: Inputs) -> bool:
    """Whether it is quiet time in every village of the round (so it can send nothing now)."""
    return bool(inputs.villages) and all(
        is_quiet(local_now(inputs.now, v.timezone), inputs.quiet) for v in inputs.villages
    )


def plan(inputs: Inputs) -> Plan:
    result = Plan()
    villages = {v.code: v for v in inputs.villages}
    forms = report_forms(inputs.forms)
    by_village: dict[str, list[Posyandu]] = defaultdict(list)
    for p in inputs.posyandu:
        if p.active and p.village_code in villages:
            by_village[p.village_code].append(p)
    local_people = people_by_village(inputs.people, villages)
    candidates: list[Message] = []
    for code, places in sorted(by_village.items()):
        village = villages[code]
        now_local = local_now(inputs.now, village.timezone)
        if is_quiet(now_local, inputs.quiet):
            continue
        candidates += _reminders(inputs, village, places, local_people[code], forms, now_local)
        candidates += _escalations(inputs, village, places, local_people[code], forms, now_local)
    if inputs.digest is not None:
        candidates += _digests(inputs, forms, by_village, local_people)
    for message in candidates:
        if message.key in inputs.done:
            continue
        if not message.user.reachable:
            result.held.append(Held(message, "unreachable"))
        elif message.user.telegram_id in inputs.busy:
            result.held.append(Held(message, "busy"))
        else:
            result.due.append(message)
    return result


def _reminders(
    inputs: Inputs,
    village: Village,
    places: list[Posyandu],
    people: list[User],
    forms: list[FormSpec],
    now_local: datetime,
) -> list[Reminder]:
    today, out = now_local.date(), []
    for form in forms:
        for period in candidate_periods(today):
            if is_locked(form, period, today) or today < form.schedule.opens(period):
                continue
            due = form.schedule.due(period)
            step = active_step(form, period, now_local)
            for place in places:
                if (form.id, place.id, str(period)) in inputs.submitted:
                    continue
                for user in reporters(form, place, people):
                    name = _step_for(inputs, form, place, period, user, step, today)
                    if name is None:
                        continue
                    out.append(
                        Reminder(
                            key=remind_key(form.id, place.id, period, name, user.telegram_id),
                            user=user,
                            form=form,
                            posyandu=place,
                            village=village,
                            period=period,
                            step=name,
                            due=due,
                            days_left=(due - today).days,
                        )
                    )
    return out


def _step_for(
    inputs: Inputs,
    form: FormSpec,
    place: Posyandu,
    period: Period,
    user: User,
    step: tuple[int, datetime] | None,
    today: date,
) -> str | None:
    """The reminder's step name, or None when nothing is due for this person now."""
    if step is not None:
        name = f"D-{step[0]}"
        key = remind_key(form.id, place.id, period, name, user.telegram_id)
        if key not in inputs.done or not inputs.manual:
            return name
        if step[1].date() == today:
            return None  # the scheduled reminder went out today already
    if inputs.manual and period == season_period(today):
        return f"now-{today:%Y%m%d}"
    return None


def _escalations(
    inputs: Inputs,
    village: Village,
    places: list[Posyandu],
    people: list[User],
    forms: list[FormSpec],
    now_local: datetime,
) -> list[Escalation]:
    today = now_local.date()
    groups: dict[tuple[Period, date], list[FormSpec]] = defaultdict(list)
    for form in forms:
        for period in candidate_periods(today):
            due = form.schedule.due(period)
            starts = at_local(due + timedelta(days=1), parse_hhmm(form.reminders.time), village.timezone)
            if starts <= now_local and not is_locked(form, period, today):
                groups[(period, due)].append(form)
    out = []
    officials = [u for u in people if u.role is Role.PERANGKAT_DESA]
    for (period, due), group in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1])):
        missing = missing_reports(group, places, period, inputs.submitted, people)
        if not missing:
            continue
        for official in officials:
            out.append(
                Escalation(
                    key=escalate_key(village.code, period, due, official.telegram_id),
                    user=official,
                    village=village,
                    period=period,
                    due=due,
                    missing=tuple(missing),
                )
            )
    return out


def missing_reports(
    forms: Sequence[FormSpec],
    places: Sequence[Posyandu],
    period: Period,
    submitted: SubmittedMap,
    people: Sequence[User],
) -> list[Missing]:
    """Reports of ``period`` not submitted yet, by posyandu then form, with who should send them."""
    out = []
    for place in sorted(places, key=lambda p: (p.name.lower(), p.id)):
        for form in forms:
            if (form.id, place.id, str(period)) not in submitted:
                responsible = sorted(reporters(form, place, people), key=lambda u: (u.name.lower(), u.telegram_id))
                out.append(Missing(place, form, tuple(responsible)))
    return out


# -- digest -------------------------------------------------------------------------------------
def digest_moment(schedule: DigestSchedule, now: datetime) -> datetime:
    """The latest scheduled digest time at or before ``now`` (local to the schedule's zone)."""
    local = local_now(now, schedule.timezone)
    python_weekday = (schedule.weekday - 1) % 7  # Monday = 0 in Python, Sunday = 0 in the settings
    day = local.date() - timedelta(days=(local.weekday() - python_weekday) % 7)
    moment = at_local(day, schedule.at, schedule.timezone)
    return moment if moment <= local else moment - timedelta(days=7)


def _digests(
    inputs: Inputs,
    forms: list[FormSpec],
    by_village: Mapping[str, list[Posyandu]],
    local_people: Mapping[str, list[User]],
) -> list[Digest]:
    schedule = inputs.digest
    local = local_now(inputs.now, schedule.timezone)
    moment = digest_moment(schedule, inputs.now)
    if local - moment > DIGEST_GRACE or is_quiet(local, inputs.quiet):
        return []
    week = iso_week(moment.date())
    out = []
    for user in inputs.people:
        if not user.active or user.role is not Role.KOORDINATOR:
            continue
        villages = [v for v in inputs.villages if user.covers_village(v.code)]
        if not villages:
            continue
        rows = tuple(
            completeness(
                v,
                by_village.get(v.code, []),
                forms,
                inputs.submitted,
                season_period(local_now(inputs.now, v.timezone).date()),
            )
            for v in villages
        )
        people = list({u.telegram_id: u for v in villages for u in local_people[v.code]}.values())
        out.append(
            Digest(
                key=digest_key(user.telegram_id, week),
                user=user,
                week=week,
                day=moment.date(),
                villages=rows,
                unreachable=tuple(unreachable_in(villages, people)),
            )
        )
    return out


def completeness(
    village: Village, places: Sequence[Posyandu], forms: Sequence[FormSpec], submitted: SubmittedMap, period: Period
) -> Completeness:
    """Expected reports (active posyandu x report forms) and how many came, on time or late.
    Only expected reports are counted, so the rate never exceeds 100%."""
    expected = [(f, p) for f in report_forms(forms) for p in places if p.active and p.village_code == village.code]
    on_time = late = 0
    zone = ZoneInfo(village.timezone)
    for form, place in expected:
        at = submitted.get((form.id, place.id, str(period)))
        if at is None:
            continue
        if at.astimezone(zone).date() <= form.schedule.due(period):
            on_time += 1
        else:
            late += 1
    return Completeness(village, period, len(expected), on_time + late, on_time, late)


def unreachable_in(villages: Sequence[Village], people: Sequence[User]) -> list[User]:
    codes = [v.code for v in villages]
    return sorted(
        (
            u
            for u in people
            if u.active and not u.reachable and u.role is not Role.ADMIN and any(u.covers_village(c) for c in codes)
        ),
        key=lambda u: (u.name.lower(), u.telegram_id),
    )


# -- a person's own deadlines (/pengingat) ------------------------------------------------------
@dataclass(frozen=True)
class Deadline:
    form: FormSpec
    posyandu: Posyandu
    period: Period
    due: date
    days_left: int
    submitted: bool


def deadlines(
    now: datetime,
    user: User,
    villages: Sequence[Village],
    forms: Sequence[FormSpec],
    posyandu: Sequence[Posyandu],
    submitted: SubmittedMap,
) -> list[Deadline]:
    """The reports this person should send that are open now (not locked), soonest due first."""
    zones = {v.code: v.timezone for v in villages}
    out = []
    for place in posyandu:
        if not place.active or place.village_code not in zones:
            continue
        today = local_now(now, zones[place.village_code]).date()
        for form in report_forms(forms):
            if not reporters(form, place, [user]):
                continue
            for period in form.schedule.reportable(today):
                due = form.schedule.due(period)
                out.append(
                    Deadline(
                        form, place, period, due, (due - today).days, (form.id, place.id, str(period)) in submitted
                    )
                )
    return sorted(out, key=lambda d: (d.due, d.posyandu.name.lower(), d.form.id))
