"""/ekspor through the real Application and the local Bot API double: buttons, then a document."""

import asyncio
import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from domain.models import ScopeEntry
from domain.roles import Role
from tests.exporting.support import CIBIRU, OEBOBO, SUKAMAJU, person, submit
from tests.support.harness import make_settings, running_bot


async def register(server, storage, user_id, role, area, name="Bu Ani"):
    [code] = await storage.users.create_invitations(role, [ScopeEntry(area_code=area)])
    someone = server.user(user_id, name)
    someone.send(f"/start {code}")
    await said(someone, "terdaftar")
    return someone


async def said(someone, substring, timeout=10.0):
    return await someone.await_for(lambda m: substring in m.content and "edit_date" not in m.data, timeout)


async def documents(server, chat_id, count=1, timeout=20.0):
    for _ in range(int(timeout / 0.05)):
        found = server.documents(chat_id)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("no document was sent")


async def _answered(someone, count, timeout=5.0):
    for _ in range(int(timeout / 0.05)):
        if len(someone.callback_answers) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the button press was not answered")


async def reports(storage, clock, posyandu_ids):
    kader = await person(storage, 1001, Role.KADER, SUKAMAJU)
    await submit(
        storage,
        clock,
        kader,
        posyandu_ids["Mawar"],
        SUKAMAJU,
        "2026-10",
        {"balita_sasaran_s": 57, "balita_ditimbang_d": 43, "balita_naik_n": 31},
        at=datetime(2026, 11, 4, 3, 0, tzinfo=UTC),
    )
    await submit(
        storage,
        clock,
        kader,
        posyandu_ids["Melati"],
        SUKAMAJU,
        "2026-10",
        {"balita_sasaran_s": 23, "balita_ditimbang_d": 17, "balita_naik_n": 9},
        at=datetime(2026, 11, 4, 3, 0, tzinfo=UTC),
    )
    clock.set(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))


async def test_coordinator_exports_with_buttons_and_gets_the_workbook(bot, server, storage, clock, posyandu_ids):
    await reports(storage, clock, posyandu_ids)
    ani = await register(server, storage, 3001, Role.KOORDINATOR, "32.04")
    ani.send("/ekspor")
    areas = await said(ani, "Pilih wilayah")
    # One province, regency and district in scope: straight to the district and its villages.
    assert areas.button_texts == ["Seluruh Kecamatan Cileunyi", "Desa Sukamaju", "Desa Cibiru Wetan"]
    assert all(len(b["callback_data"].encode()) < 64 for b in areas.buttons)
    ani.press("Seluruh Kecamatan Cileunyi")
    months = await said(ani, "Pilih bulan")
    assert months.button_texts == ["6 bulan terakhir", "3 bulan terakhir", "Bulan ini"]
    ani.press("6 bulan terakhir")
    await said(ani, "sedang dibuat")
    [(name, content)] = await documents(server, ani.id)
    assert name == "lapordesa_kecamatan-cileunyi_2026-06_2026-11.xlsx"
    book = load_workbook(io.BytesIO(content))
    rows = list(book["Data"].iter_rows(min_row=2, values_only=True))  # headers are in the person's language
    got = {(row[6], row[8]): row[10] for row in rows}  # posyandu, indicator id -> value
    assert got["Mawar", "balita_sasaran_s"] == 57 and got["Melati", "balita_ditimbang_d"] == 17
    assert {row[4] for row in rows} == {SUKAMAJU}
    indicators = [row for row in book["Indikator"].iter_rows(values_only=True)]
    rate = next(row for row in indicators if "partisipasi_d_s" in row)
    assert any(isinstance(v, float) and abs(v - 60 / 80) < 1e-9 for v in rate)  # D/S from the sums
    assert not any(OEBOBO in str(row) for row in indicators)
    [entry] = await storage.audit.recent(1, action="export")
    assert entry.actor_id == 3001 and entry.details["villages"] == 2


async def test_village_official_types_months_and_empty_gets_a_message(bot, server, storage, clock, posyandu_ids):
    await reports(storage, clock, posyandu_ids)
    pak = await register(server, storage, 3002, Role.PERANGKAT_DESA, CIBIRU, name="Pak Budi")
    pak.send("/ekspor 2026-10 2026-10")  # one village: no area step
    reply = await said(pak, "Belum ada laporan")
    assert "Cibiru Wetan" in reply.text and server.documents(pak.id) == []
    pak.send("/ekspor 2026-13 2026-10")
    await said(pak, "TTTT-BB")
    pak.send("/ekspor")
    await said(pak, "Pilih bulan")
    pak.send("/ekspor 2026-09 2026-10")  # typed instead of a button
    await said(pak, "sedang dibuat")
    await said(pak, "Belum ada laporan")


async def test_official_of_sukamaju_gets_only_sukamaju(bot, server, storage, clock, posyandu_ids):
    await reports(storage, clock, posyandu_ids)
    pak = await register(server, storage, 3003, Role.PERANGKAT_DESA, SUKAMAJU, name="Pak Dedi")
    pak.send("/ekspor")
    await said(pak, "Pilih bulan")
    pak.press("Bulan ini")
    await said(pak, "Belum ada laporan")  # November: nothing yet
    pak.send("/ekspor")
    await said(pak, "Pilih bulan")
    pak.press("3 bulan terakhir")
    [(name, content)] = await documents(server, pak.id)
    assert name == "lapordesa_desa-sukamaju_2026-09_2026-11.xlsx"
    codes = {row[4] for row in load_workbook(io.BytesIO(content))["Data"].iter_rows(min_row=2, values_only=True)}
    assert codes == {SUKAMAJU}


async def test_stale_buttons_and_roles_without_export(bot, server, storage, clock, posyandu_ids):
    ani = await register(server, storage, 3004, Role.KOORDINATOR, "32.04")
    ani.send("/ekspor")
    first = await said(ani, "Pilih wilayah")
    ani.send("/ekspor")
    await said(ani, "Pilih wilayah")
    ani.press("Desa Sukamaju", first.message_id)  # an old message
    await _answered(ani, 1)
    assert "tidak berlaku" in (ani.callback_answers[-1].get("text") or "")
    ani.press_data("x:999:a:53.71.01.1001")  # forged data: another nonce, another area
    await _answered(ani, 2)
    assert not any("Pilih bulan" in m.content for m in ani.messages) and server.documents(ani.id) == []
    siti = await register(server, storage, 3005, Role.KADER, SUKAMAJU, name="Siti")
    siti.send("/ekspor")
    await said(siti, "bukan untuk peran Anda")


async def test_the_export_dialogue_survives_a_restart(server, tmp_path, storage, clock, posyandu_ids):
    """Its steps live in the sessions row like a form's, not in PTB's memory."""
    await reports(storage, clock, posyandu_ids)
    settings = make_settings(tmp_path, server)
    async with running_bot(server, settings, storage, clock):
        ani = await register(server, storage, 3001, Role.KOORDINATOR, "32.04")
        ani.send("/ekspor")
        await said(ani, "Pilih wilayah")
    async with running_bot(server, settings, storage, clock):
        ani.press("Desa Sukamaju")
        await said(ani, "Pilih bulan")
        ani.send("2026-10 2026-11")  # the months may be typed instead of pressed
        await said(ani, "sedang dibuat")
        [(name, _)] = await documents(server, ani.id)
    assert name.endswith("_2026-10_2026-11.xlsx")
