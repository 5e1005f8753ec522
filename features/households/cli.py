"""Household commands: a coordinator's full access to identities, a new DATA_KEY, rotating it."""

from __future__ import annotations

import os
import sys

from domain.forms import load_forms
from runtime.services import sensitive_questions
from runtime.settings import Settings
from storage import DataKeyError, Storage
from storage.crypto import new_key


def add_parsers(commands) -> None:
    households = commands.add_parser("households", help="household data: access grants, key rotation")
    actions = households.add_subparsers(dest="action", required=True)
    access = actions.add_parser("access", help="let a koordinator see names, NIK and KK numbers (audited)")
    access.add_argument("grant", choices=["grant", "revoke"])
    access.add_argument("telegram_id", type=int)
    access.set_defaults(handler=households_access)
    key = actions.add_parser("new-key", help="print a new random DATA_KEY (256 bits) on standard output")
    key.set_defaults(handler=households_new_key)
    rekey = actions.add_parser(
        "rekey",
        help="re-encrypt the encrypted data (households, sensitive answers, sessions) with the current "
        "DATA_KEY; the old key is read from the environment variable named by --old-key-env (never from "
        "the command line)",
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


async def households_new_key(args, settings: Settings) -> int:
    """Only the key on standard output (so it can be piped into a password manager)."""
    print(new_key())
    print("a new DATA_KEY; keep it apart from the backups, see docs/PRIVACY.md", file=sys.stderr)
    return 0


async def households_rekey(args, settings: Settings) -> int:
    """The old key may be one that is no longer accepted (too weak): it is only read."""
    old_secret = os.environ.get(args.old_key_env, "")
    if settings.data_key is None or not old_secret.strip():
        return _fail(f"set DATA_KEY to the new key and {args.old_key_env} to the old one")
    forms = load_forms(settings.forms_dir)  # which report answers are sensitive
    try:
        storage = await Storage.open(settings.database_path, data_key=settings.data_key.get_secret_value())
    except DataKeyError as problem:
        return _fail(str(problem))
    try:
        storage.protect(sensitive_questions(forms))
        resealed = await storage.keys.rekey(old_secret)
    except DataKeyError as problem:
        return _fail(f"{problem}; nothing was changed")
    finally:
        await storage.close()
    households = resealed.counts.get("households", 0)
    values = resealed.total - households
    print(f"{households} households re-encrypted with the new DATA_KEY ({values} encrypted values)", file=sys.stderr)
    return 0
