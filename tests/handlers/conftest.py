"""Fixtures the conversation tests share."""

from tests.handlers.test_household_conversation import hbot, hstorage  # noqa: F401 (the bot with households)
from tests.handlers.test_report_conversation import uji  # noqa: F401 (a fixture: the bot with the test forms)
