"""Fixtures the conversation tests share."""

from tests.handlers.test_report_conversation import uji  # noqa: F401 (a fixture: the bot with the test forms)
