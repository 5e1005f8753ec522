"""The error handler keeps the bot running; every role gets only its own commands and data."""

import logging

import pytest
from telegram.ext import CommandHandler

from domain.models import ScopeEntry
from domain.roles import COMMANDS, Role
from tests.support.harness import ADMIN_ID

VILLAGE = "32.04.12.2001"
OTHER_VILLAGE = "32.04.12.2002"


async def registered(server, storage, user_id, role, area=VILLAGE, posyandu_id=None):
    [code] = await storage.users.create_invitations(role, [ScopeEntry(area_code=area, posyandu_id=posyandu_id)])
    person = server.user(user_id, f"User {user_id}")
    person.send(f"/start {code}")
    await person.await_text("terdaftar")
    return person


async def test_an_exception_in_a_handler_is_logged_answered_politely_and_the_bot_goes_on(bot, server, caplog):
    async def broken(update, context):
        raise RuntimeError("NIK 3204125708900001 must not be logged")

    bot.add_handler(CommandHandler("rusak", broken), group=-3)  # before the gate
    admin = server.user(ADMIN_ID, "Admin")
    with caplog.at_level(logging.ERROR):
        admin.send("/rusak")
        await admin.await_text("Maaf, ada gangguan")
    admin.send("/bantuan")
    await admin.await_text("/undang")  # still running
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in logged and "update" in logged


@pytest.mark.parametrize("role", [Role.KADER, Role.BIDAN, Role.PERANGKAT_DESA, Role.KOORDINATOR])
async def test_each_role_may_use_only_its_commands(bot, server, storage, posyandu_ids, role):
    posyandu = posyandu_ids["Mawar"] if role is Role.KADER else None
    person = await registered(server, storage, 4000 + list(Role).index(role), role, posyandu_id=posyandu)
    allowed = set(COMMANDS[role])
    menu = {c["command"] for c in server.commands_for(person.id)}
    assert menu == allowed
    for command in ("lapor", "ekspor", "undang", "audit", "buka"):
        if command not in allowed:
            person.send(f"/{command}")
            await person.await_text("bukan untuk peran Anda")


async def test_a_kader_of_one_village_sees_only_its_own_posyandu(bot, server, storage, posyandu_ids):
    await storage.areas.add_posyandu(OTHER_VILLAGE, "Dahlia")
    kader = await registered(server, storage, 4100, Role.KADER, posyandu_id=posyandu_ids["Mawar"])
    account = await storage.users.get(4100)
    assert account.covers_posyandu(await storage.areas.posyandu(posyandu_ids["Mawar"]))
    assert not account.covers_posyandu(await storage.areas.posyandu(posyandu_ids["Melati"]))
    assert not account.covers_posyandu(await storage.areas.posyandu(posyandu_ids["Anggrek"]))
    assert not account.covers_village(OTHER_VILLAGE)
    kader.send("/lapor")
    reply = await kader.await_text("Laporan apa")
    assert all("Anggrek" not in b and "Melati" not in b for b in reply.button_texts)


async def test_deactivated_user_is_treated_as_unregistered(bot, server, storage, posyandu_ids):
    kader = await registered(server, storage, 4200, Role.KADER, posyandu_id=posyandu_ids["Mawar"])
    await storage.users.deactivate(4200)
    kader.send("/lapor")
    await kader.await_text("sudah dihentikan")  # told why, not asked to register as if new
