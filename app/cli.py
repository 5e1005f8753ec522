"""The command line: `python bot.py COMMAND` (same as `lapordesa COMMAND`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable

from telegram.error import InvalidToken

from app.application import serve
from devtools.demo import command as demo_command
from domain.forms import FormError
from features.backups import cli as backup_commands
from features.exporting import cli as export_commands
from features.households import cli as household_commands
from features.maintenance import cli as maintenance_commands
from features.partners import cli as partner_commands
from features.people import cli as admin_commands
from features.reminders import cli as reminder_commands
from runtime.logging_setup import setup_logging
from runtime.settings import Settings, SettingsError, load_settings
from storage import DatabaseError, DataKeyError
from storage.lock import DatabaseInUse, exclusive

EXIT_USAGE = 2


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="lapordesa", description="Lapor Desa: village health reporting bot")
    commands = root.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="start the bot (long polling); the default")
    admin_commands.add_parsers(commands)
    backup_commands.add_parsers(commands)
    reminder_commands.add_parsers(commands)  # reminders
    export_commands.add_parsers(commands)  # exports
    household_commands.add_parsers(commands)  # households
    partner_commands.add_parsers(commands)  # partners, programmes, targets
    maintenance_commands.add_parsers(commands)
    demo_command.add_parsers(commands)  # demo
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = args.command or "run"
    try:
        settings = load_settings()
        token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
        setup_logging(settings.log_level, (token,))
        return asyncio.run(_dispatch(command, args, settings))
    except DataKeyError as problem:  # households: a key that is too short or does not open the data
        print(f"lapordesa: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except (SettingsError, FormError) as problem:
        print(f"lapordesa: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except DatabaseError as problem:
        print(
            f"lapordesa: the database cannot be used: {problem}. Restore the latest backup with "
            f"'python bot.py restore FILE' (backups are in BACKUP_DIR).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except DatabaseInUse as busy:
        print(
            f"lapordesa: {busy.database} is in use by a running bot or a restore (process {busy.pid or '?'}); "
            "stop it first: one database serves one bot, and a restore needs the bot stopped.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except InvalidToken:  # 401 (or 404) to getMe at start: the token was revoked or mistyped
        print(
            "lapordesa: Telegram refused the bot token (401 Unauthorized): it was revoked or is wrong. "
            "Get the current token from @BotFather (/mybots > API Token) and set TELEGRAM_BOT_TOKEN.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


async def _dispatch(command: str, args: argparse.Namespace, settings: Settings) -> int:
    if command == "run":
        settings.token()  # fail early with one clear line when the token is missing
        with exclusive(settings.database_path):  # one bot per database, for the process's life
            await serve(settings)
        return 0
    handler: Callable[[argparse.Namespace, Settings], Awaitable[int]] = args.handler
    return await handler(args, settings)
