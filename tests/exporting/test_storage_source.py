"""StorageExportSource: village sums, derived rates on the sums, raw values, completeness, scope."""

import asyncio
from datetime import UTC, datetime

import pytest

from domain.roles import Role
from exports.model import Generator, ReportStatus, Selection
from features.exporting.service import EmptySelection, OutOfScope, export_workbook
from features.exporting.source import StorageExportSource, aggregate, exportable_villages
from tests.exporting.support import CIBIRU, FORM, OEBOBO, SENTANI, SUKAMAJU, forms, person, services, submit

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def selection(*periods):
    return Selection(
        periods=periods,
        scope_label="Uji",
        generated_at=datetime(2026, 11, 23, 10, 0),
        generated_by=Generator("admin", "Uji"),
    )


async def load(storage, *codes, periods=("2026-10", "2026-11")):
    return await StorageExportSource.load(storage, forms(), selection(*periods), codes)


@pytest.fixture
async def reported(storage, clock, posyandu_ids):
    """October: Mawar on time (23:30 WIB on the due day), Melati late, Kenanga (WITA) just late."""
    kader = await person(storage, 1001, Role.KADER, SUKAMAJU)
    other = await person(storage, 1002, Role.KADER, OEBOBO)
    await submit(
        storage,
        clock,
        kader,
        posyandu_ids["Mawar"],
        SUKAMAJU,
        "2026-10",
        {"balita_sasaran_s": 50, "balita_ditimbang_d": 40, "balita_naik_n": 30, "balita_bb_kurang": 3},
        at=datetime(2026, 11, 5, 16, 30, tzinfo=UTC),
    )
    await submit(
        storage,
        clock,
        kader,
        posyandu_ids["Melati"],
        SUKAMAJU,
        "2026-10",
        {"balita_sasaran_s": 30, "balita_ditimbang_d": 20, "balita_naik_n": 10, "balita_bb_kurang": None},
        at=datetime(2026, 11, 10, 2, 0, tzinfo=UTC),
    )
    await submit(
        storage,
        clock,
        other,
        posyandu_ids["Kenanga"],
        OEBOBO,
        "2026-10",
        {"balita_sasaran_s": 12, "balita_ditimbang_d": 12, "balita_naik_n": 6},
        at=datetime(2026, 11, 5, 16, 30, tzinfo=UTC),
    )  # 6 Nov 00:30 WITA
    # A revision: only the latest counts.
    await submit(
        storage,
        clock,
        other,
        posyandu_ids["Kenanga"],
        OEBOBO,
        "2026-10",
        {"balita_sasaran_s": 10, "balita_ditimbang_d": 8, "balita_naik_n": 6},
        at=datetime(2026, 11, 12, 1, 0, tzinfo=UTC),
    )
    clock.set(NOW)
    return kader


async def test_village_values_sum_posyandu_and_rates_come_from_the_sums(storage, reported):
    source = await load(storage, SUKAMAJU, OEBOBO)
    values = await asyncio.to_thread(list, source.village_values())
    assert [v.village_code for v in values] == sorted(v.village_code for v in values)
    got = {(v.village_code, v.period, v.indicator_id): v.value for v in values}
    assert got[SUKAMAJU, "2026-10", "balita_sasaran_s"] == 80
    assert got[SUKAMAJU, "2026-10", "balita_ditimbang_d"] == 60
    assert got[SUKAMAJU, "2026-10", "partisipasi_d_s"] == pytest.approx(60 / 80)  # not mean(80%, 66.7%)
    assert got[SUKAMAJU, "2026-10", "keberhasilan_n_d"] == pytest.approx(40 / 60)
    assert got[SUKAMAJU, "2026-10", "balita_bb_kurang"] is None  # one posyandu skipped it: missing, not 3
    assert (SUKAMAJU, "2026-10", "balita_punya_kms_k") not in got  # nobody answered: no value, never 0
    assert got[SUKAMAJU, "2026-10", "cakupan_k_s"] is None
    assert got[OEBOBO, "2026-10", "balita_sasaran_s"] == 10  # the latest revision
    assert not any(v.period == "2026-11" for v in values)
    only = await asyncio.to_thread(list, source.village_values({"partisipasi_d_s"}))
    assert {v.indicator_id for v in only} == {"partisipasi_d_s"}
    assert await asyncio.to_thread(list, source.village_values(set())) == []


def test_aggregate_yes_no_and_multichoice_counts():
    form = forms()[FORM]
    yesno = next(q for q in form.questions if q.type.value == "yesno")
    summed = aggregate(form, [{yesno.id: True}, {yesno.id: False}, {yesno.id: True}])
    assert summed[yesno.id] == 2


async def test_raw_values_are_the_latest_answers_in_local_time(storage, reported):
    source = await load(storage, SUKAMAJU, OEBOBO)
    raw = await asyncio.to_thread(list, source.raw_values())
    kenanga = [r for r in raw if r.village_code == OEBOBO]
    assert {r.indicator_id: r.value for r in kenanga} == {
        "balita_sasaran_s": 10,
        "balita_ditimbang_d": 8,
        "balita_naik_n": 6,
    }
    assert {r.revision for r in kenanga} == {2}
    assert kenanga[0].submitted_at == datetime(2026, 11, 12, 9, 0)  # WITA, naive
    assert kenanga[0].submitted_by_role == "kader" and kenanga[0].form_id == FORM
    mawar = [r for r in raw if r.posyandu_name == "Mawar"]
    assert [r.indicator_id for r in mawar][:2] == ["balita_sasaran_s", "balita_ditimbang_d"]  # form order
    assert mawar[0].submitted_at == datetime(2026, 11, 5, 23, 30)
    assert [r.village_code for r in raw] == sorted(r.village_code for r in raw)


async def test_completeness_uses_the_village_time_zone_and_skips_months_not_due(storage, reported):
    source = await load(storage, SUKAMAJU, CIBIRU, OEBOBO)
    entries = await asyncio.to_thread(list, source.completeness())
    status = {(e.posyandu_name, e.form_id, e.period): e.status for e in entries}
    assert status["Mawar", FORM, "2026-10"] is ReportStatus.ON_TIME  # 23:30 WIB on 5 Nov
    assert status["Melati", FORM, "2026-10"] is ReportStatus.LATE
    assert status["Kenanga", FORM, "2026-10"] is ReportStatus.LATE  # 00:30 WITA on 6 Nov
    assert status["Anggrek", FORM, "2026-10"] is ReportStatus.MISSING
    assert status["Anggrek", "kia_bulanan", "2026-10"] is ReportStatus.MISSING
    assert not any(e.period == "2026-11" for e in entries)  # due 5 Dec: not missing yet
    assert [e.village_code for e in entries] == sorted(e.village_code for e in entries)
    report_forms = [f for f in forms().values() if f.kind == "report"]
    assert len(entries) == 4 * len(report_forms)  # Mawar, Melati, Anggrek, Kenanga x forms x October


async def test_submitted_before_due_counts_even_when_not_due_yet(storage, clock, reported, posyandu_ids):
    await submit(storage, clock, reported, posyandu_ids["Mawar"], SUKAMAJU, "2026-11", {"balita_sasaran_s": 5})
    source = await load(storage, SUKAMAJU)
    entries = await asyncio.to_thread(list, source.completeness())
    november = [e for e in entries if e.period == "2026-11"]
    assert [(e.posyandu_name, e.form_id, e.status) for e in november] == [("Mawar", FORM, ReportStatus.ON_TIME)]


async def test_scope_rules(storage, posyandu_ids):
    admin = await storage.users.ensure_admin(9000, "Admin")
    coordinator = await person(storage, 2001, Role.KOORDINATOR, "32.04")
    official = await person(storage, 2002, Role.PERANGKAT_DESA, OEBOBO)
    kader = await person(storage, 2003, Role.KADER, SUKAMAJU)
    codes = lambda villages: [v.code for v in villages]  # noqa: E731
    assert codes(await exportable_villages(storage, admin)) == [SUKAMAJU, CIBIRU, OEBOBO, SENTANI]
    assert codes(await exportable_villages(storage, None)) == [SUKAMAJU, CIBIRU, OEBOBO, SENTANI]
    assert codes(await exportable_villages(storage, coordinator)) == [SUKAMAJU, CIBIRU]
    assert codes(await exportable_villages(storage, official)) == [OEBOBO]
    assert await exportable_villages(storage, kader) == []


async def test_export_checks_scope_and_audits_counts(settings, storage, clock, reported, tmp_path):
    coordinator = await person(storage, 2001, Role.KOORDINATOR, "32.04", name="Bu Koordinator")
    official = await person(storage, 2002, Role.PERANGKAT_DESA, SUKAMAJU)
    svc = services(settings, storage, clock)
    with pytest.raises(OutOfScope):
        await export_workbook(svc, coordinator, ["2026-10"], [OEBOBO], tmp_path / "a.xlsx")
    with pytest.raises(OutOfScope):
        await export_workbook(svc, official, ["2026-10"], [CIBIRU], tmp_path / "b.xlsx")
    with pytest.raises(OutOfScope):
        await export_workbook(svc, reported, ["2026-10"], [SUKAMAJU], tmp_path / "c.xlsx")  # a kader
    result = await export_workbook(svc, official, ["2026-10"], [SUKAMAJU], tmp_path / "d.xlsx")
    assert result.files == [tmp_path / "d.xlsx"] and not result.zipped and not result.split
    [entry] = await storage.audit.recent(1, action="export")
    assert entry.actor_id == 2002 and entry.details["villages"] == 1 and entry.details["periods"] == 1
    assert entry.details["data_rows"] == result.stats.rows["Data"] > 0
    assert "Siti" not in str(entry.details) and "Bu Koordinator" not in str(entry.details)
    assert not list(tmp_path.glob("lapordesa-export-*"))


async def test_empty_selection(settings, storage, clock, reported, tmp_path):
    svc = services(settings, storage, clock)
    with pytest.raises(EmptySelection):  # Sentani reported nothing
        await export_workbook(svc, None, ["2026-10"], [SENTANI], tmp_path / "e.xlsx")
    with pytest.raises(EmptySelection):  # nothing in September
        await export_workbook(svc, None, ["2026-09"], [SUKAMAJU], tmp_path / "f.xlsx")
    with pytest.raises(EmptySelection):
        await export_workbook(svc, None, ["2026-10"], [], tmp_path / "g.xlsx")
    assert not (tmp_path / "e.xlsx").exists() and not (tmp_path / "f.xlsx").exists()
