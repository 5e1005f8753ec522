"""Household storage: versions, concurrent edits, keys (wrong, lost, rotated), the command line,
and the export part (indicators per month, the pseudonymous list only for those allowed)."""

import asyncio

import pytest

from app.cli import main
from domain.households import Status
from domain.models import ScopeEntry
from domain.roles import Role
from exports.model import IndicatorKind
from features.exporting.source import load_household_part
from storage import DataKeyError, Storage
from tests.support.harness import seed
from tests.support.households import KEY, KK, NAME, VILLAGE, full_answers, household_form, store_household


async def cli(args):
    return await asyncio.to_thread(main, args)  # the command line runs its own event loop


NEW_KEY = "sYfDPBR9NqTmRBtju2Y6b_7sMJE3B0Po9xOuoRh-Cgk"


@pytest.fixture
async def hstorage(settings, clock):
    store = await Storage.open(settings.database_path, clock, data_key=KEY)
    await seed(store)
    for user_id, role, area, posyandu in (
        (1001, Role.KADER, VILLAGE, 1),
        (1002, Role.BIDAN, VILLAGE, None),
        (3001, Role.KOORDINATOR, "32.04", None),
        (3002, Role.PERANGKAT_DESA, VILLAGE, None),
    ):
        [code] = await store.users.create_invitations(role, [ScopeEntry(area_code=area, posyandu_id=posyandu)])
        await store.users.register(user_id, f"user {user_id}", code)
    yield store
    await store.close()


async def test_two_people_editing_at_once_both_changes_are_kept(hstorage):
    saved = await store_household(hstorage, 1001)
    household = await hstorage.households.get(saved.household_id)
    kader, bidan = await hstorage.users.get(1001), await hstorage.users.get(1002)
    first = await hstorage.households.open_draft(1001, VILLAGE, household)
    second = await hstorage.households.open_draft(1002, VILLAGE, household)
    sensitive = {"no_kk", "nik_kepala_keluarga", "nama_kepala_keluarga"}
    await hstorage.households.save(first, kader, {**first.answers, "jumlah_anggota": 5}, sensitive)
    result = await hstorage.households.save(second, bidan, {**second.answers, "desil_kesejahteraan": 2}, sensitive)
    assert result.version == 3 and result.changed == ["desil_kesejahteraan"]
    current = await hstorage.households.get(saved.household_id)
    assert current.answers == full_answers(jumlah_anggota=5, desil_kesejahteraan=2)
    assert [v["saved_by"] for v in await hstorage.households.versions(saved.household_id)] == [1001, 1001, 1002]


async def test_a_wrong_key_is_refused_and_rekey_rotates(hstorage, settings, clock):
    await store_household(hstorage, 1001)
    other = await Storage.open(settings.database_path, clock, data_key=NEW_KEY)
    try:
        with pytest.raises(DataKeyError):
            await other.keys.check()
        assert await other.households.find_by_kk(VILLAGE, KK) is None  # the hash differs: not found
        assert (await other.keys.rekey(KEY)).counts["households"] == 1
        await other.keys.check()
        assert (await other.households.find_by_kk(VILLAGE, KK)).head == NAME
    finally:
        await other.close()
    with pytest.raises(DataKeyError):
        await hstorage.keys.check()  # the old key no longer opens the data
    with pytest.raises(DataKeyError):
        await Storage.open(settings.database_path, clock, data_key="short")


async def test_without_a_key_household_data_is_refused(settings, clock):
    store = await Storage.open(settings.database_path, clock)
    try:
        assert not store.households.enabled
        with pytest.raises(DataKeyError):
            await store.households.find_by_kk(VILLAGE, KK)
    finally:
        await store.close()


async def test_cli_access_grant_and_rekey(hstorage, settings, monkeypatch, capsys):
    await store_household(hstorage, 1001)
    monkeypatch.setenv("DATABASE_PATH", str(settings.database_path))
    for name in ("TELEGRAM_BOT_TOKEN", "DATA_KEY", "OLD_DATA_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert await cli(["households", "access", "grant", "3001"]) == 0
    assert (await hstorage.users.get(3001)).full_access
    assert await cli(["households", "access", "grant", "1001"]) == 1  # not a koordinator
    assert await cli(["households", "access", "revoke", "3001"]) == 0
    assert not (await hstorage.users.get(3001)).full_access
    assert [e.action for e in await hstorage.audit.recent(limit=2)] == ["access.revoke", "access.grant"]
    monkeypatch.setenv("DATA_KEY", NEW_KEY)
    assert await cli(["households", "rekey"]) == 1  # the old key is missing
    monkeypatch.setenv("OLD_DATA_KEY", "not-the-old-key-at-all-000")
    assert await cli(["households", "rekey"]) == 1 and "nothing was changed" in capsys.readouterr().err
    monkeypatch.setenv("OLD_DATA_KEY", KEY)
    assert await cli(["households", "rekey"]) == 0
    assert "1 households re-encrypted" in capsys.readouterr().err


async def test_export_part_per_month_and_list_only_for_those_allowed(hstorage, clock):
    forms = {"rumah_tangga": household_form()}
    kader = await hstorage.users.get(1001)
    first = await store_household(hstorage, 1001)  # 23 Nov 2026
    clock.advance(days=10)  # 3 December
    await store_household(hstorage, 1001, kk="3204121503180015", desil_kesejahteraan=7, penerima_bansos=["tidak_ada"])
    await hstorage.households.set_status(first.household_id, Status.MOVED, kader)
    part = await load_household_part(
        hstorage, [VILLAGE], ["2026-10", "2026-11", "2026-12"], await hstorage.users.get(3001), "id", forms
    )
    values = {(v.period, v.indicator_id): v.value for v in part.values()}
    assert ("2026-10", "rt_jumlah") in values and values[("2026-10", "rt_jumlah")] == 0
    assert values[("2026-11", "rt_jumlah")] == 1 and values[("2026-11", "rt_miskin_pct")] == 1.0
    assert values[("2026-12", "rt_jumlah")] == 1 and values[("2026-12", "rt_miskin")] == 0
    assert values[("2026-12", "rt_tanpa_bansos")] == 1 and values[("2026-11", "rt_pkh")] == 1
    kinds = {i.id: i.kind for i in part.indicators}
    assert kinds["rt_miskin"] is IndicatorKind.COUNT and kinds["rt_miskin_pct"] is IndicatorKind.PERCENT
    [record] = list(part.records())
    assert record.pseudonym.startswith("RT-") and (record.rt, record.rw) == ("004", "013")
    assert record.flags == frozenset({"air_layak", "sanitasi_layak"})
    village_official = await load_household_part(
        hstorage, [VILLAGE], ["2026-12"], await hstorage.users.get(3002), "id", forms
    )
    assert village_official.records is None and list(village_official.values())
    assert (await load_household_part(hstorage, [VILLAGE], ["2026-12"], None, "id", {})).indicators == ()
