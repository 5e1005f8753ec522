"""The real bot for the demo (and the benchmarks): ``python bot.py run`` in a child process, pointed at the local
Bot API and the demo database, its log in the demo folder. Exactly what an operator runs."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from devtools.localbotapi import LocalBotApi
from storage.crypto import new_key

REPO = Path(__file__).resolve().parents[2]
BOT = REPO / "bot.py"
TOKEN = "123456789:demo-token-for-the-local-bot-api"
READY_LINE = "Lapor Desa is running"
# The caller's own bot settings (a real token, a real database) never reach the demo bot.
_SETTINGS_PREFIXES = (
    "TELEGRAM_",
    "DATABASE_",
    "ADMIN_",
    "FORMS_",
    "LOG_",
    "DATA_",
    "DEFAULT_",
    "DIGEST_",
    "REMINDER_",
    "BACKUP_",
)


class BotDidNotStart(RuntimeError):
    pass


class LocalBot:
    def __init__(
        self,
        server: LocalBotApi,
        database: Path,
        folder: Path,
        *,
        command: list[str] | None = None,
        ready_line: str = READY_LINE,
        log_name: str = "bot.log",
    ) -> None:
        """``command`` replaces ``bot.py run`` (a benchmark's echo bot); it must log ``ready_line``."""
        self.server, self.database, self.folder = server, database, folder
        self.command = command or [sys.executable, str(BOT), "run"]
        self.ready_line = ready_line
        self.log_path = folder / log_name
        self.process: subprocess.Popen | None = None
        self.data_key = new_key()  # the shipped forms have sensitive questions: the bot needs a key

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith(_SETTINGS_PREFIXES)}
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=self.server.base_url,
            TELEGRAM_API_FILE_URL=self.server.base_file_url,
            DATABASE_PATH=str(self.database),
            DATA_KEY=self.data_key,
            BACKUP_DIR=str(self.folder / "backups"),
            PERSISTENCE_INTERVAL="1",
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        return env

    async def start(self, timeout: float = 30.0) -> None:
        """Start the bot; return once it logged that it runs and asked for updates."""
        polls_before = len(self.server.calls("getUpdates"))
        with open(self.log_path, "wb") as log:  # a fresh log for a fresh demo
            # The demo folder is the working directory: a .env where the demo was started is not read.
            self.process = subprocess.Popen(
                self.command,
                cwd=self.folder,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (self.ready_line in self.log() and len(self.server.calls("getUpdates")) > polls_before):
            if self.process.poll() is not None:
                raise BotDidNotStart(f"the bot exited with status {self.process.returncode}; see {self.log_path}")
            if loop.time() > deadline:
                await self.stop()
                raise BotDidNotStart(f"the bot did not start within {timeout:.0f} s; see {self.log_path}")
            await asyncio.sleep(0.05)

    async def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, as systemd or Ctrl-C would: the bot saves its state and exits."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(process.wait, timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait, 10)
        return process.returncode

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
