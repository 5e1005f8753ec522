"""What `python bot.py run` writes to stdout/stderr after a full run: never the token, never a
16-digit number (NIK and KK numbers are 16 digits), and the bot made no request Telegram would
refuse."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import TOKEN, activity_date, answer, open_report, register, said

NIK = "3204125708900001"  # a made-up NIK: Kabupaten Bandung, born 17-08-1990 (woman), serial 0001
KK = "3204120101230005"
SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_log_of_a_full_run_has_no_token_no_16_digit_number_and_no_violations(world, make_bot, server, level):
    bot = make_bot(LOG_LEVEL=level)
    stranger = server.user(1003, "Budi")
    stranger.send("/start")
    said(stranger, "kode undangan")
    answer(stranger, KK, "tidak ditemukan")  # a KK number typed as the invitation code

    siti = server.user(1001, "Siti")
    register(siti, world.codes[0])
    open_report(siti)
    answer(siti, NIK, "terlalu besar")  # a NIK where a count is asked
    answer(siti, "50", "ditimbang")
    answer(siti, "40", "kelas ibu")
    bot.kill()  # a SIGKILL and a fresh start on the way
    bot.start(server)
    siti.press("Tidak")
    said(siti, "Berat rata-rata")
    answer(siti, "/lewati", "Di mana")
    siti.press("Posyandu")
    said(siti, "Layanan apa")
    answer(siti, "1", "Tanggal kegiatan")
    answer(siti, activity_date()[0], "Catatan")
    siti.edit(siti.sent[-1].message_id, f"{NIK} salah ketik")  # an edited message is refused, not logged
    said(siti, "diubah tidak dibaca")
    answer(siti, f"Ibu dengan NIK {NIK} dan KK {KK} pindah", "Periksa lagi")  # kept in the note
    siti.press("Kirim")
    said(siti, "Terkirim")
    assert world.report_values()["catatan"] == f"Ibu dengan NIK {NIK} dan KK {KK} pindah"
    bot.stop()  # SIGTERM: shutdown logs too, exit status 0

    log = bot.log_text()
    assert "Lapor Desa is running" in log and log.count("Lapor Desa is running") == 2
    secret = TOKEN.split(":", 1)[1]
    assert TOKEN not in log and secret not in log
    assert SIXTEEN_DIGITS.findall(log) == [], [line for line in log.splitlines() if SIXTEEN_DIGITS.search(line)]
    assert NIK not in log and KK not in log
    assert "pindah" not in log and "salah ketik" not in log  # what people typed, at every level
    assert server.violations == []
