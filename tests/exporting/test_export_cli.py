"""`python bot.py export`: a good run writes the workbook; bad arguments exit 1 with one line."""

import asyncio
import os
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from app.cli import main
from domain.clock import FixedClock
from domain.roles import Role
from storage import Storage
from tests.exporting.support import SUKAMAJU, person, submit
from tests.support.harness import seed


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "ADMIN_", "DATABASE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db.sqlite3"))

    async def prepare():
        clock = FixedClock(datetime(2026, 11, 3, 3, 0, tzinfo=UTC))
        storage = await Storage.open(tmp_path / "db.sqlite3", clock)
        try:
            ids = await seed(storage)
            kader = await person(storage, 1001, Role.KADER, SUKAMAJU)
            await submit(
                storage,
                clock,
                kader,
                ids["Mawar"],
                SUKAMAJU,
                "2026-10",
                {"balita_sasaran_s": 57, "balita_ditimbang_d": 43, "balita_naik_n": 31},
            )
            await submit(
                storage,
                clock,
                kader,
                ids["Melati"],
                SUKAMAJU,
                "2026-10",
                {"balita_sasaran_s": 23, "balita_ditimbang_d": 17, "balita_naik_n": 9},
            )
        finally:
            await storage.close()

    asyncio.run(prepare())
    return tmp_path


def run(capsys, *args):
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_export_writes_the_workbook(env, capsys):
    out = env / "rekap.xlsx"
    status, _, err = run(capsys, "export", "--from", "2026-08", "--to", "2026-10", "--out", str(out))
    assert status == 0, err
    assert err.count("\n") == 1 and "4 villages, 3 months" in err
    book = load_workbook(out, read_only=True)
    data = [row for row in book["Data"].iter_rows(values_only=True)]
    values = {(row[6], row[8]): row[10] for row in data[1:]}
    assert values["Mawar", "balita_sasaran_s"] == 57 and values["Melati", "balita_ditimbang_d"] == 17
    status, _, err = run(
        capsys, "export", "--from", "2026-10", "--to", "2026-10", "--village", SUKAMAJU, "--out", str(env / "desa.xlsx")
    )
    assert status == 0 and "1 villages" in err
    status, _, err = run(
        capsys, "export", "--from", "2026-10", "--to", "2026-10", "--regency", "32.04", "--out", str(env / "kab.xlsx")
    )
    assert status == 0 and "2 villages" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (("--from", "2026-13", "--to", "2026-10"), "YYYY-MM"),
        (("--from", "10-2026", "--to", "2026-10"), "YYYY-MM"),
        (("--from", "2026-10", "--to", "2026-08"), "before"),
        (("--from", "2026-10", "--to", "2026-10", "--village", "32.04.12.9999"), "unknown village"),
        (("--from", "2026-10", "--to", "2026-10", "--regency", "99.99"), "no villages"),
        (("--from", "2026-01", "--to", "2026-03"), "nothing reported"),
    ],
)
def test_bad_arguments_and_empty_selection_exit_1(env, capsys, args, message):
    out = env / "x.xlsx"
    status, _, err = run(capsys, "export", *args, "--out", str(out))
    assert status == 1 and message in err and err.count("\n") == 1
    assert not out.exists()
