"""Telegram's ``parse_mode=HTML``: turn marked-up text into plain text + entities.

Follows the rules of Telegram's own parser (tdlib ``parse_html``): only the
documented tags, tags balanced and properly nested, attribute values quoted or
bare, and ``&lt; &gt; &amp; &quot;`` plus numeric references as the only
entities (the trailing ``;`` is optional, as in Telegram).

One deliberate difference: Telegram keeps an ``&`` that does not start a
supported entity as a literal character, while this parser rejects it.  An
unescaped ``&`` in a message almost always means user text was interpolated
without ``html.escape``, which is exactly what the test double should catch.

Entity offsets and lengths are in UTF-16 code units, like the real API.
"""

from __future__ import annotations

import re

# tag -> entity type
TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(?:#x([0-9a-fA-F]+)|#([0-9]+)|([A-Za-z]+));?")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_BARE_VALUE = re.compile(r"[^\s>\"']+")


class HtmlError(ValueError):
    """The text is not valid Telegram HTML; the message mimics Telegram's wording."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Parser:
    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.out: list[str] = []
        self.out_len = 0  # UTF-16 length of everything in self.out
        self.stack: list[tuple[str, dict[str, str], int]] = []  # (tag, attributes, utf16 start)
        self.entities: list[dict] = []

    def offset(self, pos: int) -> int:
        """Telegram reports positions as UTF-8 byte offsets."""
        return len(self.src[:pos].encode("utf-8"))

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.out_len += utf16_len(text)

    def parse(self) -> tuple[str, list[dict]]:
        src = self.src
        while self.pos < len(src):
            next_special = min(
                (i for i in (src.find("<", self.pos), src.find("&", self.pos)) if i >= 0), default=len(src)
            )
            if next_special > self.pos:
                self.emit(src[self.pos : next_special])
                self.pos = next_special
            elif src[self.pos] == "&":
                self.emit(self.entity())
            elif src.startswith("</", self.pos):
                self.end_tag()
            else:
                self.start_tag()
        if self.stack:
            raise HtmlError(f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def entity(self) -> str:
        char, self.pos = _decode_entity(self.src, self.pos)
        return char

    def start_tag(self) -> None:
        begin = self.pos
        name_match = _NAME.match(self.src, begin + 1)
        if not name_match:
            raise HtmlError(f'Unsupported start tag "" at byte offset {self.offset(begin)}')
        tag = name_match.group().lower()
        if tag not in TAGS:
            raise HtmlError(f'Unsupported start tag "{tag}" at byte offset {self.offset(begin)}')
        self.pos = name_match.end()
        attributes = self.attributes(tag, begin)
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            raise HtmlError(f'Tag "span" must have class "tg-spoiler" at byte offset {self.offset(begin)}')
        if tag == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
            raise HtmlError(f'Custom emoji entity must contain a tag "emoji-id" at byte offset {self.offset(begin)}')
        self.stack.append((tag, attributes, self.out_len))

    def attributes(self, tag: str, begin: int) -> dict[str, str]:
        src, found = self.src, {}
        while True:
            while self.pos < len(src) and src[self.pos].isspace():
                self.pos += 1
            if self.pos >= len(src):
                raise HtmlError(f"Unclosed start tag at byte offset {self.offset(begin)}")
            if src[self.pos] == ">":
                self.pos += 1
                return found
            name_match = _NAME.match(src, self.pos)
            if not name_match:
                raise HtmlError(f'Empty attribute name in the tag "{tag}" at byte offset {self.offset(self.pos)}')
            name = name_match.group().lower()
            self.pos = name_match.end()
            value = ""
            if src.startswith("=", self.pos):
                value = self.attribute_value(begin)
            found[name] = value

    def attribute_value(self, begin: int) -> str:
        src = self.src
        self.pos += 1
        if self.pos < len(src) and src[self.pos] in "\"'":
            quote = src[self.pos]
            end = src.find(quote, self.pos + 1)
            if end < 0:
                raise HtmlError(f"Unclosed start tag at byte offset {self.offset(begin)}")
            raw = src[self.pos + 1 : end]
            self.pos = end + 1
            return _unescape_attribute(raw)
        bare = _BARE_VALUE.match(src, self.pos)
        if not bare:
            raise HtmlError(f"Unexpected end of name token at byte offset {self.offset(self.pos)}")
        self.pos = bare.end()
        return bare.group()

    def end_tag(self) -> None:
        begin = self.pos
        name_match = _NAME.match(self.src, begin + 2)
        tag = name_match.group().lower() if name_match else ""
        close = self.src.find(">", begin)
        if close < 0 or self.src[(name_match.end() if name_match else begin + 2) : close].strip():
            raise HtmlError(f"Unclosed end tag at byte offset {self.offset(begin)}")
        if not self.stack:
            raise HtmlError(f"Unexpected end tag at byte offset {self.offset(begin)}")
        open_tag, attributes, start = self.stack.pop()
        if tag != open_tag:
            raise HtmlError(
                f'Unmatched end tag at byte offset {self.offset(begin)}, expected "</{open_tag}>", found "</{tag}>"'
            )
        self.pos = close + 1
        self.add_entity(open_tag, attributes, start)

    def add_entity(self, tag: str, attributes: dict[str, str], start: int) -> None:
        length = self.out_len - start
        if length == 0:
            return
        entity = {"type": TAGS[tag], "offset": start, "length": length}
        if tag == "a":
            if not attributes.get("href"):
                return  # Telegram drops links without a target
            entity["url"] = attributes["href"]
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = attributes["emoji-id"]
        elif tag == "blockquote" and "expandable" in attributes:
            entity["type"] = "expandable_blockquote"
        elif tag == "code" and self.stack and self.stack[-1][0] == "pre":
            language = attributes.get("class", "")
            if language.startswith("language-"):
                # <pre><code class="language-x"> is one pre entity with a language;
                # "#" cannot start a parsed attribute name, so the key cannot clash.
                self.stack[-1][1]["#language"] = language.removeprefix("language-")
                return
        elif tag == "pre" and "#language" in attributes:
            entity["language"] = attributes["#language"]
        self.entities.append(entity)


def _decode_entity(src: str, pos: int) -> tuple[str, int]:
    """Decode the entity starting at ``src[pos] == "&"``; return (character, end)."""
    match = _ENTITY.match(src, pos)
    if match:
        hex_code, dec_code, name = match.groups()
        if name:
            char = _NAMED.get(name)
        else:
            code = int(hex_code, 16) if hex_code else int(dec_code)
            char = chr(code) if 0 < code < 0x10FFFF else None
        if char is not None:
            return char, match.end()
    raise HtmlError(
        f'Unsupported HTML entity or unescaped "&" at byte offset {len(src[:pos].encode())}'
        " (escape user text with html.escape)"
    )


def _unescape_attribute(raw: str) -> str:
    parts, pos = [], 0
    while (amp := raw.find("&", pos)) >= 0:
        parts.append(raw[pos:amp])
        char, pos = _decode_entity(raw, amp)
        parts.append(char)
    parts.append(raw[pos:])
    return "".join(parts)


def parse_html(text: str) -> tuple[str, list[dict]]:
    """Return ``(plain_text, entities)`` or raise :class:`HtmlError`."""
    return _Parser(text).parse()
