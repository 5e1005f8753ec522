"""`export`: the Excel summary from the command line (all villages the database holds)."""

from __future__ import annotations

import sys
from pathlib import Path

from domain.clock import SystemClock
from domain.forms import load_forms
from domain.periods import Period, period_range
from features.exporting.service import EmptySelection, export_workbook
from runtime.commands import opened
from runtime.services import Services
from runtime.settings import Settings


def add_parsers(commands) -> None:
    export = commands.add_parser("export", help="write the Excel summary of the reports to a file")
    export.add_argument("--from", dest="first", required=True, metavar="YYYY-MM", help="first month")
    export.add_argument("--to", dest="last", required=True, metavar="YYYY-MM", help="last month")
    export.add_argument(
        "--village",
        action="append",
        default=[],
        metavar="CODE",
        help="a village code (repeatable); default: every village",
    )
    export.add_argument("--regency", metavar="CODE", help="every village of this regency (e.g. 32.04)")
    export.add_argument("--out", required=True, type=Path, metavar="FILE.xlsx")
    export.set_defaults(handler=export_command)


def _fail(message: str) -> int:
    print(f"lapordesa: {message}", file=sys.stderr)
    return 1


async def export_command(args, settings: Settings) -> int:
    try:
        periods = [str(p) for p in period_range(Period.parse(args.first), Period.parse(args.last))]
    except ValueError as problem:
        return _fail(f"{problem} (write months as YYYY-MM, --from not after --to)")
    if args.out.suffix.lower() != ".xlsx":
        return _fail("--out must name an .xlsx file")
    forms = load_forms(settings.forms_dir)
    async with opened(settings) as storage:
        known = {v.code: v for v in await storage.areas.villages()}
        unknown = [code for code in args.village if code not in known]
        if unknown:
            return _fail(f"unknown village {', '.join(unknown)} (see 'villages list')")
        codes = set(args.village)
        if args.regency:
            in_regency = [code for code, v in known.items() if v.regency_code == args.regency]
            if not in_regency:
                return _fail(f"no villages in regency {args.regency}")
            codes.update(in_regency)
        if not args.village and not args.regency:
            codes = set(known)
        services = Services(settings=settings, storage=storage, forms=forms, clock=SystemClock())
        try:
            result = await export_workbook(services, None, periods, sorted(codes), args.out, fit=False)
        except EmptySelection:
            return _fail(
                f"nothing reported for {len(codes)} village(s) in {periods[0]}..{periods[-1]}; no file written"
            )
    print(
        f"wrote {result.files[0]}: {result.villages} villages, {len(periods)} months, "
        f"{result.stats.rows.get('Data', 0)} data rows, {result.stats.bytes} bytes",
        file=sys.stderr,
    )
    return 0
