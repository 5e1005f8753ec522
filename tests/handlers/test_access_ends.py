"""Access ends when it ends (issue 17, items 1, 12 and 15): a person deactivated with
`users deactivate` while a form is open gets nothing more from it, whatever kind of update they
send (text, a button, an edited message, a location, a command); their session ends at once
and their draft is kept for an admin. An edited command passes the role gate as a command. An
admin listed in ADMIN_TELEGRAM_IDS stays deactivated until `users activate`."""

from __future__ import annotations

import argparse
import asyncio

import pytest

from app.cli import main
from domain.models import ScopeEntry
from domain.roles import Role
from features.people import cli as people_cli
from tests.handlers.test_bad_input import probe
from tests.handlers.test_report_conversation import answer, said
from tests.support.harness import ADMIN_ID, make_settings
from tests.support.households import KEY, KK, NAME, NIK, VILLAGE, store_household

ENDED = "Akses Anda ke Lapor Desa sudah dihentikan"


async def answered(person, before: int) -> dict:
    """The answer to the next button press after ``before`` answers."""
    for _ in range(2000):
        if len(person.callback_answers) > before:
            return person.callback_answers[before]
        await asyncio.sleep(0.005)
    raise AssertionError("the press was never answered")


async def register(server, storage, user_id, role, posyandu_id=None):
    [code] = await storage.users.create_invitations(role, [ScopeEntry(area_code=VILLAGE, posyandu_id=posyandu_id)])
    person = server.user(user_id, "Siti")
    person.send(f"/start {code}")
    await said(person, "terdaftar")
    return person


async def deactivate(settings, user_id):
    """`users deactivate ID` as the command line runs it: its own connection to the database."""
    assert await people_cli.users_deactivate(argparse.Namespace(telegram_id=user_id), settings) == 0


def _shown(person, since):
    return "\n".join(m.content for m in person.messages[since:])


async def bidan_editing_a_household(server, hstorage):
    bidan = await register(server, hstorage, 1002, Role.BIDAN)
    await store_household(hstorage, 1002)
    await answer(bidan, "/rumahtangga", "Data rumah tangga")
    bidan.press("🔎 Cari nomor KK")
    await said(bidan, "Ketik nomor KK")
    await answer(bidan, KK, NAME)
    bidan.press("✏️ Ubah data")
    review = await said(bidan, "Periksa lagi")
    assert KK in review.text  # what must not be shown again once access has ended
    return bidan


# -- item 1: a deactivated person keeps working in an open form ---------------------------------
async def test_typed_text_in_an_open_household_after_deactivation_shows_nothing(hbot, server, hstorage, tmp_path):
    bidan = await bidan_editing_a_household(server, hstorage)
    await deactivate(make_settings(tmp_path, data_key=KEY), 1002)
    assert await hstorage.reports.session(1002) is None  # ended at once, before any update
    draft = await hstorage.households.draft_of(1002)
    assert draft is not None  # kept for an admin
    since = len(bidan.messages)
    for text in ("zzz", "3"):
        await answer(bidan, text, ENDED)
    shown = _shown(bidan, since)
    assert KK not in shown and NIK not in shown and NAME not in shown
    assert await hstorage.reports.session(1002) is None
    assert (await hstorage.households.draft_of(1002)).answers == draft.answers


async def test_a_location_in_an_open_household_after_deactivation_is_not_kept(hbot, server, hstorage, tmp_path):
    bidan = await bidan_editing_a_household(server, hstorage)
    before = (await hstorage.households.draft_of(1002)).answers
    await deactivate(make_settings(tmp_path, data_key=KEY), 1002)
    since = len(bidan.messages)
    bidan.send_location(-6.9175, 107.6191)
    await said(bidan, ENDED)
    assert (await hstorage.households.draft_of(1002)).answers == before
    shown = _shown(bidan, since)
    assert KK not in shown and NAME not in shown and "disimpan" not in shown


async def test_an_edited_message_in_an_open_household_after_deactivation_shows_nothing(
    hbot, server, hstorage, tmp_path
):
    bidan = await bidan_editing_a_household(server, hstorage)
    own = [m for m in bidan.sent if m.chat_id == bidan.id and m.text]
    await deactivate(make_settings(tmp_path, data_key=KEY), 1002)
    since = len(bidan.messages)
    bidan.edit(own[-1].message_id, "3")
    await probe(server, bidan)
    shown = _shown(bidan, since)
    assert KK not in shown and NIK not in shown and NAME not in shown
    assert await hstorage.reports.session(1002) is None


async def test_a_deactivated_kader_s_typed_answers_are_not_saved(uji, server, storage, posyandu_ids, tmp_path):
    kader = await register(server, storage, 1001, Role.KADER, posyandu_ids["Mawar"])
    kader.send("/lapor")
    await said(kader, "balita sasaran")
    await answer(kader, "50", "ditimbang")
    await deactivate(make_settings(tmp_path), 1001)
    [draft] = await storage.reports.drafts_of(1001)  # kept for an admin
    await answer(kader, "40", ENDED)
    assert (await storage.reports.draft(draft.id)).answers == {"sasaran": 50}
    assert await storage.reports.session(1001) is None


async def test_a_deactivated_kader_s_buttons_do_nothing(uji, server, storage, posyandu_ids, tmp_path):
    kader = await register(server, storage, 1001, Role.KADER, posyandu_ids["Mawar"])
    kader.send("/lapor")
    await said(kader, "balita sasaran")
    await answer(kader, "50", "ditimbang")
    await answer(kader, "40", "kelas ibu")
    await deactivate(make_settings(tmp_path), 1001)
    since = len(kader.messages)
    before = len(kader.callback_answers)
    kader.press("Ya")
    assert ENDED in ((await answered(kader, before)).get("text") or "")
    await probe(server, kader)
    [draft] = await storage.reports.drafts_of(1001)
    assert draft.answers == {"sasaran": 50, "ditimbang": 40}
    assert _shown(kader, since) == ""


@pytest.mark.parametrize("command", ["/kembali", "/lewati", "/batal", "/lapor", "/rumahtangga"])
async def test_a_deactivated_kader_s_commands_are_refused(uji, server, storage, posyandu_ids, tmp_path, command):
    kader = await register(server, storage, 1001, Role.KADER, posyandu_ids["Mawar"])
    kader.send("/lapor")
    await said(kader, "balita sasaran")
    await answer(kader, "50", "ditimbang")
    await deactivate(make_settings(tmp_path), 1001)
    reply = await answer(kader, command, ENDED)
    assert "ditimbang" not in reply.text and "sasaran" not in reply.text
    [draft] = await storage.reports.drafts_of(1001)
    assert draft.answers == {"sasaran": 50}
    assert await storage.reports.session(1001) is None


async def test_a_session_left_by_an_older_deactivation_is_ended_on_the_next_update(uji, server, storage, posyandu_ids):
    """Deactivated before deactivation ended sessions (or by hand in SQLite): the router itself
    refuses a form to someone who is no longer registered."""
    kader = await register(server, storage, 1001, Role.KADER, posyandu_ids["Mawar"])
    kader.send("/lapor")
    await said(kader, "balita sasaran")
    await storage.db.execute("UPDATE users SET active = 0 WHERE telegram_id = 1001")
    assert await storage.reports.session(1001) is not None
    await answer(kader, "50", ENDED)
    assert await storage.reports.session(1001) is None
    [draft] = await storage.reports.drafts_of(1001)
    assert draft.answers == {}


async def test_a_deactivated_person_may_still_register_again_with_a_new_code(uji, server, storage, posyandu_ids):
    kader = await register(server, storage, 1001, Role.KADER, posyandu_ids["Mawar"])
    await storage.users.deactivate(1001)
    [code] = await storage.users.create_invitations(
        Role.KADER, [ScopeEntry(area_code=VILLAGE, posyandu_id=posyandu_ids["Mawar"])]
    )
    await answer(kader, "/start", "kode undangan")
    await answer(kader, code, "terdaftar")
    assert (await storage.users.get(1001)).active


# -- item 12: an edited command passes the role gate like a command ----------------------------
@pytest.mark.parametrize("command", ["/lapor", "/rumahtangga", "/ekspor", "/undang", "/tinjau"])
async def test_an_edited_command_from_a_guest_is_refused_like_a_command(bot, server, command, caplog):
    guest = server.user(5001, "Tamu")
    guest.send("halo")
    await said(guest, "belum terdaftar")
    own = [m for m in guest.sent if m.chat_id == guest.id and m.text]
    guest.edit(own[-1].message_id, command)
    await said(guest, "belum terdaftar")
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_an_edited_command_not_for_the_role_is_refused(bot, server, storage, posyandu_ids, caplog):
    kader = await register(server, storage, 1001, Role.KADER, posyandu_ids["Mawar"])
    kader.send("/bantuan")
    await said(kader, "/lapor")
    own = [m for m in kader.sent if m.chat_id == kader.id and m.text]
    kader.edit(own[-1].message_id, "/undang kader")
    await said(kader, "bukan untuk peran Anda")
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_an_edited_command_is_not_run_again(bot, server, storage, posyandu_ids):
    kader = await register(server, storage, 1001, Role.KADER, posyandu_ids["Mawar"])
    kader.send("/bantuan")
    await said(kader, "/lapor")
    own = [m for m in kader.sent if m.chat_id == kader.id and m.text]
    kader.edit(own[-1].message_id, "/lapor")
    await said(kader, "Perintah yang diubah tidak dijalankan")
    assert await storage.reports.session(1001) is None


# -- item 15: an admin from ADMIN_TELEGRAM_IDS stays deactivated --------------------------------
async def test_deactivating_a_listed_admin_is_not_undone_by_their_next_message(bot, server, storage, tmp_path):
    admin = server.user(ADMIN_ID, "Admin")
    await answer(admin, "/bantuan", "/undang")
    await deactivate(make_settings(tmp_path), ADMIN_ID)
    await answer(admin, "/bantuan", "/start")  # the guest's help
    await answer(admin, "/undang kader", ENDED)
    assert await storage.users.get(ADMIN_ID) is None
    assert not (await storage.users.get(ADMIN_ID, include_inactive=True)).active
    assert await people_cli.users_activate(argparse.Namespace(telegram_id=ADMIN_ID), make_settings(tmp_path)) == 0
    await answer(admin, "/bantuan", "/undang")
    assert (await storage.users.get(ADMIN_ID)).role is Role.ADMIN


def test_users_activate_on_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    assert main(["users", "activate", "42"]) == 1
    assert "no inactive user 42" in capsys.readouterr().err
