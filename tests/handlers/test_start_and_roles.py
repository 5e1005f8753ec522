"""/start, registration, the access gate, /bantuan, /bahasa, groups and menus through a real
Application polling the local Bot API double."""

from domain.models import ScopeEntry
from domain.roles import Role
from tests.support.harness import ADMIN_ID

VILLAGE = "32.04.12.2001"


async def invite(bot, role=Role.KADER, posyandu_id=None, area=VILLAGE, **kwargs):
    storage = bot.bot_data["services"].storage
    scope = [ScopeEntry(area_code=area, posyandu_id=posyandu_id)]
    return (await storage.users.create_invitations(role, scope, **kwargs))[0]


async def test_register_by_typing_the_code(bot, server, posyandu_ids):
    code = await invite(bot, posyandu_id=posyandu_ids["Mawar"])
    siti = server.user(1001, "Siti")
    siti.send("/start")
    await siti.await_text("kode undangan")
    siti.send("salah123")
    await siti.await_text("tidak ditemukan")
    siti.send(code.lower())
    welcome = await siti.await_text("terdaftar sebagai")
    assert "Kader posyandu" in welcome.text and "Mawar" in welcome.text and "/lapor" in welcome.text
    menu = [c["command"] for c in server.commands_for(1001)]
    assert menu[:2] == ["lapor", "rumahtangga"] and "undang" not in menu


async def test_register_with_a_deep_link(bot, server, posyandu_ids):
    code = await invite(bot, role=Role.BIDAN)
    ani = server.user(1002, "Ani")
    ani.send(f"/start {code}")
    assert "Bidan desa" in (await ani.await_text("terdaftar sebagai")).text


async def test_used_and_expired_codes(bot, server, clock, posyandu_ids):
    code = await invite(bot, role=Role.BIDAN)
    old = await invite(bot, role=Role.BIDAN, days=1)
    server.user(1002, "Ani").send(f"/start {code}")
    await server.user(1002).await_text("terdaftar")
    budi = server.user(1003, "Budi")
    budi.send(f"/start {code}")
    await budi.await_text("sudah dipakai")
    clock.advance(days=2)
    budi.send(old)
    await budi.await_text("kedaluwarsa")


async def test_attempt_limit(bot, server, posyandu_ids):
    eve = server.user(1666, "Eve")
    eve.send("/start")
    await eve.await_text("kode undangan")
    for _ in range(5):
        eve.send("BADCODE1")
        await eve.await_text("tidak ditemukan")
    eve.send(await invite(bot, role=Role.BIDAN))
    await eve.await_text("Terlalu banyak kode salah")


async def test_unregistered_user_can_only_start_help_and_language(bot, server):
    guest = server.user(1500, "Tamu")
    for command in ("/lapor", "/ekspor", "/undang kader 32.04.12.2001"):
        guest.send(command)
        await guest.await_text("belum terdaftar")
    guest.send("/bantuan")
    assert "/start" in (await guest.await_text("belum terdaftar")).text
    guest.send("halo")
    await guest.await_text("belum terdaftar")


async def test_language_choice_is_stored(bot, server, storage):
    guest = server.user(1500, "Tamu")
    guest.send("/bahasa")
    await guest.await_text("Pilih bahasa")
    guest.press("English")
    await guest.await_text("Language changed")
    guest.send("/bantuan")
    await guest.await_text("not registered")
    assert await storage.users.language(1500) == "en"


async def test_help_lists_only_the_role_commands(bot, server, posyandu_ids):
    official = server.user(3001, "Pak Kades")
    official.send(f"/start {await invite(bot, role=Role.PERANGKAT_DESA)}")
    await official.await_text("terdaftar")
    official.send("/bantuan")
    text = (await official.await_text("/ekspor")).text
    assert "/lapor" not in text and "/undang" not in text
    official.send("/lapor")
    await official.await_text("bukan untuk peran Anda")


async def test_admin_from_settings_and_chat_invitations(bot, server, posyandu_ids):
    admin = server.user(ADMIN_ID, "Admin")
    admin.send(f"/undang kader {VILLAGE} {posyandu_ids['Melati']} 2")
    reply = await admin.await_text("2 kode")
    assert reply.text.count("https://t.me/LaporDesaBot?start=") == 2
    admin.send("/undang kader 99.99.99.2999")
    await admin.await_text("Tidak bisa")
    admin.send("/audit")
    assert "invitation.create" in (await admin.await_text("Aktivitas")).text


async def test_groups_get_only_a_pointer_to_the_private_chat(bot, server, posyandu_ids):
    group = server.group(-100123, "Kader Sukamaju")
    siti = server.user(1001, "Siti")
    siti.send("/start", chat=group)
    await group.await_text("chat pribadi")
    siti.send("/lapor", chat=group)
    siti.send("12", chat=group)
    siti.send("/bantuan", chat=group)
    await group.await_text("chat pribadi")
    assert all("chat pribadi" in m.text for m in group.messages)


async def test_stale_and_forged_buttons(bot, server, posyandu_ids):
    admin = server.user(ADMIN_ID, "Admin")
    admin.send("/bantuan")
    await admin.await_text("/undang")
    admin.press_data("x:never-sent")
    for _ in range(50):
        if admin.callback_answers:
            break
        import asyncio

        await asyncio.sleep(0.05)
    assert admin.callback_answers
