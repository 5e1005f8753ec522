"""storage.export_rows: what an export reads, streamed to a worker thread in batches."""

import asyncio
from datetime import UTC, datetime

import pytest

import storage.export_rows as export_rows
from domain.roles import Role
from storage.export_rows import ReportOrder
from tests.exporting.support import CIBIRU, FORM, OEBOBO, SUKAMAJU, person, submit

AT = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
async def reported(storage, clock, posyandu_ids):
    kader = await person(storage, 1001, Role.KADER, SUKAMAJU)
    other = await person(storage, 1002, Role.KADER, OEBOBO)
    for period in ("2026-09", "2026-10"):
        await submit(
            storage,
            clock,
            kader,
            posyandu_ids["Mawar"],
            SUKAMAJU,
            period,
            {"balita_sasaran_s": 50, "balita_ditimbang_d": 40},
            at=AT,
        )
        await submit(
            storage,
            clock,
            kader,
            posyandu_ids["Melati"],
            SUKAMAJU,
            period,
            {"balita_sasaran_s": 30, "balita_ditimbang_d": None},
            at=AT,
        )
        await submit(storage, clock, other, posyandu_ids["Kenanga"], OEBOBO, period, {"balita_sasaran_s": 12}, at=AT)
    await submit(
        storage,
        clock,
        other,
        posyandu_ids["Kenanga"],
        OEBOBO,
        "2026-10",
        {"balita_sasaran_s": 10},
        at=datetime(2026, 11, 4, 2, 0, tzinfo=UTC),
    )  # a second revision: only the latest is read


async def test_posyandu_of_the_villages(storage, posyandu_ids):
    places = await storage.export_rows.posyandu([SUKAMAJU, CIBIRU], ["2026-10"])
    assert [(p.village_code, p.name) for p in places] == [
        (SUKAMAJU, "Mawar"),
        (SUKAMAJU, "Melati"),
        (CIBIRU, "Anggrek"),
    ]
    assert places[0].id == posyandu_ids["Mawar"]


async def test_latest_reports_decoded_and_in_order(storage, reported, posyandu_ids):
    streams = storage.export_rows.streams([SUKAMAJU, OEBOBO], ["2026-10"], [FORM])
    reports = await asyncio.to_thread(list, streams.latest_reports(ReportOrder.BY_MONTH))
    assert [(r.village_code, r.posyandu_name, r.period) for r in reports] == [
        (SUKAMAJU, "Mawar", "2026-10"),
        (SUKAMAJU, "Melati", "2026-10"),
        (OEBOBO, "Kenanga", "2026-10"),
    ]
    melati, kenanga = reports[1], reports[2]
    assert melati.values == {"balita_sasaran_s": 30, "balita_ditimbang_d": None}
    assert melati.submitted_at == AT and melati.submitted_role == "kader" and melati.form_id == FORM
    assert (kenanga.revision, kenanga.values) == (2, {"balita_sasaran_s": 10})
    both = await asyncio.to_thread(list, streams.latest_reports(ReportOrder.BY_POSYANDU_FORM, ["2026-09", "2026-10"]))
    assert [(r.posyandu_id, r.period) for r in both if r.village_code == SUKAMAJU] == sorted(
        (posyandu_ids[name], period) for name in ("Mawar", "Melati") for period in ("2026-09", "2026-10")
    )


async def test_first_submissions(storage, reported, posyandu_ids):
    streams = storage.export_rows.streams([SUKAMAJU, OEBOBO], ["2026-10"], [FORM])
    firsts = await asyncio.to_thread(list, streams.first_submissions())
    assert [f.village_code for f in firsts] == [SUKAMAJU, SUKAMAJU, OEBOBO]
    kenanga = firsts[-1]
    assert (kenanga.posyandu_id, kenanga.period, kenanga.first_submitted_at) == (posyandu_ids["Kenanga"], "2026-10", AT)


async def test_a_stream_on_the_event_loop_is_refused(storage, reported):
    streams = storage.export_rows.streams([SUKAMAJU], ["2026-10"], [FORM])
    with pytest.raises(RuntimeError, match="worker thread"):
        next(streams.latest_reports(ReportOrder.BY_MONTH))


async def test_rows_are_pulled_in_batches_and_an_early_close_closes_the_cursor(storage, reported, monkeypatch):
    monkeypatch.setattr(export_rows, "BATCH", 2)
    iterate = storage.db.iterate
    pulled, closed = [], []

    async def counting(sql, params=(), batch=2000):
        try:
            async for row in iterate(sql, params, batch):
                pulled.append(row)
                yield row
        finally:
            closed.append(True)

    monkeypatch.setattr(storage.db, "iterate", counting)
    streams = storage.export_rows.streams([SUKAMAJU, OEBOBO], ["2026-09", "2026-10"], [FORM])

    def first_report():
        stream = streams.latest_reports(ReportOrder.BY_MONTH)
        first = next(stream)
        seen = len(pulled)
        stream.close()
        return first, seen

    first, seen = await asyncio.to_thread(first_report)
    assert first.values == {"balita_sasaran_s": 50, "balita_ditimbang_d": 40}  # Mawar's two answers
    assert seen == 4  # two batches of two rows (the second to see where the report ends), not all 10
    assert closed == [True]
    everything = await asyncio.to_thread(list, streams.latest_reports(ReportOrder.BY_MONTH))
    assert len(everything) == 6 and closed == [True, True]
