"""Limits Telegram enforces that the machine-readable spec does not express.

They live in the spec's prose: text lengths after entity parsing, button data
sizes, "exactly one of the optional fields" on inline buttons, command syntax.
Error descriptions use Telegram's own wording where it is known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import ApiError
from .html_check import HtmlError, parse_html, utf16_len

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_ANSWER = 200
MAX_CALLBACK_DATA_BYTES = 64
MAX_KEYBOARD_BUTTONS = 100
# Inline button fields that are decoration, not the button's action.
_BUTTON_DECORATION = {"text", "icon_custom_emoji_id", "style"}
_PARSE_MODES = {"html", "markdown", "markdownv2"}  # matched case-insensitively, like Telegram
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
_TEXT_METHODS = {"sendMessage", "editMessageText"}


@dataclass(frozen=True)
class FormattedText:
    """Message text as Telegram stores it: entities resolved, outer whitespace trimmed."""

    text: str
    entities: list[dict] = field(default_factory=list)


def check_object(type_name: str, value: dict) -> None:
    """Rules for one JSON object that passed the spec's structural check."""
    if type_name == "InlineKeyboardButton":
        actions = set(value) - _BUTTON_DECORATION
        if not actions:
            raise ApiError.bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
            )
        if len(actions) > 1:
            raise ApiError.bad_request(
                f"can't parse inline keyboard button: exactly one action field allowed, got {sorted(actions)}"
            )
        if not value["text"]:
            raise ApiError.bad_request("BUTTON_TEXT_INVALID")
        if "callback_data" in value and not 1 <= len(value["callback_data"].encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise ApiError.bad_request("BUTTON_DATA_INVALID")
    elif type_name == "InlineKeyboardMarkup":
        if sum(len(row) for row in value["inline_keyboard"]) > MAX_KEYBOARD_BUTTONS:
            raise ApiError.bad_request("reply markup is too long")
    elif type_name == "BotCommand":
        if not _COMMAND.fullmatch(value["command"]):
            raise ApiError.bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(value["description"]) <= 256:
            raise ApiError.bad_request("BOT_COMMAND_DESCRIPTION_INVALID")


def format_text(text: str, parse_mode: str | None, entities: list[dict] | None) -> FormattedText:
    """Apply ``parse_mode`` like Telegram; explicit ``entities`` are taken as given.

    Only HTML is parsed; Markdown modes are passed through unparsed (a known gap).
    """
    if parse_mode is None or entities is not None:
        plain, found = text, list(entities or [])
    elif parse_mode.lower() == "html":
        try:
            plain, found = parse_html(text)
        except HtmlError as problem:
            raise ApiError.bad_request(f"can't parse entities: {problem}") from None
    elif parse_mode.lower() in _PARSE_MODES:
        plain, found = text, []
    else:
        raise ApiError.bad_request("unsupported parse_mode")
    return _strip(plain, found)


def _strip(text: str, entities: list[dict]) -> FormattedText:
    """Trim outer whitespace and move/clip entities to match, as Telegram does."""
    stripped = text.strip()
    if stripped == text:
        return FormattedText(text, entities)
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    end = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        stop = min(entity["offset"] + entity["length"] - shift, end)
        if stop > start:
            kept.append({**entity, "offset": start, "length": stop - start})
    return FormattedText(stripped, kept)


def check_call(method: str, params: dict) -> dict[str, FormattedText]:
    """Method-level rules; returns the formatted ``text``/``caption`` for the handlers."""
    formatted = {}
    if method in _TEXT_METHODS:
        message = format_text(params["text"], params.get("parse_mode"), params.get("entities"))
        if not message.text:
            raise ApiError.bad_request("message text is empty")
        if len(message.text) > MAX_TEXT:
            raise ApiError.bad_request("message is too long")
        formatted["text"] = message
    if "caption" in params:
        caption = format_text(params["caption"], params.get("parse_mode"), params.get("caption_entities"))
        if len(caption.text) > MAX_CAPTION:
            raise ApiError.bad_request("message caption is too long")
        formatted["caption"] = caption
    elif "parse_mode" in params and method not in _TEXT_METHODS:
        format_text("", params["parse_mode"], None)  # still reject an unknown parse_mode
    if method == "answerCallbackQuery" and len(params.get("text", "")) > MAX_CALLBACK_ANSWER:
        raise ApiError.bad_request("MESSAGE_TOO_LONG")
    if method == "sendChatAction" and params["action"] not in CHAT_ACTIONS:
        raise ApiError.bad_request("wrong parameter action in request")
    return formatted
