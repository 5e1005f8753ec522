"""Reminder rounds through a real Application and the local Bot API double: idempotent across
reruns, restarts and two processes; catch-up after downtime; busy people; 429 and 403; the
reminder's button; /pengingat. The small test form (tests/support/forms/uji.yaml) is one
report form for kader and bidan, due on the 5th, locked after the 15th, reminders D-3/D-1/D-0 at 08:00."""

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Bot

from domain.forms import load_forms
from domain.models import ScopeEntry
from domain.roles import Role
from features.reminders.jobs import TICK_JOB_ID, run_round, schedule_reminders
from handlers.context import SERVICES_KEY
from runtime.services import Services
from storage import Storage
from tests.support.harness import TOKEN, make_settings, running_bot

FORMS = Path(__file__).parent.parent / "support" / "forms"
SUKAMAJU, OEBOBO, SENTANI = "32.04.12.2001", "53.71.01.1001", "91.03.01.2001"
D3_WIB = datetime(2026, 12, 2, 1, 30, tzinfo=UTC)  # 2 December 08:30 WIB (09:30 WITA, 10:30 WIT)
D1_WIB = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)
HEADER = "Pengingat laporan"


@pytest.fixture
def settings_(tmp_path, server):
    return make_settings(tmp_path, server, forms_dir=FORMS)


@pytest.fixture
async def app(server, settings_, storage, clock, posyandu_ids):
    async with running_bot(server, settings_, storage, clock) as application:
        yield application


def services_of(application) -> Services:
    return application.bot_data[SERVICES_KEY]


async def add_person(server, storage, uid, role, area, posyandu=None, name="Siti"):
    [code] = await storage.users.create_invitations(Role(role), [ScopeEntry(area_code=area, posyandu_id=posyandu)])
    assert (await storage.users.register(uid, name, code)).user is not None
    return server.user(uid, name)


async def reporters(server, storage, ids):
    return {
        "siti": await add_person(server, storage, 1001, "kader", SUKAMAJU, ids["Mawar"], "Siti"),
        "ani": await add_person(server, storage, 1002, "bidan", SUKAMAJU, None, "Ani"),
        "maria": await add_person(server, storage, 1003, "kader", OEBOBO, ids["Kenanga"], "Maria"),
        "yosina": await add_person(server, storage, 1004, "kader", SENTANI, ids["Cempaka"], "Yosina"),
    }


def reminders_in(person):
    return [m for m in person.messages if HEADER in m.text]


async def said(person, substring, timeout=10.0):
    return await person.await_for(lambda m: substring in m.content and "edit_date" not in m.data, timeout)


# -- idempotency ------------------------------------------------------------------------------
async def test_no_double_send_across_reruns_a_restart_and_two_processes(
    server, settings_, storage, clock, posyandu_ids
):
    people = await reporters(server, storage, posyandu_ids)
    clock.set(D3_WIB)
    async with running_bot(server, settings_, storage, clock) as application:
        first = await run_round(services_of(application), application.bot)
        assert (first.sent, first.failed) == (4, 0)
        again = await run_round(services_of(application), application.bot)
        assert (again.sent, again.failed) == (0, 0)
    async with running_bot(server, settings_, storage, clock) as application:  # a restart
        assert (await run_round(services_of(application), application.bot)).sent == 0
        assert {name: len(reminders_in(p)) for name, p in people.items()} == {
            "siti": 1,
            "ani": 1,
            "maria": 1,
            "yosina": 1,
        }
        ani = reminders_in(people["ani"])[0]
        assert "Mawar" in ani.text and "Melati" in ani.text and len(ani.button_texts) == 2  # one message, two reports
        assert "November 2026" in ani.text and "5 Desember 2026" in ani.text and "3 hari lagi" in ani.text

        # Two bot processes (two connections to the same database) run the D-1 round at once.
        clock.set(D1_WIB)
        other = await Storage.open(settings_.database_path, clock)
        try:
            second = Services(settings=settings_, storage=other, forms=load_forms(FORMS), clock=clock)
            results = await asyncio.gather(
                run_round(services_of(application), application.bot), run_round(second, application.bot)
            )
        finally:
            await other.close()
        assert sum(r.sent for r in results) == 4 and sum(r.failed for r in results) == 0
    assert {name: len(reminders_in(p)) for name, p in people.items()} == {"siti": 2, "ani": 2, "maria": 2, "yosina": 2}
    assert "besok" in reminders_in(people["siti"])[-1].text
    states = {e.state for e in await storage.reminders.entries("remind:")}
    assert states == {"sent"} and len(await storage.reminders.entries("remind:")) == 10


async def test_a_claim_left_by_a_dead_round_is_retried_after_a_few_minutes(app, server, storage, clock, posyandu_ids):
    siti = await add_person(server, storage, 1001, "kader", SUKAMAJU, posyandu_ids["Mawar"])
    clock.set(D3_WIB)
    key = f"remind:uji_bulanan:{posyandu_ids['Mawar']}:2026-11:D-3:1001"
    assert await storage.reminders.claim([key], 1001, "remind", owner="dead-process") == [key]
    assert (await run_round(services_of(app), app.bot)).sent == 0  # claimed just now: maybe being sent
    clock.advance(minutes=6)
    assert (await run_round(services_of(app), app.bot)).sent == 1  # the claimant died: send it
    assert len(reminders_in(siti)) == 1
    [entry] = await storage.reminders.entries("remind:")
    assert (entry.state, entry.attempts) == ("sent", 2)


# -- catch-up after downtime ------------------------------------------------------------------
async def test_first_tick_at_start_catches_up_only_what_still_makes_sense(app, server, storage, clock, posyandu_ids):
    people = await reporters(server, storage, posyandu_ids)
    # The bot was down on D-3 and comes back on D-1 at 10:00 WIB: only D-1 is sent (D-3 is superseded).
    clock.set(datetime(2026, 12, 4, 3, 0, tzinfo=UTC))
    draft = await storage.reports.open_draft("uji_bulanan", posyandu_ids["Kenanga"], "2026-11", 1003)
    await storage.reports.submit(draft, await storage.users.get(1003), OEBOBO, {"sasaran": 1, "ditimbang": 1})
    schedule_reminders(app)
    schedule_reminders(app)  # stable id: replaces, never duplicates
    assert len(app.job_queue.jobs()) == 1 and app.job_queue.jobs()[0].job.id == TICK_JOB_ID
    message = await people["siti"].await_text(HEADER)
    assert "besok" in message.text
    await people["yosina"].await_text(HEADER)
    await people["ani"].await_text(HEADER)
    for _ in range(200):
        if len(await storage.reminders.entries("remind:")) == 4:  # siti, yosina, ani (x2)
            break
        await asyncio.sleep(0.01)
    keys = [e.key for e in await storage.reminders.entries("remind:")]
    assert all(":D-1:" in k for k in keys) and len(keys) == 4
    assert reminders_in(people["maria"]) == []  # she had submitted

    # Down again until after the lock: nothing is sent any more.
    clock.set(datetime(2026, 12, 16, 3, 0, tzinfo=UTC))
    assert (await run_round(services_of(app), app.bot)).sent == 0


# -- busy people --------------------------------------------------------------------------------
async def test_a_reminder_waits_while_the_person_is_in_a_conversation(app, server, storage, clock, posyandu_ids):
    siti = await add_person(server, storage, 1001, "kader", SUKAMAJU, posyandu_ids["Mawar"])
    clock.set(D3_WIB)
    siti.send("/lapor")
    await said(siti, "Untuk bulan apa")  # choosing counts as being in a conversation too
    result = await run_round(services_of(app), app.bot)
    assert (result.sent, result.skipped) == (0, 1)
    clock.advance(minutes=59)
    assert (await run_round(services_of(app), app.bot)).sent == 0
    clock.advance(minutes=2)  # idle for more than an hour
    assert (await run_round(services_of(app), app.bot)).sent == 1
    assert len(reminders_in(siti)) == 1


async def test_a_reminder_goes_once_the_conversation_ends(app, server, storage, clock, posyandu_ids):
    siti = await add_person(server, storage, 1001, "kader", SUKAMAJU, posyandu_ids["Mawar"])
    clock.set(D3_WIB)
    siti.send("/lapor")
    await said(siti, "Untuk bulan apa")
    siti.press("November 2026")
    await said(siti, "balita sasaran")
    assert (await run_round(services_of(app), app.bot)).sent == 0
    siti.send("/batal")
    await said(siti, "tersimpan")
    assert (await run_round(services_of(app), app.bot)).sent == 1


# -- Telegram's limits and errors ---------------------------------------------------------------
async def test_429_after_retries_leaves_the_reminder_for_the_next_round(
    server, settings_, storage, clock, posyandu_ids
):
    people = await reporters(server, storage, posyandu_ids)
    services = Services(settings=settings_, storage=storage, forms=load_forms(FORMS), clock=clock)
    clock.set(D3_WIB)
    server.enforce_flood_limits(global_per_second=2, per_chat_per_second=1, retry_after=30)
    async with Bot(TOKEN, base_url=server.base_url) as bot:  # no rate limiter: a 429 comes straight back
        first = await run_round(services, bot, retries=0)
        assert first.sent == 2 and first.retry >= 1 and first.sent + first.failed + first.skipped == 4
        assert server.flood_hits
        server.disable_flood_limits()
        second = await run_round(services, bot)
        assert (second.sent, second.failed) == (2, 0)
        assert (await run_round(services, bot)).sent == 0
    assert all(len(reminders_in(p)) == 1 for p in people.values())
    entries = await storage.reminders.entries("remind:")
    assert {e.state for e in entries} == {"sent"} and sum(e.attempts for e in entries) >= 6


async def test_a_burst_through_the_rate_limiter_delivers_each_reminder_once(app, server, storage, clock, posyandu_ids):
    people = [
        await add_person(server, storage, 1100 + i, "kader", SUKAMAJU, posyandu_ids["Mawar"], f"Kader {i}")
        for i in range(40)
    ]
    clock.set(D3_WIB)
    server.enforce_flood_limits(global_per_second=30, per_chat_per_second=1)
    started = time.monotonic()
    result = await run_round(services_of(app), app.bot)
    elapsed = time.monotonic() - started
    assert (result.sent, result.failed) == (40, 0)
    assert all(len(reminders_in(p)) == 1 for p in people)  # 429s (if any) were waited out, nothing doubled
    assert elapsed < 10, elapsed


async def test_a_person_who_blocked_the_bot_is_marked_unreachable_skipped_and_listed(
    app, server, storage, clock, posyandu_ids
):
    siti = await add_person(server, storage, 1001, "kader", SUKAMAJU, posyandu_ids["Mawar"], "Siti")
    budi = await add_person(server, storage, 2001, "koordinator", "32.04", None, "Budi")
    clock.set(D3_WIB)
    server.block(1001)
    result = await run_round(services_of(app), app.bot)
    assert (result.sent, result.failed) == (0, 1)
    assert not (await storage.users.get(1001)).reachable
    [entry] = await storage.reminders.entries("remind:")
    assert entry.state == "failed" and "Forbidden" in entry.error
    calls = len([c for c in server.calls("sendMessage") if str(c.get("chat_id")) == "1001"])
    clock.set(D1_WIB)
    result = await run_round(services_of(app), app.bot)
    assert (result.sent, result.skipped) == (0, 1)
    assert len([c for c in server.calls("sendMessage") if str(c.get("chat_id")) == "1001"]) == calls  # not tried
    # Monday 7 December 07:30 WIB: the weekly digest lists her.
    clock.set(datetime(2026, 12, 7, 0, 30, tzinfo=UTC))
    assert (await run_round(services_of(app), app.bot)).sent == 1
    digest = await budi.await_text("Ringkasan mingguan")
    assert "Sukamaju (November 2026): 0/2 masuk (0,0%)" in digest.text and "Cibiru Wetan" in digest.text
    assert "Siti (Kader posyandu, Sukamaju)" in digest.text and "7 Desember 2026" in digest.text
    assert (await run_round(services_of(app), app.bot)).sent == 0  # once a week
    # She unblocks the bot and writes again: reachable again.
    server.unblock(1001)
    siti.send("/bantuan")
    await siti.await_text("/lapor")
    for _ in range(200):
        if (await storage.users.get(1001)).reachable:
            break
        await asyncio.sleep(0.01)
    assert (await storage.users.get(1001)).reachable


async def test_escalation_reaches_the_perangkat_desa_the_day_after_the_due_day(
    app, server, storage, clock, posyandu_ids
):
    await add_person(server, storage, 1001, "kader", SUKAMAJU, posyandu_ids["Mawar"], "Siti")
    lurah = await add_person(server, storage, 3001, "perangkat_desa", SUKAMAJU, None, "Pak Lurah")
    other = await add_person(server, storage, 3002, "perangkat_desa", OEBOBO, None, "Pak Kupang")
    clock.set(datetime(2026, 12, 6, 0, 59, tzinfo=UTC))  # 6 December 07:59 WIB
    await run_round(services_of(app), app.bot)
    assert lurah.messages == []
    clock.set(datetime(2026, 12, 6, 1, 0, tzinfo=UTC))
    await run_round(services_of(app), app.bot)
    text = (await lurah.await_text("belum lengkap")).text
    assert "November 2026" in text and "Sukamaju" in text and "5 Desember 2026" in text
    assert "Mawar: Laporan Uji" in text and "Petugas: Siti" in text
    assert "Melati: Laporan Uji" in text and "belum ada yang terdaftar" in text
    assert "Kenanga" not in text
    assert len([m for m in other.messages if "belum lengkap" in m.text]) == 1  # Oebobo's own escalation
    await run_round(services_of(app), app.bot)
    assert len(lurah.messages) == 1


# -- the button -----------------------------------------------------------------------------------
async def test_the_reminder_button_starts_the_report_directly(app, server, storage, clock, posyandu_ids):
    people = await reporters(server, storage, posyandu_ids)
    clock.set(D3_WIB)
    await run_round(services_of(app), app.bot)
    siti, ani = people["siti"], people["ani"]
    siti.press("Laporan Uji · Mawar", reminders_in(siti)[0])
    first = await said(siti, "balita sasaran")
    assert "Laporan Uji · Mawar · November 2026" in first.text
    siti.send("50")
    await said(siti, "ditimbang")
    siti.send("/kembali")  # the conversation routes commands: it was entered through the button
    await said(siti, "balita sasaran")
    siti.send("/batal")
    await said(siti, "tersimpan")
    ani.press("Melati", reminders_in(ani)[0])
    await said(ani, "balita sasaran")
    [draft] = await storage.reports.drafts_of(1002)
    assert (draft.form_id, draft.posyandu_id, draft.period) == ("uji_bulanan", posyandu_ids["Melati"], "2026-11")
    # Forged: another village's posyandu. Locked: after the 15th.
    siti.press_data(f"r:0:{posyandu_ids['Kenanga']}:2026-11")
    clock.set(datetime(2026, 12, 16, 3, 0, tzinfo=UTC))
    siti.press("Laporan Uji · Mawar", reminders_in(siti)[0])
    for _ in range(200):
        if len(siti.callback_answers) >= 3:
            break
        await asyncio.sleep(0.01)
    answers = [a.get("text", "") for a in siti.callback_answers]
    assert "tidak berlaku" in answers[1] and "terkunci" in answers[2]
    assert [d.posyandu_id for d in await storage.reports.drafts_of(1001)] == [posyandu_ids["Mawar"]]


# -- /pengingat -----------------------------------------------------------------------------------
async def test_pengingat_shows_own_deadlines_and_coordinators_start_a_round(app, server, storage, clock, posyandu_ids):
    siti = await add_person(server, storage, 1001, "kader", SUKAMAJU, posyandu_ids["Mawar"], "Siti")
    await add_person(server, storage, 1003, "kader", OEBOBO, posyandu_ids["Kenanga"], "Maria")
    budi = await add_person(server, storage, 2001, "koordinator", "32.04", None, "Budi")
    lurah = await add_person(server, storage, 3001, "perangkat_desa", SUKAMAJU, None, "Pak Lurah")
    # Monday 23 November: November is open (due 5 December), October locked after the 15th.
    siti.send("/pengingat")
    mine = await said(siti, "Tenggat laporan Anda")
    assert "Laporan Uji · Mawar · November 2026: tenggat 5 Desember 2026 (12 hari lagi)" in mine.text
    assert "Oktober" not in mine.text and mine.button_texts == ["📝 Laporan Uji · Mawar"]
    siti.press("Laporan Uji · Mawar")
    await said(siti, "balita sasaran")
    siti.send("/batal")
    await said(siti, "tersimpan")

    lurah.send("/pengingat")
    status = await said(lurah, "Desa Sukamaju")
    assert "Oktober 2026" in status.text and "Mawar: Laporan Uji" in status.text

    budi.send("/pengingat")
    overview = await said(budi, "Kelengkapan laporan")
    assert "Sukamaju (Oktober 2026): 0/2" in overview.text and "/pengingat kirim" in overview.text

    siti.send("/pengingat kirim")
    await said(siti, "Hanya koordinator")

    clock.set(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))  # 1 December: no scheduled reminder yet
    budi.send("/pengingat kirim")
    done = await said(budi, "Pengingat selesai")
    assert "1 terkirim, 0 ditunda, 0 gagal" in done.text
    assert len(reminders_in(siti)) == 1  # Maria (another regency) is not in Budi's scope
    budi.send("/pengingat kirim")
    again = await said(budi, "Pengingat selesai")
    assert "0 terkirim" in again.text and "jam tenang" not in again.text  # once a day
    clock.set(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))  # 22:00 WIB: quiet hours, and he is told so
    budi.send("/pengingat kirim")
    quiet = await said(budi, "Pengingat selesai")
    assert "0 terkirim" in quiet.text and "jam tenang" in quiet.text and "06.00" in quiet.text


async def test_the_sent_log_forgets_old_entries_claims_left_by_dead_rounds_too(storage, clock):
    await storage.reminders.claim(["old-sent"], 1001, "remind", "round-a")
    await storage.reminders.mark_sent(["old-sent"], "round-a")
    await storage.reminders.claim(["old-claimed"], 1001, "remind", "round-a")
    clock.advance(days=121)
    await storage.reminders.claim(["new-sent"], 1001, "remind", "round-b")
    await storage.reminders.mark_sent(["new-sent"], "round-b")
    assert await storage.reminders.prune() == 2  # a claim that old is long past any period it was for
    assert {e.key for e in await storage.reminders.entries()} == {"new-sent"}
