"""docs/PRIVACY.md holds at every log level (issue 17, item 18): with LOG_LEVEL=DEBUG the
libraries' own debug logs (PTB's Bot API calls with their parameters and results, aiosqlite's
statements with their values) would write what people typed, names included, which no filter
can recognise. They are held back; the bot's own loggers follow LOG_LEVEL."""

from __future__ import annotations

import io
import logging

import pytest

from runtime.logging_setup import OWN_LOGGERS, setup_logging
from tests.handlers.test_household_conversation import open_menu, register
from tests.handlers.test_report_conversation import answer, said
from tests.support.households import KK, NIK

NAME = "Wulandari Kusumawardhani"  # a household head's name: recognisable by no filter
LOGGERS = ("", "telegram", "telegram.ext", "httpx", "httpcore", "aiosqlite", "apscheduler", *OWN_LOGGERS)


@pytest.fixture
def debug_logs():
    """setup_logging("DEBUG") as `bot.py run` does it, into a buffer; everything put back after."""
    root = logging.getLogger()
    saved = root.handlers[:], {name: logging.getLogger(name).level for name in LOGGERS}
    setup_logging("DEBUG")
    buffer = io.StringIO()
    root.handlers[0].setStream(buffer)
    yield buffer
    root.handlers[:] = saved[0]
    for name, level in saved[1].items():
        logging.getLogger(name).setLevel(level)


async def test_at_debug_a_household_name_sent_through_the_bot_is_not_logged(debug_logs, hbot, server, hstorage):
    siti = await register(server, hstorage, 1001)
    await open_menu(siti)
    siti.press("➕ Tambah keluarga baru")
    await said(siti, "setuju")
    siti.press("Ya")
    await said(siti, "nomor Kartu Keluarga")
    await answer(siti, KK, "NIK kepala keluarga")
    await answer(siti, NIK, "nama kepala keluarga")
    await answer(siti, NAME, "jenis kelamin")
    logged = debug_logs.getvalue()
    assert "Application started" in logged  # the log was captured (from before the bot started)
    assert NAME not in logged and "Wulandari" not in logged
    assert KK not in logged and NIK not in logged
    assert "jenis kelamin" not in logged  # the bot's replies are not logged either


def test_debug_holds_the_libraries_back_and_lets_the_bot_s_own_loggers_through():
    root = logging.getLogger()
    saved = root.handlers[:], {name: logging.getLogger(name).level for name in LOGGERS}
    try:
        setup_logging("DEBUG")
        for library in ("telegram", "telegram.ext", "aiosqlite", "httpx", "apscheduler"):
            assert not logging.getLogger(library).isEnabledFor(logging.DEBUG), library
        assert logging.getLogger("telegram.ext.Application").isEnabledFor(logging.INFO)
        for own in ("handlers.polling", "storage.db", "features.report.chat", "app.cli"):
            assert logging.getLogger(own).isEnabledFor(logging.DEBUG), own
        setup_logging("WARNING")
        assert not logging.getLogger("handlers.polling").isEnabledFor(logging.INFO)
        assert not logging.getLogger("telegram").isEnabledFor(logging.INFO)
    finally:
        root.handlers[:] = saved[0]
        for name, level in saved[1].items():
            logging.getLogger(name).setLevel(level)
