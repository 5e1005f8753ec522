"""The one codec for button data: ``kind:nonce:action:arg``.

Telegram gives a button 1-64 bytes of UTF-8 and sends back whatever a client puts there, so
decoding trusts nothing: four fields, a known kind, a nonce of at most nine digits, an argument
read as an index or an id only within bounds. The nonce changes with every question or step, so
a button of an older message is recognised as stale.

Kinds: ``f`` form answers, ``l`` report choices, ``h`` household menus, ``x`` export steps,
``g`` language, ``r`` a reminder's "fill it in" button (there the nonce field is the form's
index, the action the posyandu id and the argument the period).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = frozenset("flhxgr")
MAX_BYTES = 64
MAX_ID = 10**12
_NONCE = re.compile(r"\d{1,9}")
_ID = re.compile(r"\d{1,12}")


class CallbackTooLong(ValueError):
    """Button data the bot was about to send would not fit Telegram's 64 bytes."""


@dataclass(frozen=True)
class Callback:
    kind: str
    nonce: int
    action: str
    arg: str = ""

    def encode(self) -> str:
        data = f"{self.kind}:{self.nonce}:{self.action}:{self.arg}"
        if len(data.encode()) > MAX_BYTES:
            raise CallbackTooLong(data[:20])
        return data

    def index(self, size: int) -> int | None:
        """The argument as an index into a list of ``size`` items, or None."""
        return int(self.arg) if _NONCE.fullmatch(self.arg) and int(self.arg) < size else None

    def id(self, value: str | None = None) -> int | None:
        """The argument (or ``value``) as a database id, or None when it is not one."""
        text = self.arg if value is None else value
        return int(text) if _ID.fullmatch(text) and 0 < int(text) < MAX_ID else None


def encode(kind: str, nonce: int, action: str, arg: str | int = "") -> str:
    return Callback(kind, nonce, action, str(arg)).encode()


def decode(data: str | None, kind: str | None = None) -> Callback | None:
    """The button's fields, or None for data the bot never sent (or of another ``kind``)."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split(":", 3)
    if len(parts) != 4 or parts[0] not in KINDS or not _NONCE.fullmatch(parts[1]):
        return None
    if kind is not None and parts[0] != kind:
        return None
    return Callback(parts[0], int(parts[1]), parts[2], parts[3])
