"""Administration used by both the command line and the admin chat commands."""
from __future__ import annotations

from domain.models import ScopeEntry
from domain.regions import is_area_code, is_village_code
from domain.roles import VILLAGE_ROLES, Role
from storage import Storage


class AdminProblem(ValueError):
    """A request an admin made that cannot be done, with the reason in plain words."""


async def invitation_scope(storage: Storage, role: Role, villages: list[str], regency: str | None = None,
                           posyandu_ids: list[int] = (), programme_scope: bool = False) -> list[ScopeEntry]:
    """Check what an invitation for ``role`` should cover and turn it into scope entries.
    ``programme_scope``: a koordinator whose villages come from a partner's programme (may be none here)."""
    if role is Role.ADMIN:
        if villages or regency or posyandu_ids:
            raise AdminProblem("an admin invitation covers everything: give no village, regency or posyandu")
        return []
    if role in VILLAGE_ROLES:
        if regency or len(villages) != 1:
            raise AdminProblem(f"a {role.value} invitation needs exactly one --village")
        return await _village_scope(storage, role, villages[0], list(posyandu_ids))
    areas = list(villages) + ([regency] if regency else [])
    if programme_scope and not areas and not posyandu_ids:
        return []
    if not areas or posyandu_ids:
        raise AdminProblem("a koordinator invitation needs --village (several allowed) or --regency, no posyandu")
    for code in areas:
        if not is_area_code(code) or not await storage.areas.area_exists(code):
            raise AdminProblem(f"area {code} is not known; import the villages first")
    return [ScopeEntry(area_code=code) for code in areas]


async def _village_scope(storage: Storage, role: Role, village: str, posyandu_ids: list[int]) -> list[ScopeEntry]:
    if not is_village_code(village) or await storage.areas.village(village) is None:
        raise AdminProblem(f"village {village} is not known; import the villages first")
    if role is not Role.KADER:
        if posyandu_ids:
            raise AdminProblem(f"a {role.value} covers the whole village: give no posyandu")
        return [ScopeEntry(area_code=village)]
    available = {p.id for p in await storage.areas.posyandu_in(village)}
    if not posyandu_ids:
        raise AdminProblem("a kader invitation needs --posyandu (the id printed by 'posyandu add')")
    unknown = [p for p in posyandu_ids if p not in available]
    if unknown:
        raise AdminProblem(f"posyandu {', '.join(map(str, unknown))} is not in village {village}")
    return [ScopeEntry(area_code=village, posyandu_id=p) for p in posyandu_ids]


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"
