"""Household commands: a coordinator's full access to identities, and rotating DATA_KEY."""

from __future__ import annotations

import os
import sys

from runtime.settings import Settings
from storage import DataKeyError, Storage
from storage.crypto import DataCipher


def add_parsers(commands) -> None:
    households = commands.add_parser("households", help="household data: access grants, key rotation")
    actions = households.add_subparsers(dest="action", required=True)
    access = actions.add_parser("access", help="let a koordinator see names, NIK and KK numbers (audited)")
    access.add_argument("grant", choices=["grant", "revoke"])
    access.add_argument("telegram_id", type=int)
    access.set_defaults(handler=households_access)
    rekey = actions.add_parser(
        "rekey",
        help="re-encrypt household data with the current DATA_KEY; the old key is read from the "
        "environment variable named by --old-key-env (never from the command line)",
    )
    rekey.add_argument("--old-key-env", default="OLD_DATA_KEY")
    rekey.set_defaults(handler=households_rekey)


def _fail(message: str) -> int:
    print(f"lapordesa: {message}", file=sys.stderr)
    return 1


async def households_access(args, settings: Settings) -> int:
    storage = await Storage.open(settings.database_path)
    try:
        granted = args.grant == "grant"
        if not await storage.households.set_full_access(args.telegram_id, granted):
            return _fail(f"{args.telegram_id} is not a koordinator")
    finally:
        await storage.close()
    print(f"full access {'granted to' if granted else 'revoked from'} {args.telegram_id}", file=sys.stderr)
    return 0


async def households_rekey(args, settings: Settings) -> int:
    old_secret = os.environ.get(args.old_key_env, "")
    if settings.data_key is None or not old_secret:
        return _fail(f"set DATA_KEY to the new key and {args.old_key_env} to the old one")
    try:
        old = DataCipher(old_secret)
        storage = await Storage.open(settings.database_path, data_key=settings.data_key.get_secret_value())
    except DataKeyError as problem:
        return _fail(str(problem))
    try:
        count = await storage.households.rekey(old)
    except DataKeyError as problem:
        return _fail(f"{problem}; nothing was changed")
    finally:
        await storage.close()
    print(f"{count} households re-encrypted with the new DATA_KEY", file=sys.stderr)
    return 0
