"""Admin commands: villages, posyandu, invitations, users, audit."""

from __future__ import annotations

import sys
from pathlib import Path

from domain.imports import ImportProblem, parse_villages_csv
from domain.problems import AdminProblem
from domain.roles import Role
from features.partners.service import invitation_partner
from features.people.service import deep_link, invitation_scope
from runtime.commands import fail, opened
from runtime.settings import Settings


def add_parsers(commands) -> None:
    villages = commands.add_parser("villages", help="manage villages").add_subparsers(dest="action", required=True)
    imp = villages.add_parser("import", help="import or update villages from a CSV file")
    imp.add_argument("file", type=Path)
    imp.set_defaults(handler=villages_import)
    villages.add_parser("list", help="list villages").set_defaults(handler=villages_list)

    posyandu = commands.add_parser("posyandu", help="manage posyandu").add_subparsers(dest="action", required=True)
    add = posyandu.add_parser("add", help="add a posyandu to a village; prints its id")
    add.add_argument("--village", required=True)
    add.add_argument("--name", required=True)
    add.set_defaults(handler=posyandu_add)
    listing = posyandu.add_parser("list", help="list the posyandu of a village")
    listing.add_argument("--village", required=True)
    listing.set_defaults(handler=posyandu_list)

    invite = commands.add_parser("invite", help="create invitation codes; prints one per line")
    invite.add_argument("--role", required=True, choices=[r.value for r in Role])
    invite.add_argument("--village", action="append", default=[])
    invite.add_argument("--regency")
    invite.add_argument("--posyandu", type=int, action="append", default=[])
    invite.add_argument("--count", type=int, default=1)
    invite.add_argument("--days", type=int, default=14)
    invite.add_argument("--links", action="store_true", help="print t.me deep links after the codes")
    invite.add_argument("--bot-username", help="the bot's username, if the bot has not run yet")
    invite.add_argument("--partner", help="koordinator: the partner organisation (code) they belong to")
    invite.add_argument("--programme", help="koordinator: scope = villages the partner supports in this programme")
    invite.set_defaults(handler=invite_create)

    users = commands.add_parser("users", help="manage users").add_subparsers(dest="action", required=True)
    users.add_parser("list", help="list users").set_defaults(handler=users_list)
    deactivate = users.add_parser("deactivate", help="deactivate a user")
    deactivate.add_argument("telegram_id", type=int)
    deactivate.set_defaults(handler=users_deactivate)
    activate = users.add_parser("activate", help="activate a deactivated user again (role and scope as they were)")
    activate.add_argument("telegram_id", type=int)
    activate.set_defaults(handler=users_activate)

    audit = commands.add_parser("audit", help="print recent audit log entries")
    audit.add_argument("--limit", type=int, default=50)
    audit.add_argument("--action")
    audit.set_defaults(handler=audit_list)


async def villages_import(args, settings: Settings) -> int:
    try:
        rows = parse_villages_csv(args.file.read_text(encoding="utf-8"))
    except OSError as exc:
        return fail(f"cannot read {args.file}: {exc.strerror}")
    except (ImportProblem, UnicodeDecodeError) as problem:
        return fail(f"{args.file}: {problem}; nothing was imported")
    async with opened(settings) as storage:
        added, updated = await storage.areas.import_villages(rows)
        await storage.audit.log("villages.import", subject=args.file.name, added=added, updated=updated)
    print(f"{added} villages added, {updated} updated", file=sys.stderr)
    return 0


async def villages_list(args, settings: Settings) -> int:
    async with opened(settings) as storage:
        for v in await storage.areas.villages():
            print(f"{v.code}\t{v.name}\t{v.district_name}\t{v.regency_name}\t{v.timezone}")
    return 0


async def posyandu_add(args, settings: Settings) -> int:
    async with opened(settings) as storage:
        if await storage.areas.village(args.village) is None:
            return fail(f"village {args.village} is not known; import the villages first")
        if not args.name.strip() or len(args.name) > 100:
            return fail("the name must be 1 to 100 characters")
        if any(
            p.name.lower() == " ".join(args.name.split()).lower() for p in await storage.areas.posyandu_in(args.village)
        ):
            return fail(f"village {args.village} already has a posyandu named {args.name!r}")
        posyandu = await storage.areas.add_posyandu(args.village, args.name)
        await storage.audit.log("posyandu.add", subject=str(posyandu.id), village=args.village)
        print(posyandu.id)
    return 0


async def posyandu_list(args, settings: Settings) -> int:
    async with opened(settings) as storage:
        for p in await storage.areas.posyandu_in(args.village):
            print(f"{p.id}\t{p.name}")
    return 0


async def invite_create(args, settings: Settings) -> int:
    if not 1 <= args.count <= 500 or not 1 <= args.days <= 365:
        return fail("--count must be 1..500 and --days 1..365")
    async with opened(settings) as storage:
        role = Role(args.role)
        try:
            scope = await invitation_scope(
                storage, role, args.village, args.regency, args.posyandu, programme_scope=bool(args.programme)
            )
            partner = await invitation_partner(storage, role, args.partner, args.programme)
        except AdminProblem as problem:
            return fail(str(problem))
        username = args.bot_username or await storage.meta.get("bot_username")
        if args.links and not username:
            return fail("the bot's username is not known yet: run the bot once or pass --bot-username")
        codes = await storage.users.create_invitations(role, scope, count=args.count, days=args.days, partner=partner)
    for code in codes:
        print(f"{code} {deep_link(username, code)}" if args.links else code)
    return 0


async def users_list(args, settings: Settings) -> int:
    async with opened(settings) as storage:
        for user in await storage.users.list():
            areas = ",".join(s.area_code + (f"#{s.posyandu_id}" if s.posyandu_id else "") for s in user.scope)
            if user.partner:  # partners: the organisation and programme scopes
                areas = f"{areas or '-'} [{user.partner}{':' + ','.join(user.programmes) if user.programmes else ''}]"
            state = "active" if user.active else "inactive"
            print(f"{user.telegram_id}\t{user.role.value}\t{state}\t{areas or '-'}\t{user.name}")
    return 0


async def users_deactivate(args, settings: Settings) -> int:
    async with opened(settings) as storage:
        if not await storage.users.deactivate(args.telegram_id):
            return fail(f"no active user {args.telegram_id}")
    print(f"user {args.telegram_id} deactivated; their open conversation ended", file=sys.stderr)
    return 0


async def users_activate(args, settings: Settings) -> int:
    async with opened(settings) as storage:
        if not await storage.users.activate(args.telegram_id):
            return fail(f"no inactive user {args.telegram_id}")
    print(f"user {args.telegram_id} activated", file=sys.stderr)
    return 0


async def audit_list(args, settings: Settings) -> int:
    async with opened(settings) as storage:
        for e in reversed(await storage.audit.recent(limit=args.limit, action=args.action)):
            print(
                f"{e.at.isoformat()}\t{e.action}\t{e.actor_id or 'cli'}\t{e.actor_role or '-'}\t{e.subject}\t"
                f"{e.details}"
            )
    return 0
