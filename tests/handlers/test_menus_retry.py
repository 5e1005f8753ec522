"""The default command menus are a convenience: a Bot API that fails them (5xx, as Telegram does
now and then and npm telegram-test-api always does) never stops the bot, and they are tried
again in the background until they are set; the log says so once."""

import asyncio
import logging

from telegram.error import BadRequest, NetworkError, TimedOut

from handlers.menus import default_menus_in_background, set_default_menus_retrying


class FlakyBot:
    """Fails set_my_commands with the given errors, then takes it."""

    def __init__(self, *errors: Exception):
        self.errors = list(errors)
        self.calls = 0
        self.set: list[tuple] = []

    async def set_my_commands(self, commands, scope=None, language_code=None):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        self.set.append((scope.type, language_code))
        return True


async def test_failures_are_retried_until_the_menus_are_set_and_logged_once(caplog):
    bot = FlakyBot(*[NetworkError("Internal Server Error (500)")] * 4, TimedOut())
    with caplog.at_level(logging.INFO, logger="handlers.menus"):
        assert await set_default_menus_retrying(bot, delays=(0, 0), then_every=0)
    assert bot.set == [("default", None), ("default", "en")]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "serves people regardless" in warnings[0].getMessage()
    assert any("after 5 failed tries" in r.getMessage() for r in caplog.records)


async def test_a_refusal_that_cannot_change_is_not_retried(caplog):
    bot = FlakyBot(BadRequest("Bad Request: command description is too long"))
    with caplog.at_level(logging.ERROR, logger="handlers.menus"):
        assert not await set_default_menus_retrying(bot, delays=(0,), then_every=0)
    assert bot.calls == 1 and "refused the command menus" in caplog.text


async def test_the_start_does_not_wait_for_the_menus_and_stopping_ends_the_retries():
    bot = FlakyBot(*[NetworkError("Internal Server Error (500)")] * 10_000)
    async with default_menus_in_background(bot, delays=(0,), then_every=0) as task:
        while bot.calls < 3:  # the block runs while the menus are still being tried
            await asyncio.sleep(0)
        assert not task.done()
    assert task.cancelled()
