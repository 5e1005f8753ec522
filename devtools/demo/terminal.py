"""What the terminal shows and understands. Pure: no Telegram, no I/O.

A bot message is shown as its text, then its inline buttons numbered in reading order
(``[1] Ya   [2] Tidak``, one keyboard row per line); the person presses one with ``:1``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

BOT = "bot> "
INDENT = " " * len(BOT)


# -- what the person typed ------------------------------------------------------------------
@dataclass(frozen=True)
class Send:
    text: str


@dataclass(frozen=True)
class Press:
    number: int  # 1-based, as shown


@dataclass(frozen=True)
class SwitchTo:
    who: str


@dataclass(frozen=True)
class Quit:
    pass


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class People:
    pass


@dataclass(frozen=True)
class Unknown:
    text: str


Command = Send | Press | SwitchTo | Quit | Help | People | Unknown | None

_PRESS = re.compile(r"^:\s*(\d+)$")


def parse(line: str) -> Command:
    """One input line: a message for the bot, or a ``:`` command of the demo (None: nothing)."""
    text = line.strip()
    if not text:
        return None
    if not text.startswith(":"):
        return Send(text)
    if match := _PRESS.match(text):
        return Press(int(match[1]))
    word, _, rest = text[1:].strip().partition(" ")
    word = word.lower()
    if word in ("q", "quit", "exit", "keluar"):
        return Quit()
    if word in ("h", "help", "?", "bantuan"):
        return Help()
    if word in ("who", "siapa", "people"):
        return People()
    if word in ("as", "sebagai") and rest.strip():
        return SwitchTo(rest.strip().lower())
    return Unknown(text)


# -- what the bot sent ------------------------------------------------------------------------
def button_lines(rows: Sequence[Sequence[str]]) -> list[str]:
    """Inline keyboard rows as numbered lines: ``[1] Ya   [2] Tidak``."""
    lines, number = [], 0
    for row in rows:
        cells = []
        for label in row:
            number += 1
            cells.append(f"[{number}] {label}")
        lines.append(INDENT + "   ".join(cells))
    return lines


def keyboard_lines(rows: Sequence[Sequence[str]]) -> list[str]:
    """A reply keyboard (buttons that type their label): shown, typed by the person."""
    return [INDENT + " | ".join(f"«{label}»" for label in row) for row in rows]


def message_lines(
    text: str, rows: Sequence[Sequence[str]] = (), *, edited: bool = False, keyboard: Sequence[Sequence[str]] = ()
) -> list[str]:
    """A bot message: its text (every line indented under ``bot>``), then its buttons."""
    marker = "bot (edited)> " if edited else BOT
    body = text.splitlines() or [""]
    lines = [marker + body[0]] + [INDENT + line if line else "" for line in body[1:]]
    return lines + button_lines(rows) + keyboard_lines(keyboard)


def choose_person(who: str, keys: Sequence[tuple[str, ...]]) -> int | None:
    """Index of the person whose names (role key, aliases, first name) one starts with ``who``."""
    who = who.lower()
    exact = [i for i, names in enumerate(keys) if who in names]
    if exact:
        return exact[0]
    partial = [i for i, names in enumerate(keys) if any(n.startswith(who) for n in names)]
    return partial[0] if len(partial) == 1 else None
