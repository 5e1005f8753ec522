"""The monthly report across real processes: `python bot.py run` against the Bot API double,
killed with SIGKILL in the middle of a report and started again on the same database.

Telegram keeps every update until the bot confirms it (the next getUpdates with a higher
offset), and the double does the same, so what a person sends while the bot is down arrives when
it is back. The bot confirms an update only after handling it (app/polling.py), so a kill means
Telegram delivers again what was unfinished; what had already taken effect is not applied twice,
and where its reply may not have been sent the person is shown where they are again.
"""

from __future__ import annotations

import random
import time

from tests.e2e.conftest import (
    activity_date,
    answer,
    is_new,
    next_message,
    open_report,
    polled_past,
    register,
    said,
    settled,
    transcript,
    wait_until,
)
from tests.support.households import KEY

SITI = 1001


def expected_values(date_iso: str, catatan=None) -> dict:
    return {
        "sasaran": 50,
        "ditimbang": 40,
        "ada_kelas": True,
        "peserta_kelas": 12,
        "berat_rata": 12.5,
        "tempat": "balai",
        "layanan": ["timbang", "vitamin"],
        "tanggal": date_iso,
        "catatan": catatan,
    }


def restart(bot, server):
    bot.kill()
    bot.start(server)


# -- (a) one kill right after an acknowledged answer --------------------------------------------
def test_sigkill_mid_report_loses_nothing_and_the_person_just_continues(world, bot, server):
    siti = server.user(SITI, "Siti")
    register(siti, world.codes[0])
    open_report(siti)
    reply = answer(siti, "lima puluh", "dengan angka")  # text for a number: the same question again
    assert "balita sasaran" in reply.text
    answer(siti, "50", "ditimbang")
    reply = answer(siti, "60", "tidak boleh lebih dari balita sasaran")  # hard rule D <= S
    assert "ditimbang (D)?" in reply.text
    answer(siti, "40", "kelas ibu")  # acknowledged: the next question is on the screen
    settled(world)

    restart(bot, server)
    assert [m for m in siti.unseen if is_new(m)] == []  # nothing re-asked on its own
    siti.press("Ya")  # the button of the message sent before the kill still works
    reply = next_message(siti)
    assert "Berapa peserta kelas ibu?" in reply.text, reply.text
    answer(siti, "12", "Berat rata-rata")
    settled(world)

    restart(bot, server)
    siti.send("12,5")
    reply = next_message(siti)
    assert "Di mana kegiatan?" in reply.text, reply.text  # accepted at the right question, not re-asked
    assert world.draft_answers(SITI) == {
        "sasaran": 50,
        "ditimbang": 40,
        "ada_kelas": True,
        "peserta_kelas": 12,
        "berat_rata": 12.5,
    }
    siti.press("Balai desa")
    said(siti, "Layanan apa")
    siti.press("Penimbangan")
    siti.wait_for(lambda m: "☑ Penimbangan" in m.button_texts)
    siti.press("Vitamin A")
    siti.wait_for(lambda m: "☑ Vitamin A" in m.button_texts)
    siti.press("Selesai")
    said(siti, "Tanggal kegiatan")
    typed, iso = activity_date()
    answer(siti, typed, "Catatan")
    siti.send("/lewati")
    review = said(siti, "Periksa lagi")
    for shown in (
        "(S)?: 50 anak",
        "(D)?: 40 anak",
        "bulan ini?: Ya",
        "peserta kelas ibu?: 12",
        "12,5 kg",
        "Balai desa",
        "Penimbangan, Vitamin A",
        "Catatan singkat?: —",
    ):
        assert shown in review.text, review.text
    siti.press("Kirim")
    receipt = said(siti, "Terkirim")
    assert "revisi 1" in receipt.text and "80,0%" in receipt.text

    assert world.report_values() == expected_values(iso)
    assert world.scalar("SELECT COUNT(*) FROM report_revisions") == 1
    assert world.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'report.submit'") == 1
    audit = world.cli("audit", "--action", "report.submit").stdout
    assert "report.submit" in audit and f"uji_bulanan/{world.posyandu_id}/" in audit
    assert world.scalar("SELECT COUNT(*) FROM drafts") == 0 and world.scalar("SELECT COUNT(*) FROM sessions") == 0
    questions = [m.text for m in siti.messages if is_new(m) and "?" in (m.text or "") and "·" in (m.text or "")]
    asked = [q for q in questions if "Berapa peserta kelas ibu?" in q]
    assert len(asked) == 1, questions  # asked once, though the bot died twice around it


# -- (b) kills at random moments while the person types fast ------------------------------------
TYPED = ["50", "40", "ya", "12", "12,5", "2", "1, 3", None, "Posyandu ramai"]  # None: the date, typed below
# One per kill/restart cycle: "random" kills 0-100 ms after a burst of two answers; "fetched" kills
# once the bot has taken both answers from the server while still replying to the first (the
# double answers sendMessage slowly, as Telegram does on a bad day); "down" sends while no bot runs.
KILL_MOMENTS = ["random", "fetched", "random", "down", "fetched"]
SLOW_REPLY = 0.5


def test_random_kills_during_rapid_answering_lose_nothing(world, bot, server):
    typed_date, iso = activity_date()
    answers = [typed_date if a is None else a for a in TYPED]
    expected = expected_values(iso, catatan="Posyandu ramai")
    siti = server.user(SITI, "Siti")
    register(siti, world.codes[0])
    open_report(siti)
    rng = random.Random(20261123)
    queue = list(answers)
    for moment in KILL_MOMENTS:
        burst = [queue.pop(0) for _ in range(min(len(queue), 1 if moment == "down" else 2))]
        if moment == "down":
            bot.kill()  # sent while no bot runs: Telegram keeps the updates until one asks
        if moment == "fetched":
            server.delay("sendMessage", SLOW_REPLY)
        for text in burst:
            last = siti.send(text)
            time.sleep(rng.uniform(0, 0.02))  # a fast typist
        if moment == "random":
            time.sleep(rng.uniform(0, 0.1))
        elif moment == "fetched":
            wait_until(lambda last=last: polled_past(server, last), what=f"the bot to fetch update {last}")
        bot.kill()
        server.delay("sendMessage", 0)
        bot.start(server)
    assert not queue
    wait_until(lambda: not server.pending_updates, what="the bot to take every answer")
    try:
        review = said(siti, "Periksa lagi", timeout=3)
    except TimeoutError:
        review = None
    assert world.draft_answers(SITI) == expected, f"typed: {answers}\nchat:\n{transcript(siti)}"
    if review is None:  # killed after saving the last answer, before showing the review: ask again
        siti.send("/lapor")
        said(siti, "belum selesai")
        siti.press("Laporan Uji")
        said(siti, "Periksa lagi")
    siti.press("Kirim")
    said(siti, "Terkirim")
    assert world.report_values() == expected
    assert world.scalar("SELECT COUNT(*) FROM report_revisions") == 1


def test_answers_fetched_but_not_yet_handled_come_again_after_sigkill(world, bot, server):
    siti = server.user(SITI, "Siti")
    register(siti, world.codes[0])
    open_report(siti)
    answer(siti, "50", "ditimbang")
    settled(world)
    bot.kill()
    forty, ya = siti.send("40"), siti.send("ya")  # typed while no bot runs: fetched together
    server.delay("sendMessage", SLOW_REPLY)  # Telegram is slow to take the bot's reply to "40" ...
    bot.start(server)
    wait_until(lambda: "ditimbang" in world.draft_answers(SITI), what="the bot to save '40'")
    assert "ada_kelas" not in world.draft_answers(SITI), "precondition: 'ya' is not handled yet"
    bot.kill()  # ... and the bot dies while still replying to "40"
    server.delay("sendMessage", 0)
    assert {forty, ya} <= {u["update_id"] for u in server.pending_updates}  # not confirmed: Telegram keeps them
    bot.start(server)
    said(siti, "kelas ibu")  # "40" is not applied again, but its reply may be lost: the question again
    said(siti, "peserta kelas")  # the reply to "ya", applied to the question it answered
    assert world.draft_answers(SITI) == {"sasaran": 50, "ditimbang": 40, "ada_kelas": True}
    assert not [m for m in siti.messages if "tidak boleh" in m.content or "gangguan" in m.content]


# -- (c) the same Kirim update delivered twice ---------------------------------------------------
def fill_quickly(person) -> None:
    typed_date, _ = activity_date()
    for text, expect in [
        ("50", "ditimbang"),
        ("40", "kelas ibu"),
        ("ya", "peserta kelas"),
        ("12", "Berat rata-rata"),
        ("12,5", "Di mana"),
        ("2", "Layanan apa"),
        ("1, 3", "Tanggal kegiatan"),
        (typed_date, "Catatan"),
        ("/lewati", "Periksa lagi"),
    ]:
        answer(person, text, expect)


def submit_unconfirmed(world, person, server, revision: int) -> tuple[int, str]:
    """Press Kirim while the bot's getUpdates calls fail after it took the press: the offset is
    not confirmed, so Telegram (and the double) will deliver the same update again. Returns the
    update id and the callback query id, once the revision is in the database."""
    # The bot has confirmed everything before and is waiting in its next long poll: the failures
    # below hit the poll after the one that brings Kirim.
    wait_until(lambda: not server.pending_updates, what="the bot to wait for the next update")
    server.fail_next("getUpdates", 502, times=3)  # retried after 1 s, 1.5 s, 2.25 s
    kirim = person.press("Kirim")
    wait_until(lambda: revisions(world) == revision, what=f"revision {revision} in the database")
    pending = {u["update_id"]: u for u in server.pending_updates}
    assert kirim in pending, "precondition: the Kirim update is not confirmed yet"
    return kirim, pending[kirim]["callback_query"]["id"]


def revisions(world) -> int:
    return world.scalar("SELECT COUNT(*) FROM report_revisions")


def answering_again(query_ids: list[str]):
    """Telegram's 400 for answering a button press a second time (the press came twice); the
    bot may try, and must carry on."""
    return lambda v: v.method == "answerCallbackQuery" and v.params.get("callback_query_id") in query_ids


def test_kirim_delivered_twice_makes_one_revision(world, bot, server, allowed_violations):
    siti = server.user(SITI, "Siti")
    delivered_twice: list[str] = []
    allowed_violations.append(answering_again(delivered_twice))
    register(siti, world.codes[0])
    open_report(siti)
    fill_quickly(siti)

    # 1. Kirim handled completely (receipt shown), then SIGKILL before the offset was confirmed.
    kirim1, query = submit_unconfirmed(world, siti, server, 1)
    delivered_twice.append(query)
    said(siti, "revisi 1")
    settled(world)
    restart(bot, server)
    wait_until(lambda: polled_past(server, kirim1), timeout=15, what="the restarted bot to take Kirim again")
    answer(siti, "/bantuan", "/lapor")  # handled after the redelivered Kirim (updates go in order)
    assert revisions(world) == 1

    # 2. A revision: the bot committed it and asked Telegram to send the receipt, and was killed
    #    before the answer came back.
    open_report(siti, "sudah dikirim (revisi 1)")
    siti.press("2")
    answer(siti, "41", "Periksa lagi")
    server.delay("sendMessage", 1.0)
    kirim2, query = submit_unconfirmed(world, siti, server, 2)
    delivered_twice.append(query)
    wait_until(
        lambda: any("revisi 2" in c.get("text", "") for c in server.calls("sendMessage")),
        what="the receipt to be on its way",
    )
    bot.kill()
    server.delay("sendMessage", 0)
    bot.start(server)
    said(siti, "revisi 2")  # the receipt the killed bot had already handed to Telegram, or sent again
    wait_until(lambda: polled_past(server, kirim2), timeout=15, what="the restarted bot to take Kirim again")
    answer(siti, "/bantuan", "/lapor")
    assert revisions(world) == 2

    # 3. Kirim pressed while the bot is down: delivered once it is back, handled once.
    open_report(siti, "sudah dikirim (revisi 2)")
    siti.press("2")
    answer(siti, "42", "Periksa lagi")
    bot.kill()
    kirim3 = siti.press("Kirim")
    bot.start(server)
    said(siti, "revisi 3")
    answer(siti, "/bantuan", "/lapor")

    rows = world.query("SELECT revision, update_id FROM report_revisions ORDER BY revision")
    assert [(r["revision"], r["update_id"]) for r in rows] == [(1, kirim1), (2, kirim2), (3, kirim3)]
    actions = [
        r["action"] for r in world.query("SELECT action FROM audit_log WHERE action LIKE 'report.%' ORDER BY id")
    ]
    assert actions == ["report.submit", "report.revise", "report.revise"]
    assert world.report_values()["ditimbang"] == 42
    assert not [m for m in siti.messages if "gangguan" in m.content]  # no "sorry, something went wrong"
    receipts = [m for m in siti.messages if "Terkirim" in m.content]
    assert [("revisi 1" in m.content, "revisi 3" in m.content) for m in receipts if "revisi 2" not in m.content] == [
        (True, False),
        (False, True),
    ]  # each once: those Kirim presses were finished when redelivered
    assert 1 <= len([m for m in receipts if "revisi 2" in m.content]) <= 2  # unfinished: sent again


def test_kirim_delivered_again_after_the_receipt_was_lost_tells_the_person(world, bot, server, allowed_violations):
    siti = server.user(SITI, "Siti")
    delivered_twice: list[str] = []
    allowed_violations.append(answering_again(delivered_twice))
    register(siti, world.codes[0])
    open_report(siti)
    fill_quickly(siti)
    server.fail_next("sendMessage", 502)  # the receipt is lost on the way ...
    kirim, query = submit_unconfirmed(world, siti, server, 1)
    delivered_twice.append(query)
    wait_until(
        lambda: any("revisi 1" in c.get("text", "") for c in server.calls("sendMessage")),
        what="the bot to try sending the receipt",
    )
    restart(bot, server)  # ... and the bot dies before Telegram confirms the Kirim update
    wait_until(lambda: polled_past(server, kirim), timeout=15, what="the restarted bot to take Kirim again")
    answer(siti, "/bantuan", "/lapor")  # handled after the redelivered Kirim
    assert revisions(world) == 1
    assert [m for m in siti.messages if "revisi 1" in m.content], transcript(siti)


# -- (d) the real forms ---------------------------------------------------------------------------
def test_real_forms_kader_reaches_the_first_question_of_posyandu_bulanan(world, make_bot, server):
    make_bot(FORMS_DIR=None, DATA_KEY=KEY)  # the project's own forms/, whose KIA form has sensitive questions
    wulan = server.user(1002, "Wulan")
    register(wulan, world.codes[1])
    choose = open_report(wulan, first_question="Berapa jumlah balita di wilayah posyandu (S)?")
    assert "Laporan apa" in choose.text
    assert "Laporan Bulanan Posyandu" in choose.button_texts
    wulan.press("Laporan Bulanan Posyandu")
    first = wulan.wait_for(lambda m: is_new(m) and ("Untuk bulan apa" in m.content or "(S)?" in m.content))
    if "Untuk bulan apa" in first.content:
        wulan.press(-1, first)
        first = said(wulan, "(S)?")
    assert "Laporan Bulanan Posyandu · Mawar" in first.text
    assert "Berapa jumlah balita di wilayah posyandu (S)?" in first.text
    drafts = world.query("SELECT form_id, posyandu_id FROM drafts WHERE telegram_id = 1002")
    assert [(d["form_id"], d["posyandu_id"]) for d in drafts] == [("posyandu_bulanan", world.posyandu_id)]
