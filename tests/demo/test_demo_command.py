"""`python bot.py demo` end to end: the real command in a subprocess, typed input piped in, the
transcript read back. The guest registers with the code the demo prints, the kader opens a
report and answers by typing and by pressing a numbered button, the coordinator downloads an
export (saved in the demo folder), and `:q` stops the bot and the demo cleanly."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
from openpyxl import load_workbook

from tests.support.process import BOT, REPO, clean_env

CODE = re.compile(r"kode undangan ([A-Z0-9]{8})")
MONTH_OR_FIRST_QUESTION = re.compile(r"Untuk bulan apa|Berapa jumlah balita")
JUMP_OR_NEXT_QUESTION = re.compile(r"sudah benar|\(K\)\?")


class Demo:
    """The demo process, its output line by line as it comes."""

    def __init__(self, folder):
        self.process = subprocess.Popen(
            [sys.executable, str(BOT), "demo", "--folder", str(folder)],
            cwd=REPO,
            env=clean_env({}),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            start_new_session=True,
        )  # its own group: nothing can outlive the test
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.transcript: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, pattern: re.Pattern, timeout: float = 30.0) -> re.Match:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {pattern.pattern!r} within {timeout}s:\n{self.text}") from None
            if line is None:
                raise AssertionError(f"the demo ended without {pattern.pattern!r}:\n{self.text}")
            self.transcript.append(line)
            if match := pattern.search(line):
                return match

    def type(self, *lines: str) -> None:
        self.process.stdin.write("".join(f"{line}\n" for line in lines))
        self.process.stdin.flush()

    def finish(self, timeout: float = 60.0) -> int:
        self.process.stdin.close()
        code = self.process.wait(timeout=timeout)
        while (line := self.lines.get(timeout=5)) is not None:
            self.transcript.append(line)
        return code

    @property
    def text(self) -> str:
        return "".join(self.transcript)

    def kill(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def demo(tmp_path):
    running = Demo(tmp_path / "demo")
    yield running
    running.kill()


def test_chat_as_guest_kader_and_coordinator_then_quit(demo, tmp_path):
    code = demo.wait_for(CODE)[1]
    demo.type(":as tamu", "/start", code, ":as kader", "/lapor", ":2")
    if demo.wait_for(MONTH_OR_FIRST_QUESTION)[0] == "Untuk bulan apa":
        demo.type(":1")  # from the 1st to the 15th two months are open: the older one
    demo.type("lima puluh", "52")
    if demo.wait_for(JUMP_OR_NEXT_QUESTION)[0] == "sudah benar":
        demo.type(":1")  # the history makes 52 a jump from last month: "Ya, benar"
    demo.type(
        ":1",  # Kembali
        ":as koordinator",
        "/ekspor",
        ":1",
        ":3",
        ":q",
        "this line is never read",
    )
    assert demo.finish() == 0
    text = demo.text
    assert "Anda sekarang Tono" in text and "terdaftar" in text  # registered with the code
    assert "[1] Laporan Bulanan Literasi Kesehatan" in text  # buttons as numbered text
    assert "[2] Laporan Bulanan Posyandu" in text
    assert "(S)?" in text and "dengan angka" in text and "(K)?" in text  # typed answers, wrong then right
    assert "Berapa jumlah balita di wilayah posyandu (S)?" in text.rsplit("[kader Siti] > :1", 1)[1]  # Kembali
    assert "Anda sekarang Budi (Koordinator)" in text
    saved = re.search(r"file disimpan: (\S+\.xlsx)", text)
    assert saved, text
    workbook = load_workbook(saved[1], read_only=True)
    try:
        assert "Data" in workbook.sheetnames
    finally:
        workbook.close()
    assert str(tmp_path / "demo" / "exports") in saved[1]
    assert "Menghentikan bot" in text and "Sampai jumpa" in text and "never read" not in text
    log = (tmp_path / "demo" / "bot.log").read_text(encoding="utf-8")
    assert "Lapor Desa is running" in log and "Traceback" not in log and " ERROR " not in log
