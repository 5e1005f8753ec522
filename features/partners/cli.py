"""Partners, programmes, memberships, roles, coordinators and MEL targets on the command line."""

from __future__ import annotations

import sys
from pathlib import Path

from domain.forms import load_forms
from domain.imports import ImportProblem
from domain.mel import TARGETS_HEADER, TargetsInvalid
from domain.partners import PARTNER_ROLES, PARTNER_TYPES
from domain.problems import AdminProblem
from features.partners.service import (
    assign_coordinator,
    import_targets,
    join,
    leave,
    save_partner,
    save_programme,
    set_role,
)
from runtime.commands import fail as _fail
from runtime.commands import opened
from runtime.settings import Settings


def add_parsers(commands) -> None:
    partners = commands.add_parser("partners", help="partner organisations and their roles in villages")
    actions = partners.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a partner (or update its name and type)")
    add.add_argument("code")
    add.add_argument("--type", required=True, choices=list(PARTNER_TYPES))
    add.add_argument("--name", required=True)
    add.set_defaults(handler=partners_add)
    actions.add_parser("list", help="partners and the roles they play").set_defaults(handler=partners_list)
    role = actions.add_parser("role", help="a role a partner plays in a village (--remove to take it away)")
    role.add_argument("partner")
    role.add_argument("village")
    role.add_argument("role", choices=list(PARTNER_ROLES))
    role.add_argument("--programme", help="only in this programme (default: every programme there)")
    role.add_argument("--remove", action="store_true")
    role.set_defaults(handler=partners_role)
    assign = actions.add_parser(
        "assign",
        help="a koordinator belongs to a partner, optionally with programme "
        "scopes (the villages the partner supports in the programme)",
    )
    assign.add_argument("telegram_id", type=int)
    assign.add_argument("partner", help="partner code, or - for none")
    assign.add_argument("--programme", action="append", default=[])
    assign.set_defaults(handler=partners_assign)

    programmes = commands.add_parser("programmes", help="programmes, their forms and villages")
    actions = programmes.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a programme (or rename it; --form replaces its forms)")
    add.add_argument("code")
    add.add_argument("--name", required=True)
    add.add_argument("--form", action="append", help="a report form id; several allowed")
    add.set_defaults(handler=programmes_add)
    actions.add_parser("list", help="programmes, forms and villages").set_defaults(handler=programmes_list)
    joined = actions.add_parser("join", help="a village joins a programme from a month")
    joined.add_argument("programme")
    joined.add_argument("village")
    joined.add_argument("--start", required=True, help="YYYY-MM")
    joined.set_defaults(handler=programmes_join)
    left = actions.add_parser("leave", help="a village leaves a programme")
    left.add_argument("programme")
    left.add_argument("village")
    left.set_defaults(handler=programmes_leave)

    targets = commands.add_parser("targets", help="MEL baselines and targets")
    actions = targets.add_subparsers(dest="action", required=True)
    imp = actions.add_parser(
        "import", help=f"import baselines and targets from a CSV file ({','.join(TARGETS_HEADER)})"
    )
    imp.add_argument("file", type=Path)
    imp.set_defaults(handler=targets_import)
    listing = actions.add_parser("list", help="baselines and targets")
    listing.add_argument("--programme")
    listing.set_defaults(handler=targets_list)


async def _run(settings: Settings, operation, done: str = "") -> int:
    async with opened(settings) as storage:
        try:
            await operation(storage)
        except AdminProblem as problem:
            return _fail(str(problem))
    if done:
        print(done, file=sys.stderr)
    return 0


async def partners_add(args, settings: Settings) -> int:
    return await _run(
        settings, lambda s: save_partner(s, args.code, args.type, args.name), f"partner {args.code} saved"
    )


async def partners_list(args, settings: Settings) -> int:
    async with opened(settings) as storage:
        for p in await storage.partners.partners():
            print(f"{p.code}\t{p.type}\t{p.name}")
        for r in await storage.partners.roles():
            print(f"  {r.partner_code}\t{r.village_code}\t{r.role}\t{r.programme_code or '*'}")
    return 0


async def partners_role(args, settings: Settings) -> int:
    changed = []

    async def operation(storage):
        changed.append(
            await set_role(storage, args.partner, args.village, args.role, args.programme, remove=args.remove)
        )

    status = await _run(settings, operation)
    if status == 0:
        what = "removed" if args.remove else "added"
        print(f"role {what}" if changed[0] else f"nothing to change: role already {what}", file=sys.stderr)
    return status


async def partners_assign(args, settings: Settings) -> int:
    partner = None if args.partner == "-" else args.partner
    return await _run(
        settings,
        lambda s: assign_coordinator(s, args.telegram_id, partner, args.programme),
        f"koordinator {args.telegram_id} assigned",
    )


async def programmes_add(args, settings: Settings) -> int:
    forms = load_forms(settings.forms_dir)
    return await _run(
        settings, lambda s: save_programme(s, forms, args.code, args.name, args.form), f"programme {args.code} saved"
    )


async def programmes_list(args, settings: Settings) -> int:
    async with opened(settings) as storage:
        members = await storage.partners.memberships()
        for p in await storage.partners.programmes():
            print(f"{p.code}\t{p.name}\t{','.join(p.forms) or '-'}")
            for m in members:
                if m.programme_code == p.code:
                    print(f"  {m.village_code}\tfrom {m.start_month}")
    return 0


async def programmes_join(args, settings: Settings) -> int:
    return await _run(
        settings,
        lambda s: join(s, args.programme, args.village, args.start),
        f"village {args.village} joined {args.programme}",
    )


async def programmes_leave(args, settings: Settings) -> int:
    return await _run(
        settings, lambda s: leave(s, args.programme, args.village), f"village {args.village} left {args.programme}"
    )


async def targets_import(args, settings: Settings) -> int:
    try:
        text = args.file.read_text(encoding="utf-8")
    except OSError as exc:
        return _fail(f"cannot read {args.file}: {exc.strerror}")
    except UnicodeDecodeError:
        return _fail(f"{args.file} is not UTF-8 text; nothing was imported")
    forms = load_forms(settings.forms_dir)
    async with opened(settings) as storage:
        try:
            rows = await import_targets(storage, forms, text, source=args.file.name)
        except TargetsInvalid as invalid:
            for problem in invalid.problems:
                print(f"lapordesa: {args.file}: {problem}", file=sys.stderr)
            return _fail(f"{len(invalid.problems)} bad row(s); nothing was imported")
        except ImportProblem as problem:  # pragma: no cover - parse problems come as TargetsInvalid
            return _fail(f"{args.file}: {problem}; nothing was imported")
    print(f"{len(rows)} baselines and targets imported", file=sys.stderr)
    return 0


async def targets_list(args, settings: Settings) -> int:
    async with opened(settings) as storage:
        for t in await storage.partners.targets(args.programme):
            print(f"{t.programme}\t{t.indicator}\t{t.village or '*'}\t{t.kind}\t{t.month}\t{t.value:g}")
    return 0
