"""Lapor Desa: `python bot.py [COMMAND]`. With no command, runs the bot."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
