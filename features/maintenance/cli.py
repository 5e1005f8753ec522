"""updates quarantined: what the poller set aside (handlers/polling.py), for an admin to look at."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from runtime.commands import opened
from runtime.settings import Settings


def add_parsers(commands: Any) -> None:
    updates = commands.add_parser("updates", help="Telegram updates the bot set aside")
    actions = updates.add_subparsers(dest="action", required=True)
    listed = actions.add_parser("quarantined", help="list updates the bot could not read or handle")
    listed.add_argument("--show", type=int, metavar="UPDATE_ID", help="print this one as Telegram sent it")
    listed.set_defaults(handler=quarantined_command)


async def quarantined_command(args: argparse.Namespace, settings: Settings) -> int:
    async with opened(settings) as storage:
        kept = await storage.updates.quarantined()
    if args.show is not None:
        found = [q for q in kept if q.update_id == args.show]
        if not found:
            print(f"no quarantined update {args.show}")
            return 1
        print(found[0].data)  # may hold what a person typed: shown only when asked for by id
        return 0
    if not kept:
        print("no quarantined updates")
    for update in kept:
        at = datetime.fromtimestamp(update.received_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
        print(f"{update.update_id}  {at}  {_kind(update.data)}  {len(update.data)} bytes  {update.reason}")
    return 0


def _kind(data: str) -> str:
    """What kind of update it is (its field besides update_id), without its content."""
    try:
        fields = [key for key in json.loads(data) if key != "update_id"]
    except (ValueError, TypeError):
        return "?"
    return ",".join(fields) or "?"
