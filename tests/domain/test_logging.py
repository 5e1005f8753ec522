"""Logs never carry the bot token or identity numbers (NIK/KK)."""

from __future__ import annotations

import io
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.logging_setup import OWN_LOGGERS, RedactingFilter, redact, setup_logging

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"  # 35 characters after the colon
NIK = "3204125708900001"
KK = "3204120101200003"


@pytest.mark.parametrize(
    "text,expected",
    [
        (TOKEN, "[token]"),
        (f"POST https://api.telegram.org/bot{TOKEN}/getUpdates", "POST https://api.telegram.org/bot[token]/getUpdates"),
        (f"token={TOKEN}.", "token=[token]."),
        ("123456:TEST-token-for-the-local-bot-api", "[token]"),
        (f"NIK {NIK}", "NIK [16 digits]"),
        (f"kk={KK};nik={NIK}", "kk=[16 digits];nik=[16 digits]"),
        (f"({NIK})", "([16 digits])"),
        (f"abc{NIK}xyz", "abc[16 digits]xyz"),
        ("123456789012345", "123456789012345"),  # 15 digits: not a NIK
        ("12345678901234567", "12345678901234567"),  # 17 digits: not a NIK either
        ("081234567890", "081234567890"),  # a phone number stays
        ("user 987654321 chat -100123456789", "user 987654321 chat -100123456789"),
        ("2026-11-23 10:00:00", "2026-11-23 10:00:00"),
        ("12345:short", "12345:short"),  # too short to be a token
        ("", ""),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


def test_redact_extra_secrets():
    assert redact("key=hunter2hunter2 and more", ("hunter2hunter2",)) == "key=[token] and more"
    assert redact("nothing to hide", ("",)) == "nothing to hide"
    assert redact(f"{TOKEN} {NIK}", (TOKEN,)) == "[token] [16 digits]"


def test_redact_is_idempotent_on_examples():
    once = redact(f"bot{TOKEN} nik {NIK} count 12")
    assert redact(once) == once


def _logger(secrets=()) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    logger = logging.getLogger(f"tests.redacting.{id(stream)}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_filter_applies_the_args():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "nik %s via %s (%d rows)", (NIK, TOKEN, 3), None)
    assert RedactingFilter().filter(record) is True
    assert record.args is None
    assert record.getMessage() == "nik [16 digits] via [token] (3 rows)"


def test_filter_on_a_record_with_a_mapping_arg():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "nik %(nik)s", ({"nik": NIK},), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "nik [16 digits]"


def test_filter_on_an_exception_whose_message_has_a_nik():
    logger, stream = _logger()
    try:
        raise ValueError(f"cannot store NIK {NIK} with token {TOKEN}")
    except ValueError:
        logger.exception("failed for %s", NIK)
    output = stream.getvalue()
    assert NIK not in output and TOKEN not in output
    assert "ERROR failed for [16 digits]" in output
    assert "ValueError: cannot store NIK [16 digits] with token [token]" in output
    assert "Traceback (most recent call last)" in output


def test_filter_with_exc_info_object():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, None)
    try:
        raise RuntimeError(KK)
    except RuntimeError as exc:
        record.exc_info = (type(exc), exc, exc.__traceback__)
    RedactingFilter().filter(record)
    assert record.exc_info is None
    assert KK not in record.exc_text and "RuntimeError: [16 digits]" in record.exc_text
    formatted = logging.Formatter().format(record)
    assert KK not in formatted and "[16 digits]" in formatted


def test_filter_with_a_custom_secret():
    logger, stream = _logger(secrets=("s3cr3t-key",))
    logger.warning("key is %s", "s3cr3t-key")
    assert stream.getvalue() == "WARNING key is [token]\n"


def test_filter_keeps_non_string_messages():
    logger, stream = _logger()
    logger.info(12345)
    logger.info(ValueError(NIK))
    assert stream.getvalue() == "INFO 12345\nINFO [16 digits]\n"


def test_a_bad_logging_call_does_not_raise():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d rows", ("many",), None)
    RedactingFilter().filter(record)


@pytest.mark.parametrize("text", ["3204 1257 0890 0001", "3204.1257.0890.0001", "3204-1257-0890-0001"])
def test_a_nik_with_separators_is_redacted(text):
    redacted = redact(f"nik {text}")
    assert not any(part in redacted for part in ("0890", "1257"))


def test_setup_logging_installs_the_filter():
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    named = {name: logging.getLogger(name).level for name in (*OWN_LOGGERS, "telegram", "aiosqlite")}
    try:
        setup_logging("debug", secrets=("extra-secret",))
        assert root.level == logging.INFO  # libraries never log at DEBUG (test_debug_logs.py)
        assert logging.getLogger("handlers").level == logging.DEBUG
        assert len(root.handlers) == 1
        assert any(isinstance(f, RedactingFilter) for f in root.handlers[0].filters)
        assert root.handlers[0].filters[0].secrets == ("extra-secret",)
        assert logging.getLogger("httpx").level == logging.WARNING
        assert logging.getLogger("httpcore").level == logging.WARNING
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        for name, old in named.items():
            logging.getLogger(name).setLevel(old)


SAFE_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=20)


@settings(max_examples=150, deadline=None)
@given(before=SAFE_TEXT, after=SAFE_TEXT, digits=st.text(alphabet="0123456789", min_size=16, max_size=16))
def test_any_16_digit_number_is_removed(before, after, digits):
    redacted = redact(f"{before} {digits} {after}")
    assert digits not in redacted
    assert "[16 digits]" in redacted


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 10**15 - 1))
def test_shorter_numbers_stay(n):
    assert redact(f"count={n}") == f"count={n}"


@settings(max_examples=100, deadline=None)
@given(
    bot_id=st.integers(10_000, 10**10),
    secret=st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", min_size=20, max_size=46
    ),
)
def test_any_token_is_removed(bot_id, secret):
    token = f"{bot_id}:{secret}"
    redacted = redact(f"GET https://api.telegram.org/bot{token}/getMe failed")
    assert secret not in redacted and token not in redacted
