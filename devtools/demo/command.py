"""`demo`: try Lapor Desa in the terminal, without Telegram (see demo/session.py)."""

from __future__ import annotations

import logging
from pathlib import Path

from devtools.demo.session import run_demo
from runtime.settings import Settings

DEFAULT_FOLDER = Path("lapordesa-demo")


def add_parsers(commands) -> None:
    demo = commands.add_parser(
        "demo",
        help="chat with the bot in the terminal, without Telegram "
        "(a demo database, the local Bot API and the real bot)",
    )
    demo.add_argument(
        "--folder",
        type=Path,
        default=DEFAULT_FOLDER,
        help=f"where the demo database, the bot's log and exports go (default: ./{DEFAULT_FOLDER})",
    )
    demo.add_argument("--lang", choices=("id", "en"), default="id", help="language of the bot and the demo")
    demo.add_argument("--seed", type=int, default=7, help="seed of the made-up history")
    demo.set_defaults(handler=demo_command)


async def demo_command(args, settings: Settings) -> int:
    """The demo never uses the settings' database or token: it makes its own in ``--folder``."""
    logging.getLogger().setLevel(logging.WARNING)  # the terminal is for the chat; the bot logs to its file
    return await run_demo(args.folder, language=args.lang, seed=args.seed)
