"""Logging that never carries the bot token or identity numbers."""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
# NIK and KK numbers are 16 digits, sometimes typed in groups with spaces, dots or dashes.
_IDENTITY_NUMBER = re.compile(r"(?<![\d])(?:\d[ .\-]?){15}\d(?![\d])")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[token]")
    text = _TOKEN.sub("[token]", text)
    return _IDENTITY_NUMBER.sub("[16 digits]", text)


class RedactingFilter(logging.Filter):
    """Rewrites every record's message (and traceback) with secrets removed."""

    def __init__(self, secrets: tuple[str, ...] = ()):
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit the format: keep both
            message = f"{record.msg} {record.args!r}"
        record.msg = redact(message, self.secrets)
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), self.secrets)
            record.exc_info = None
        return True


# The bot's own packages: they follow LOG_LEVEL, DEBUG included. They log ids and counts, never
# what people typed (docs/PRIVACY.md).
OWN_LOGGERS = ("app", "features", "handlers", "conversations", "runtime", "storage", "exports", "domain", "devtools")
# Libraries log no lower than INFO, whatever LOG_LEVEL says: at DEBUG, PTB logs every Bot API
# call with its parameters and result (the texts people sent and were sent, names included) and
# aiosqlite every statement with its values, and a filter cannot recognise a name.
LIBRARY_FLOOR = logging.INFO
# httpx logs every request URL at INFO, and a Bot API URL contains the token.
QUIET_LIBRARIES = ("httpx", "httpcore", "apscheduler.executors.default")


def setup_logging(level: str = "INFO", secrets: tuple[str, ...] = ()) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    wanted = logging.getLevelNamesMapping().get(level.upper())
    if wanted is None:
        raise ValueError(f"Unknown level: {level!r}")
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(wanted, LIBRARY_FLOOR))  # every library, PTB and aiosqlite included
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(wanted)
    for name in ("telegram", "aiosqlite"):  # named too, in case a library set its own level
        logging.getLogger(name).setLevel(max(wanted, LIBRARY_FLOOR))
    for noisy in QUIET_LIBRARIES:
        logging.getLogger(noisy).setLevel(max(wanted, logging.WARNING))
