"""The planner: pure, with the time given. Who gets which reminder on which day in each zone,
quiet hours, catch-up after downtime, escalation, the digest's numbers."""

from datetime import UTC, datetime, time, timedelta

import pytest

from domain.forms import FormSpec
from domain.models import Posyandu, ScopeEntry, User, Village
from domain.periods import Period
from domain.roles import Role
from features.reminders import planner
from features.reminders.planner import DigestSchedule, Inputs

WIB, WITA, WIT = "32.04.12.2001", "53.71.01.1001", "91.03.01.2001"
VILLAGES = [
    Village(
        code=WIB,
        name="Sukamaju",
        district_code="32.04.12",
        district_name="Cileunyi",
        regency_code="32.04",
        regency_name="Bandung",
        province_code="32",
        province_name="Jawa Barat",
        timezone="Asia/Jakarta",
    ),
    Village(
        code=WITA,
        name="Oebobo",
        district_code="53.71.01",
        district_name="Oebobo",
        regency_code="53.71",
        regency_name="Kupang",
        province_code="53",
        province_name="NTT",
        timezone="Asia/Makassar",
    ),
    Village(
        code=WIT,
        name="Sentani Kota",
        district_code="91.03.01",
        district_name="Sentani",
        regency_code="91.03",
        regency_name="Jayapura",
        province_code="91",
        province_name="Papua",
        timezone="Asia/Jayapura",
    ),
]
MAWAR, MELATI = Posyandu(id=1, village_code=WIB, name="Mawar"), Posyandu(id=2, village_code=WIB, name="Melati")
KENANGA, CEMPAKA = Posyandu(id=3, village_code=WITA, name="Kenanga"), Posyandu(id=4, village_code=WIT, name="Cempaka")
POSYANDU = [MAWAR, MELATI, KENANGA, CEMPAKA]
NOV = Period(2026, 11)


def form(form_id="posyandu", roles=("kader",), days=(3, 1, 0), at="08:00", due=5, lock=15, kind="report"):
    return FormSpec.model_validate(
        {
            "id": form_id,
            "kind": kind,
            "title": {"id": form_id.title(), "en": form_id.title()},
            "roles": list(roles),
            "due_day": due,
            "lock_day": lock,
            "reminders": {"days_before_due": list(days), "time": at},
            "sections": [
                {
                    "id": "s",
                    "title": {"id": "S", "en": "S"},
                    "questions": [{"id": "q", "type": "count", "label": {"id": "Q", "en": "Q"}}],
                }
            ],
        }
    )


def person(uid, role, area, posyandu=None, name=None, **extra):
    return User(
        telegram_id=uid,
        name=name or f"P{uid}",
        role=Role(role),
        scope=(ScopeEntry(area_code=area, posyandu_id=posyandu),),
        **extra,
    )


SITI = person(1001, "kader", WIB, MAWAR.id, "Siti")
ANI = person(1002, "bidan", WIB, None, "Ani")
OEBOBO_KADER = person(1003, "kader", WITA, KENANGA.id, "Maria")
PAPUA_KADER = person(1004, "kader", WIT, CEMPAKA.id, "Yosina")
LURAH = person(3001, "perangkat_desa", WIB, None, "Pak Lurah")
KOORD = person(2001, "koordinator", "32.04", None, "Budi")
PEOPLE = [SITI, ANI, OEBOBO_KADER, PAPUA_KADER, LURAH, KOORD]
FORMS = [form("posyandu", ("kader",)), form("kia", ("bidan",)), form("household", ("kader",), kind="household")]


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def run(now, people=PEOPLE, forms=FORMS, **extra):
    return planner.plan(Inputs(now=now, villages=VILLAGES, forms=forms, posyandu=POSYANDU, people=people, **extra))


def keys(result):
    return sorted(m.key for m in result.due)


def reminders(result):
    return sorted(
        (m.user.telegram_id, m.form.id, m.posyandu.name, m.step) for m in result.due if isinstance(m, planner.Reminder)
    )


# -- who gets what, when, where -----------------------------------------------------------------
@pytest.mark.parametrize(
    "now,expected",
    [
        # D-3 for November is 2 December, 08:00 local. 08:00 WIT = 23:00 UTC the day before.
        (utc(2026, 12, 1, 22, 59), set()),
        (utc(2026, 12, 1, 23, 0), {1004}),  # WIT
        (utc(2026, 12, 2, 0, 0), {1003, 1004}),  # WITA too
        (utc(2026, 12, 2, 0, 59), {1003, 1004}),
        (utc(2026, 12, 2, 1, 0), {1001, 1002, 1003, 1004}),  # WIB too
    ],
)
def test_d3_reminders_follow_each_village_zone(now, expected):
    result = run(now)
    assert {m.user.telegram_id for m in result.due if isinstance(m, planner.Reminder)} == expected
    assert all(m.step == "D-3" for m in result.due if isinstance(m, planner.Reminder))


def test_only_reporters_whose_scope_covers_the_posyandu():
    stranger = person(1005, "kader", "32.04.12.2002", None)  # another village
    inactive = person(1006, "kader", WIB, MAWAR.id, active=False)
    admin = User(telegram_id=9000, name="Admin", role=Role.ADMIN)
    result = run(utc(2026, 12, 2, 1, 0), people=[*PEOPLE, stranger, inactive, admin])
    wib = [r for r in reminders(result) if r[0] in (1001, 1002, 1005, 1006, 9000, 3001, 2001)]
    assert wib == [
        (1001, "posyandu", "Mawar", "D-3"),  # the kader: her own posyandu, her form only
        (1002, "kia", "Mawar", "D-3"),  # the bidan: every posyandu of the village
        (1002, "kia", "Melati", "D-3"),
    ]


def test_the_reminder_names_form_posyandu_period_and_days_left():
    [reminder] = [m for m in run(utc(2026, 12, 2, 1, 0)).due if m.user.telegram_id == 1001]
    assert reminder.key == "remind:posyandu:1:2026-11:D-3:1001"
    assert (reminder.form.id, reminder.posyandu.name, reminder.period, reminder.days_left) == (
        "posyandu",
        "Mawar",
        NOV,
        3,
    )
    assert reminder.due.isoformat() == "2026-12-05"


@pytest.mark.parametrize(
    "local_day,hour,step,days_left",
    [
        (2, 8, "D-3", 3),
        (3, 12, "D-3", 2),  # D-3 stays due until the next reminder day ...
        (4, 7, None, None),  # ... which takes over at its start, though its hour has not come
        (4, 8, "D-1", 1),
        (5, 8, "D-0", 0),
        (9, 10, "D-0", -4),  # the last one stays due until the lock (15 December) ...
        (15, 20, "D-0", -10),
        (16, 8, None, None),  # ... and never after it
    ],
)
def test_catch_up_rules(local_day, hour, step, days_left):
    now = datetime(2026, 12, local_day, hour, 0, tzinfo=planner.ZoneInfo("Asia/Jakarta"))
    due = [m for m in run(now).due if m.user.telegram_id == 1001]
    assert [(m.step, m.days_left) for m in due] == ([(step, days_left)] if step else [])


def test_nothing_for_submitted_or_already_sent_reports():
    now = utc(2026, 12, 2, 1, 0)
    submitted = {("posyandu", MAWAR.id, "2026-11"): utc(2026, 12, 1)}
    assert 1001 not in {m.user.telegram_id for m in run(now, submitted=submitted).due}
    done = {"remind:kia:1:2026-11:D-3:1002"}
    assert [r for r in reminders(run(now, done=done)) if r[0] == 1002] == [(1002, "kia", "Melati", "D-3")]


def test_quiet_hours_wait_for_the_morning():
    late_form = [form("posyandu", ("kader",), at="22:30")]
    # D-3 at 22:30 WIB falls in the quiet hours: nothing until 06:00 the next morning.
    wib = [SITI]
    assert run(datetime(2026, 12, 2, 22, 30, tzinfo=planner.ZoneInfo("Asia/Jakarta")), wib, late_form).due == []
    assert run(datetime(2026, 12, 3, 5, 59, tzinfo=planner.ZoneInfo("Asia/Jakarta")), wib, late_form).due == []
    morning = run(datetime(2026, 12, 3, 6, 0, tzinfo=planner.ZoneInfo("Asia/Jakarta")), wib, late_form)
    assert {(m.user.telegram_id, m.step) for m in morning.due} == {(1001, "D-3")}
    # A catch-up in the evening of the same day waits too (per village zone: WIT is already in quiet hours).
    evening = run(utc(2026, 12, 2, 12, 30))  # 19:30 WIB, 20:30 WITA, 21:30 WIT
    assert {m.user.telegram_id for m in evening.due if isinstance(m, planner.Reminder)} == {1001, 1002, 1003}


@pytest.mark.parametrize(
    "moment,quiet",
    [
        (time(20, 59), False),
        (time(21, 0), True),
        (time(23, 59), True),
        (time(0, 0), True),
        (time(5, 59), True),
        (time(6, 0), False),
    ],
)
def test_quiet_hours_bounds(moment, quiet):
    assert planner.is_quiet(datetime.combine(datetime(2026, 1, 1), moment)) is quiet


def test_busy_and_unreachable_people_are_held():
    blocked = person(1001, "kader", WIB, MAWAR.id, "Siti", reachable=False)
    result = run(utc(2026, 12, 2, 1, 0), people=[blocked, ANI], busy={1002})
    assert result.due == []
    assert sorted((h.message.user.telegram_id, h.reason) for h in result.held) == [
        (1001, "unreachable"),
        (1002, "busy"),
        (1002, "busy"),
    ]
    assert len(result.held_batches()) == 2


def test_batches_put_one_persons_reminders_together():
    result = run(utc(2026, 12, 2, 1, 0))
    batches = {b.user.telegram_id: b for b in result.batches()}
    assert batches[1002].keys == ("remind:kia:1:2026-11:D-3:1002", "remind:kia:2:2026-11:D-3:1002")
    assert len(result.batches()) == len({(m.user.telegram_id, m.kind) for m in result.due})


def test_days_before_due_come_from_the_form():
    custom = [form("posyandu", ("kader",), days=(7,), at="10:00")]
    assert run(datetime(2026, 11, 28, 9, 59, tzinfo=planner.ZoneInfo("Asia/Jakarta")), [SITI], custom).due == []
    [m] = run(datetime(2026, 11, 28, 10, 0, tzinfo=planner.ZoneInfo("Asia/Jakarta")), [SITI], custom).due
    assert (m.step, m.days_left) == ("D-7", 7)
    assert (
        run(
            datetime(2026, 12, 2, 9, 0, tzinfo=planner.ZoneInfo("Asia/Jakarta")),
            forms=[form("posyandu", ("kader",), days=())],
        ).due
        == []
    )


# -- manual rounds ------------------------------------------------------------------------------
def test_manual_round_reminds_about_the_month_just_ended_once_a_day():
    first_of_december = utc(2026, 12, 1, 3, 0)  # 10:00 WIB: no scheduled reminder is active yet
    assert [m for m in run(first_of_december).due if isinstance(m, planner.Reminder)] == []
    manual = run(first_of_december, manual=True)
    mine = [m for m in manual.due if m.user.telegram_id == 1001]
    assert [m.key for m in mine] == ["remind:posyandu:1:2026-11:now-20261201:1001"]
    again = run(first_of_december, manual=True, done={m.key for m in manual.due})
    assert again.due == []
    # On a reminder day the scheduled reminder is what a manual round sends; once sent, nothing more that day.
    d3 = utc(2026, 12, 2, 3, 0)
    assert [m.step for m in run(d3, manual=True).due if m.user.telegram_id == 1001] == ["D-3"]
    sent = {"remind:posyandu:1:2026-11:D-3:1001"}
    assert [m for m in run(d3, manual=True, done=sent).due if m.user.telegram_id == 1001] == []
    # The next day (still D-3's turn) a manual round may nudge again.
    assert [m.step for m in run(d3 + timedelta(days=1), manual=True, done=sent).due if m.user.telegram_id == 1001] == [
        "now-20261203"
    ]
    # In the middle of a month there is nothing to remind about (the month is not over).
    assert run(utc(2026, 11, 20, 3, 0), manual=True).due == []


# -- escalation ---------------------------------------------------------------------------------
def test_escalation_the_day_after_the_due_day_lists_missing_reports_and_who_is_responsible():
    melati_kader = person(1007, "kader", WIB, MELATI.id, "Dewi", reachable=False)
    people = [*PEOPLE, melati_kader]
    submitted = {("kia", MAWAR.id, "2026-11"): utc(2026, 12, 4)}
    before = datetime(2026, 12, 6, 7, 59, tzinfo=planner.ZoneInfo("Asia/Jakarta"))
    assert [m for m in run(before, people=people, submitted=submitted).due if isinstance(m, planner.Escalation)] == []
    now = datetime(2026, 12, 6, 8, 0, tzinfo=planner.ZoneInfo("Asia/Jakarta"))
    [escalation] = [m for m in run(now, people=people, submitted=submitted).due if isinstance(m, planner.Escalation)]
    assert escalation.user == LURAH and escalation.key == "escalate:32.04.12.2001:2026-11:d5:3001"
    assert [(m.posyandu.name, m.form.id, [u.name for u in m.responsible]) for m in escalation.missing] == [
        ("Mawar", "posyandu", ["Siti"]),
        ("Melati", "posyandu", ["Dewi"]),
        ("Melati", "kia", ["Ani"]),
    ]
    # Nothing missing: nothing to escalate. After the lock: nothing either.
    everything = {(f, p.id, "2026-11"): utc(2026, 12, 4) for f in ("posyandu", "kia") for p in (MAWAR, MELATI)}
    assert [m for m in run(now, submitted=everything).due if isinstance(m, planner.Escalation)] == []
    locked = datetime(2026, 12, 16, 8, 0, tzinfo=planner.ZoneInfo("Asia/Jakarta"))
    assert [m for m in run(locked).due if isinstance(m, planner.Escalation)] == []


# -- digest -------------------------------------------------------------------------------------
MONDAY_7 = DigestSchedule(weekday=1, at=time(7, 0), timezone="Asia/Jakarta")


def test_digest_weekday_zero_is_sunday_and_a_missed_one_keeps_a_day():
    sunday = DigestSchedule(weekday=0, at=time(7, 0), timezone="Asia/Jakarta")
    moment = planner.digest_moment(sunday, utc(2026, 11, 23, 3, 0))  # Monday 23 Nov 10:00 WIB
    assert moment.isoformat() == "2026-11-22T07:00:00+07:00"
    assert planner.digest_moment(MONDAY_7, utc(2026, 11, 23, 0, 0)).isoformat() == "2026-11-23T07:00:00+07:00"
    assert planner.digest_moment(MONDAY_7, utc(2026, 11, 22, 23, 59)).isoformat() == "2026-11-16T07:00:00+07:00"

    def digests(now, **kw):
        return [m for m in run(now, digest=MONDAY_7, **kw).due if isinstance(m, planner.Digest)]

    assert digests(utc(2026, 11, 22, 23, 59)) == []  # Monday 06:59 WIB
    [digest] = digests(utc(2026, 11, 23, 0, 0))  # Monday 07:00 WIB
    assert digest.key == "digest:2001:2026-W48" and digest.user == KOORD
    assert len(digests(utc(2026, 11, 23, 23, 59))) == 1  # still due the next morning (06:59)
    assert digests(utc(2026, 11, 24, 0, 1)) == []  # more than a day late: wait a week
    assert digests(utc(2026, 11, 23, 0, 0), done={"digest:2001:2026-W48"}) == []


def test_digest_numbers_per_village_never_above_100_percent():
    oct_ = Period(2026, 10)

    def due(day):
        return datetime(2026, 11, day, 12, 0, tzinfo=planner.ZoneInfo("Asia/Jakarta"))

    closed = Posyandu(id=9, village_code=WIB, name="Tutup", active=False)
    submitted = {
        ("posyandu", MAWAR.id, "2026-10"): due(5),  # on time: on the due day itself
        ("kia", MAWAR.id, "2026-10"): due(3),  # on time
        ("posyandu", MELATI.id, "2026-10"): due(6),  # late
        ("posyandu", closed.id, "2026-10"): due(1),  # a closed posyandu: not expected, not counted
        ("gone", MAWAR.id, "2026-10"): due(1),  # a form that no longer exists: not counted
        ("posyandu", MAWAR.id, "2026-09"): due(1),  # another month
    }
    result = planner.plan(
        Inputs(
            now=utc(2026, 11, 23, 3, 0),
            villages=VILLAGES,
            forms=FORMS,
            posyandu=[*POSYANDU, closed],
            people=PEOPLE,
            submitted=submitted,
            digest=MONDAY_7,
        )
    )
    [digest] = [m for m in result.due if isinstance(m, planner.Digest)]
    [row] = digest.villages  # the coordinator's scope (32.04) holds Sukamaju only
    assert (row.village.code, row.period, row.expected, row.submitted, row.on_time, row.late, row.missing) == (
        WIB,
        oct_,
        4,
        3,
        2,
        1,
        1,
    )
    assert row.rate == 0.75
    everything = {**submitted, ("kia", MELATI.id, "2026-10"): due(1)}
    full = planner.completeness(VILLAGES[0], [MAWAR, MELATI, closed], FORMS, everything, oct_)
    assert (full.expected, full.submitted, full.rate) == (4, 4, 1.0)
    empty = planner.completeness(VILLAGES[1], [], FORMS, everything, oct_)
    assert (empty.expected, empty.submitted, empty.rate) == (0, 0, 1.0)


def test_digest_lists_unreachable_people_in_scope():
    blocked = person(1001, "kader", WIB, MAWAR.id, "Siti", reachable=False)
    far = person(1004, "kader", WIT, CEMPAKA.id, "Yosina", reachable=False)
    result = run(utc(2026, 11, 23, 3, 0), people=[blocked, far, KOORD], digest=MONDAY_7)
    [digest] = [m for m in result.due if isinstance(m, planner.Digest)]
    assert [u.name for u in digest.unreachable] == ["Siti"]


# -- /pengingat ---------------------------------------------------------------------------------
def test_own_deadlines():
    now = utc(2026, 12, 3, 3, 0)  # 3 December: November due on the 5th, December open too
    submitted = {("kia", MAWAR.id, "2026-11"): utc(2026, 12, 1)}
    items = planner.deadlines(now, ANI, VILLAGES, FORMS, POSYANDU, submitted)
    assert [(d.form.id, d.posyandu.name, str(d.period), d.days_left, d.submitted) for d in items] == [
        ("kia", "Mawar", "2026-11", 2, True),
        ("kia", "Melati", "2026-11", 2, False),
        ("kia", "Mawar", "2026-12", 33, False),
        ("kia", "Melati", "2026-12", 33, False),
    ]
    assert planner.deadlines(now, LURAH, VILLAGES, FORMS, POSYANDU, {}) == []


# -- the people index ---------------------------------------------------------------------------
def test_people_by_village_finds_exactly_those_whose_scope_reaches_the_village():
    province = person(2002, "koordinator", "53", None)
    district = person(2003, "koordinator", "91.03.01", None)
    two_villages = User(
        telegram_id=2004,
        name="Dua",
        role=Role.KOORDINATOR,
        scope=(ScopeEntry(area_code=WIB), ScopeEntry(area_code=WIT)),
    )
    gone = person(1005, "kader", WIB, MAWAR.id, active=False)
    admin = person(9, "admin", "32", None)
    people = [*PEOPLE, province, district, two_villages, gone, admin]

    index = planner.people_by_village(people, [v.code for v in VILLAGES])

    for village in VILLAGES:  # the same people, in the same order, as scanning everyone
        scanned = [u for u in people if u.active and not u.is_admin and u.covers_village(village.code)]
        assert index[village.code] == scanned
    assert [u.telegram_id for u in index[WIB]] == [1001, 1002, 3001, 2001, 2004]
    assert [u.telegram_id for u in index[WIT]] == [1004, 2003, 2004]


def test_planning_does_not_scan_everyone_for_every_posyandu():
    """5,000 people in 250 villages: planning once visits each person's scope a few times, not
    once per posyandu and form (which made a round of 5,000 take minutes to plan)."""
    calls = 0
    original = User.covers_posyandu

    def counting(self, place):
        nonlocal calls
        calls += 1
        return original(self, place)

    villages = [
        Village(
            code=f"32.04.{10 + n // 100:02d}.{2001 + n % 100}",
            name=f"D{n}",
            district_code="",
            district_name="",
            regency_code="32.04",
            regency_name="",
            province_code="32",
            province_name="",
            timezone="Asia/Jakarta",
        )
        for n in range(250)
    ]
    places = [Posyandu(id=n + 1, village_code=villages[n // 4].code, name=f"P{n}") for n in range(1000)]
    people = [person(10_000 + n, "kader", places[n // 5].village_code, places[n // 5].id) for n in range(5000)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(User, "covers_posyandu", counting)
        result = planner.plan(
            Inputs(now=utc(2026, 12, 2, 2, 0), villages=villages, forms=FORMS, posyandu=places, people=people)
        )
    assert len({m.user.telegram_id for m in result.due}) == 5000
    assert calls <= 5000 * 4 * 2  # each person: the posyandu of their village, once per report form


@pytest.mark.parametrize(
    "now,quiet",
    [
        (utc(2026, 12, 1, 14, 0), True),  # 21:00 WIB, 22:00 WITA, 23:00 WIT
        (utc(2026, 12, 1, 13, 59), False),  # 20:59 in Jakarta: Jakarta can still be reminded
        (utc(2026, 12, 1, 20, 59), True),  # 03:59 WIB ... 05:59 WIT
        (utc(2026, 12, 1, 21, 0), False),  # 06:00 WIT: Papua's morning has begun
    ],
)
def test_all_quiet_only_when_every_village_is_in_its_quiet_hours(now, quiet):
    inputs = Inputs(now=now, villages=VILLAGES, forms=FORMS, posyandu=POSYANDU, people=PEOPLE)
    assert planner.all_quiet(inputs) is quiet
    assert not planner.all_quiet(Inputs(now=now, villages=[], forms=FORMS, posyandu=POSYANDU, people=PEOPLE))


def test_quiet_hours_can_be_switched_off():
    assert not planner.is_quiet(datetime(2026, 1, 1, 23, 0), None)


@pytest.mark.parametrize(
    "value,window",
    [
        ("21:00-06:00", (time(21, 0), time(6, 0))),
        ("off", None),
        ("OFF", None),
        ("22:30-05:15", (time(22, 30), time(5, 15))),
    ],
)
def test_quiet_hours_setting(value, window):
    from runtime.settings import load_settings

    assert load_settings(quiet_hours=value).quiet_window == window


@pytest.mark.parametrize("value", ["21-06", "25:00-06:00", "", "never"])
def test_quiet_hours_setting_refused(value):
    from runtime.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="QUIET_HOURS"):
        load_settings(quiet_hours=value)
