"""remind --now [--village CODE]: a reminder round from the command line (same as a
coordinator's /pengingat kirim); prints how many were sent, skipped, failed and unknown (sent,
but Telegram did not answer in time: they may have arrived)."""

from __future__ import annotations

import sys

from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from domain.clock import SystemClock
from features.reminders.jobs import CONCURRENT_SENDS, run_round
from handlers.limits import TelegramLimiter
from runtime.services import open_services
from runtime.settings import Settings

# As long as the running bot waits for Telegram (app/application.py): PTB's default of 5 s made
# a slow Telegram's answers time out (and the message arrive anyway).
READ_TIMEOUT = 30.0


def add_parsers(commands) -> None:
    remind = commands.add_parser("remind", help="send the reminders that are due now (a reminder round)")
    remind.add_argument("--now", action="store_true", required=True, help="run a round now")
    remind.add_argument(
        "--village",
        action="append",
        default=[],
        metavar="CODE",
        help="only this village (or area code); may be given several times",
    )
    remind.set_defaults(handler=remind_now)


async def remind_now(args, settings: Settings) -> int:
    token = settings.token()  # one clear line when it is missing
    services = await open_services(settings, SystemClock())
    try:
        for code in args.village:
            if not await services.storage.areas.area_exists(code):
                print(f"lapordesa: area {code} is not known; nothing was sent", file=sys.stderr)
                return 1
        async with ExtBot(
            token,
            base_url=settings.telegram_api_base_url,
            base_file_url=settings.file_url,
            request=HTTPXRequest(
                connection_pool_size=CONCURRENT_SENDS + 2, read_timeout=READ_TIMEOUT, connect_timeout=15
            ),
            rate_limiter=TelegramLimiter(),
        ) as bot:  # paced like the running bot's rounds
            result = await run_round(services, bot, villages=args.village or None, manual=True)
    finally:
        await services.storage.close()
    print(result)
    return 0
