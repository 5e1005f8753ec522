"""Lapor Desa: `python bot.py [COMMAND]`. With no command, runs the bot."""
import sys

from cli.main import main

if __name__ == "__main__":
    sys.exit(main())
