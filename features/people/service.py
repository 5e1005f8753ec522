"""Administration used by both the command line and the admin chat commands."""

from __future__ import annotations

from domain.models import ScopeEntry
from domain.problems import AdminProblem
from domain.regions import is_area_code, is_village_code
from domain.roles import VILLAGE_ROLES, Role
from storage import Storage


async def invitation_scope(
    storage: Storage,
    role: Role,
    villages: list[str],
    regency: str | None = None,
    posyandu_ids: list[int] = (),
    programme_scope: bool = False,
) -> list[ScopeEntry]:
    """Check what an invitation for ``role`` should cover and turn it into scope entries.
    ``programme_scope``: a koordinator whose villages come from a partner's programme (may be none here)."""
    if role is Role.ADMIN:
        if villages or regency or posyandu_ids:
            raise AdminProblem("admin.admin_everywhere")
        return []
    if role in VILLAGE_ROLES:
        if regency or len(villages) != 1:
            raise AdminProblem("admin.one_village", role=role.value)
        return await _village_scope(storage, role, villages[0], list(posyandu_ids))
    areas = list(villages) + ([regency] if regency else [])
    if programme_scope and not areas and not posyandu_ids:
        return []
    if not areas or posyandu_ids:
        raise AdminProblem("admin.koordinator_area")
    for code in areas:
        if not is_area_code(code) or not await storage.areas.area_exists(code):
            raise AdminProblem("admin.area_unknown", code=code)
    return [ScopeEntry(area_code=code) for code in areas]


async def _village_scope(storage: Storage, role: Role, village: str, posyandu_ids: list[int]) -> list[ScopeEntry]:
    if not is_village_code(village) or await storage.areas.village(village) is None:
        raise AdminProblem("admin.village_unknown", code=village)
    if role is not Role.KADER:
        if posyandu_ids:
            raise AdminProblem("admin.whole_village", role=role.value)
        return [ScopeEntry(area_code=village)]
    available = {p.id for p in await storage.areas.posyandu_in(village)}
    if not posyandu_ids:
        raise AdminProblem("admin.kader_posyandu")
    unknown = [p for p in posyandu_ids if p not in available]
    if unknown:
        raise AdminProblem("admin.posyandu_elsewhere", ids=", ".join(map(str, unknown)), village=village)
    return [ScopeEntry(area_code=village, posyandu_id=p) for p in posyandu_ids]


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"
