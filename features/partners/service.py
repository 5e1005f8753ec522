"""Managing partners, programmes, memberships, roles, coordinators and targets: the checks shared
by the command line and the admin chat command /mitra. Problems are raised as AdminProblem."""

from __future__ import annotations

from collections.abc import Mapping

from domain.forms import FormSpec
from domain.mel import TargetRow, parse_targets_csv, target_catalogue
from domain.partners import PARTNER_ROLES, PARTNER_TYPES, Partner, Programme, is_short_code
from domain.periods import Period
from domain.problems import AdminProblem
from domain.regions import is_village_code
from domain.roles import Role
from storage import Storage


def _code(code: str, what: str) -> str:
    code = code.strip().lower()
    if not is_short_code(code):
        raise AdminProblem("admin.partner_code" if what == "partner" else "admin.programme_code", code=repr(code))
    return code


def _name(name: str) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 100:
        raise AdminProblem("admin.name_length")
    return name


async def save_partner(storage: Storage, code: str, type_: str, name: str, actor_id: int | None = None) -> Partner:
    if type_ not in PARTNER_TYPES:
        raise AdminProblem("admin.partner_type", types=", ".join(PARTNER_TYPES))
    return await storage.partners.save_partner(_code(code, "partner"), _name(name), type_, actor_id=actor_id)


async def save_programme(
    storage: Storage,
    forms: Mapping[str, FormSpec],
    code: str,
    name: str,
    form_ids: list[str] | None = None,
    actor_id: int | None = None,
) -> Programme:
    if form_ids is not None:
        unknown = [f for f in form_ids if f not in forms or forms[f].kind != "report"]
        if unknown:
            raise AdminProblem("admin.not_report_form", forms=", ".join(unknown))
    return await storage.partners.save_programme(_code(code, "programme"), _name(name), form_ids, actor_id=actor_id)


async def _programme(storage: Storage, code: str | None) -> str | None:
    if code is None:
        return None
    if await storage.partners.programme(code.strip().lower()) is None:
        raise AdminProblem("admin.programme_unknown", code=code)
    return code.strip().lower()


async def _partner(storage: Storage, code: str) -> str:
    if await storage.partners.partner(code.strip().lower()) is None:
        raise AdminProblem("admin.partner_unknown", code=code)
    return code.strip().lower()


async def _village(storage: Storage, code: str) -> str:
    if not is_village_code(code) or await storage.areas.village(code) is None:
        raise AdminProblem("admin.village_unknown", code=code)
    return code


async def join(storage: Storage, programme: str, village: str, start: str, actor_id: int | None = None) -> None:
    try:
        start = str(Period.parse(start))
    except ValueError:
        raise AdminProblem("admin.start_month", start=repr(start)) from None
    await storage.partners.join(
        await _programme(storage, programme), await _village(storage, village), start, actor_id=actor_id
    )


async def leave(storage: Storage, programme: str, village: str, actor_id: int | None = None) -> None:
    if not await storage.partners.leave(await _programme(storage, programme), village, actor_id=actor_id):
        raise AdminProblem("admin.not_member", village=village, programme=programme)


async def set_role(
    storage: Storage,
    partner: str,
    village: str,
    role: str,
    programme: str | None = None,
    *,
    remove: bool = False,
    actor_id: int | None = None,
) -> bool:
    """Add (or remove) a role; False when there was nothing to change."""
    if role not in PARTNER_ROLES:
        raise AdminProblem("admin.partner_role", roles=", ".join(PARTNER_ROLES))
    args = (
        await _partner(storage, partner),
        await _village(storage, village),
        role,
        await _programme(storage, programme),
    )
    if remove:
        return await storage.partners.remove_role(*args, actor_id=actor_id)
    return await storage.partners.add_role(*args, actor_id=actor_id)


async def assign_coordinator(
    storage: Storage, telegram_id: int, partner: str | None, programmes: list[str] = (), actor_id: int | None = None
) -> None:
    """A coordinator's partner and programme scopes (replacing earlier ones); partner None: none."""
    user = await storage.users.get(telegram_id)
    if user is None or user.role is not Role.KOORDINATOR:
        raise AdminProblem("admin.not_koordinator", telegram_id=telegram_id)
    if partner is None and programmes:
        raise AdminProblem("admin.scope_needs_partner")
    codes = [await _programme(storage, p) for p in programmes]
    await storage.partners.set_user_partner(
        telegram_id, partner and await _partner(storage, partner), codes, actor_id=actor_id
    )


async def invitation_partner(
    storage: Storage, role: Role, partner: str | None, programme: str | None
) -> tuple[str, str | None] | None:
    """The (partner, programme) a coordinator invitation carries, checked."""
    if partner is None:
        if programme:
            raise AdminProblem("admin.programme_needs_partner")
        return None
    if role is not Role.KOORDINATOR:
        raise AdminProblem("admin.koordinator_only")
    return await _partner(storage, partner), await _programme(storage, programme)


async def import_targets(
    storage: Storage, forms: Mapping[str, FormSpec], text: str, *, actor_id: int | None = None, source: str = ""
) -> list[TargetRow]:
    """Parse and check the whole file, then import it in one transaction (raises TargetsInvalid)."""
    programmes = await storage.partners.programmes()
    members = await storage.partners.memberships()
    catalogue = target_catalogue(
        {p.code: p.forms for p in programmes},
        forms,
        {p.code: [m.village_code for m in members if m.programme_code == p.code] for p in programmes},
    )
    rows = parse_targets_csv(text, catalogue)
    await storage.partners.import_targets(rows, actor_id=actor_id, source=source)
    return rows
