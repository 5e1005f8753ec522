"""User-facing texts: one catalogue per language (id.yaml, en.yaml beside this file).

Templates are Telegram HTML. Parameters are HTML-escaped when filled in, so text typed by
people is always safe to echo back; pass :class:`Html` for fragments that are already HTML.
"""

from __future__ import annotations

import html
import string
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
_DIR = Path(__file__).parent


class Html(str):
    """A string that is already safe HTML and is inserted as it is."""


@cache
def catalogue(lang: str) -> dict[str, str]:
    data = yaml.safe_load((_DIR / f"{lang}.yaml").read_text(encoding="utf-8"))
    return dict(_flatten(data))


def _flatten(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, name + ".")
        else:
            yield name, str(value).rstrip("\n")


def escape(value: Any) -> str:
    return value if isinstance(value, Html) else html.escape(str(value), quote=False)


def t(lang: str, key: str, **params: Any) -> Html:
    """The text ``key`` in ``lang`` (falling back to Indonesian) with escaped parameters."""
    texts = catalogue(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
    template = texts.get(key) or catalogue(DEFAULT_LANGUAGE)[key]
    return Html(template.format_map({k: escape(v) for k, v in params.items()}))


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
