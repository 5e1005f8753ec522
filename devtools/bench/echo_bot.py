"""A bare python-telegram-bot echo bot: the framework's own speed, for bench_conversation.

    python devtools/bench/echo_bot.py [--rate-limiter]      # settings from the environment, like bot.py

Replies to every text with the same text. ``--rate-limiter`` adds the rate limiter the real bot
uses (app.telegram_limits.TelegramLimiter), to separate the cost of the limiter from the cost of
the bot's own work.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from handlers.limits import TelegramLimiter

READY_LINE = "echo bot is running"


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(update.message.text)


async def announce(application) -> None:
    logging.getLogger("echo").warning(READY_LINE)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate-limiter", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    builder = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .base_file_url(os.environ["TELEGRAM_API_FILE_URL"])
        .post_init(announce)
    )
    if args.rate_limiter:
        builder = builder.rate_limiter(TelegramLimiter())
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)


if __name__ == "__main__":
    main()
