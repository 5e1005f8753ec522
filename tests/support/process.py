"""Run `bot.py` as a real subprocess, the way an operator runs it.

``BotProcess`` starts ``python bot.py run`` with a clean environment (only what the test gives,
plus PATH and the like), stdout and stderr appended to one log file, and offers the two ways a
bot dies in production: ``kill()`` (SIGKILL: power cut, OOM killer) and ``stop()`` (SIGTERM:
systemd, Ctrl-C; must exit 0). ``run_cli`` runs the admin commands (``villages import``,
``posyandu add``, ``invite`` ...) against the same database.

The Bot API double (``localbotapi.LocalBotApi``) runs in the test process; the bot reaches it
over HTTP through TELEGRAM_API_BASE_URL / TELEGRAM_API_FILE_URL (see ``bot_env``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BOT = REPO / "bot.py"
READY_LINE = "Lapor Desa is running"
# Variables of the caller's environment that must never leak into the bot under test
# (a developer's real token or database), whatever the test sets.
_PROJECT_PREFIXES = (
    "TELEGRAM_",
    "DATABASE_",
    "ADMIN_",
    "FORMS_",
    "PERSISTENCE_",
    "LOG_",
    "DATA_",
    "DEFAULT_",
    "DIGEST_",
    "REMINDER_",
    "BACKUP_",
)


def clean_env(extra: Mapping[str, str | os.PathLike | int | float]) -> dict[str, str]:
    """The caller's environment without project settings, plus ``extra`` (values made str)."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(_PROJECT_PREFIXES)}
    env.update({k: str(v) for k, v in extra.items()})
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return env


def bot_env(server, database_path: os.PathLike | str, token: str, **settings) -> dict[str, str]:
    """Settings for a bot pointed at a LocalBotApi ``server`` (extra settings by name, any case)."""
    env = {
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_BASE_URL": server.base_url,
        "TELEGRAM_API_FILE_URL": server.base_file_url,
        "DATABASE_PATH": str(database_path),
    }
    env.update({k.upper(): str(v) for k, v in settings.items()})
    return env


def run_cli(
    args: Iterable[str],
    env: Mapping[str, object],
    *,
    cwd: os.PathLike | str | None = None,
    check: bool = True,
    timeout: float = 60,
) -> subprocess.CompletedProcess:
    """``python bot.py ARGS`` (an admin command); with ``check``, a non-zero exit fails loudly."""
    args = [str(a) for a in args]
    result = subprocess.run(
        [sys.executable, str(BOT), *args],
        env=clean_env(env),
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"bot.py {' '.join(args)} exited {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


class BotProcess:
    """``python bot.py run`` in a subprocess. ``start()`` may be called again after ``kill()`` or
    ``stop()``: the new process appends to the same log file and uses the same settings."""

    def __init__(
        self,
        env: Mapping[str, object],
        cwd: os.PathLike | str,
        *,
        log_path: os.PathLike | str | None = None,
        args: Iterable[str] = ("run",),
    ) -> None:
        self.env = clean_env(env)
        self.cwd = Path(cwd)
        self.log_path = Path(log_path) if log_path else self.cwd / "bot.log"
        self.args = [str(a) for a in args]
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.exit_codes: list[int] = []
        self._log_offset = 0  # where the current process's output begins in the log

    # -- lifecycle ------------------------------------------------------------------------
    def start(self, server=None, timeout: float = 20.0) -> BotProcess:
        """Spawn the bot; with ``server`` (a LocalBotApi), return once it is polling it."""
        assert not self.alive, "the bot is already running"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        polls_before = len(server.calls("getUpdates")) if server is not None else 0
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(BOT), *self.args],
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.starts += 1
        if server is not None:
            self.wait_ready(server, polls_before, timeout)
        return self

    def wait_ready(self, server, polls_before: int, timeout: float = 20.0) -> None:
        """Until this process logged that it runs and made its first getUpdates call."""
        deadline = time.monotonic() + timeout
        while True:
            if READY_LINE in self.current_log() and len(server.calls("getUpdates")) > polls_before:
                return
            if not self.alive:
                raise AssertionError(
                    f"the bot exited ({self.process.returncode}) while starting:\n{self.current_log()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot did not start polling within {timeout}s:\n{self.current_log()}")
            time.sleep(0.01)

    def kill(self) -> None:
        """SIGKILL, as a power cut or the OOM killer would: no cleanup runs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL)
        self.exit_codes.append(self.process.wait(timeout=10))

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait: the bot must shut down cleanly, with exit status 0."""
        assert self.process is not None, "the bot was never started"
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                code = self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
                raise AssertionError(
                    f"the bot did not stop within {timeout}s of SIGTERM:\n{self.current_log()}"
                ) from None
            self.exit_codes.append(code)
        code = self.process.returncode
        assert code == 0, f"the bot exited with status {code} after SIGTERM:\n{self.current_log()}"
        return code

    def close(self) -> None:
        """For finalisers: stop cleanly if running (asserting exit 0), never leave a process behind."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.stop()
        finally:
            if self.process.poll() is None:
                self.kill()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    # -- output -----------------------------------------------------------------------------
    def log_text(self) -> str:
        """Everything every start of this bot wrote (stdout and stderr)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def current_log(self) -> str:
        """What the current (or last) process wrote."""
        if not self.log_path.exists():
            return ""
        with open(self.log_path, "rb") as log:
            log.seek(self._log_offset)
            return log.read().decode("utf-8", errors="replace")
