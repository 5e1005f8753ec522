"""One export, for the chat and the command line: scope check, build in a thread, fit for
Telegram, audit. Callers give a path; the file(s) end up next to it."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from domain.models import User
from domain.periods import Period
from domain.texts import DEFAULT_LANGUAGE, LANGUAGES, catalogue
from exports import EmptySelection, ExportError, ExportStats, build_workbook, fit_for_telegram
from exports.model import Generator, Language, Selection
from features.exporting import tempfiles
from features.exporting.source import StorageExportSource, exportable_villages
from runtime.services import Services
from storage.files import make_private, private_dir

__all__ = ["EmptySelection", "ExportError", "ExportResult", "OutOfScope", "export_workbook", "scope_label"]


class OutOfScope(ExportError):
    """The person asked for a village outside what they may export."""


@dataclass(frozen=True)
class ExportResult:
    files: list[Path]  # what to send, in order (one .xlsx, one .zip, or one per area)
    zipped: bool  # a file had to be zipped to fit Telegram's limit
    split: bool  # the export was split per regency/district to fit
    villages: int
    periods: tuple[str, ...]
    stats: ExportStats


async def export_workbook(
    services: Services,
    user: User | None,
    periods: Sequence[str],
    village_codes: Sequence[str],
    out_path: Path | str,
    *,
    scope: str | None = None,
    fit: bool = True,
) -> ExportResult:
    """Build the workbook for ``village_codes`` x ``periods`` (``user`` None: the command line).

    Raises OutOfScope for a village the user may not export and EmptySelection when there is
    nothing to export. With ``fit`` the result is made to fit Telegram (zipped, or split per
    area); the files are written next to ``out_path`` (``out_path`` itself when not changed)."""
    storage = services.storage
    periods = tuple(sorted({str(Period.parse(p)) for p in periods}))
    allowed = {v.code: v for v in await exportable_villages(storage, user)}
    outside = [code for code in village_codes if code not in allowed]
    if outside:
        raise OutOfScope(f"{len(outside)} village(s) outside the scope")
    codes = sorted(set(village_codes))
    if not codes or not periods:
        raise EmptySelection("no villages or no months selected")
    language = user.language if user and user.language in ("id", "en") else "id"
    zone = _zone(services, user, allowed)
    selection = Selection(
        periods=periods,
        scope_label=scope or await scope_label(services, codes, language),
        generated_at=services.clock.now().astimezone(zone).replace(tzinfo=None, microsecond=0),
        generated_by=Generator(role=user.role.value if user else "admin", display_name=user.name if user else "CLI"),
        language=Language(language),
    )
    source = await StorageExportSource.load(storage, services.forms, selection, codes, viewer=user)
    out_path = Path(out_path)
    with tempfiles.export_folder("export") as folder:  # removed whatever happens; a killed one at start
        built = folder / out_path.name
        stats = await asyncio.to_thread(build_workbook, source, built)
        files = await asyncio.to_thread(fit_for_telegram, built, source) if fit else [built]
        private_dir(out_path.parent)  # workbooks hold personal data: 0600 files, new folders 0700
        delivered = []
        for file in files:
            target = out_path if file == built else out_path.with_name(file.name)
            shutil.move(make_private(file), target)
            delivered.append(target)
    zipped = any(f.suffix == ".zip" for f in delivered)
    split = any(f.stem != out_path.stem for f in delivered)
    rows = stats.rows
    await storage.audit.log(
        "export",
        actor_id=user.telegram_id if user else None,
        actor_role=user.role.value if user else "cli",
        subject=f"{periods[0]}..{periods[-1]}",
        villages=len(codes),
        periods=len(periods),
        data_rows=int(rows.get("Data", 0)),
        files=len(delivered),
        bytes=sum(f.stat().st_size for f in delivered),
        zipped=zipped,
        split=split,
    )
    return ExportResult(files=delivered, zipped=zipped, split=split, villages=len(codes), periods=periods, stats=stats)


async def scope_label(services: Services, codes: Sequence[str], language: str = "id") -> str:
    """The smallest area holding all villages, by name (e.g. "Kecamatan Cileunyi"), in the words
    the export chat names areas with. Plain text: it is a workbook's title, not a message."""
    villages = [v for v in await services.storage.areas.villages() if v.code in set(codes)]
    if not villages:
        return ""
    if len(villages) == 1:
        return _plain(language, "export.village", name=villages[0].name)
    for level, key in (("district", "export.district"), ("regency", None), ("province", "export.province")):
        if len({getattr(v, f"{level}_code") for v in villages}) == 1:
            name = getattr(villages[0], f"{level}_name")
            return name if key is None else _plain(language, key, name=name)  # a regency's name says what it is
    return _plain(language, "scope_label.country")


def _plain(language: str, key: str, **params: str) -> str:
    """A catalogue text as plain text: the parameters as they are, not HTML-escaped."""
    texts = catalogue(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    return (texts.get(key) or catalogue(DEFAULT_LANGUAGE)[key]).format_map(params)


def _zone(services: Services, user: User | None, allowed: dict) -> ZoneInfo:
    village = allowed.get(user.home_village) if user and user.home_village else None
    return ZoneInfo(village.timezone) if village else services.default_zone
