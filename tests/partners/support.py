"""Shared set-up for the partner and MEL tests: two programmes, partners with roles, people."""

from __future__ import annotations

from domain.models import ScopeEntry
from domain.roles import Role
from features.partners.service import join, save_partner, save_programme, set_role
from tests.exporting.support import CIBIRU, OEBOBO, SENTANI, SUKAMAJU, forms

__all__ = ["CIBIRU", "OEBOBO", "SENTANI", "SUKAMAJU", "forms", "person", "setup_alliance"]


async def setup_alliance(storage) -> None:
    """'sehat' (posyandu form): Sukamaju, Cibiru and Oebobo; 'miskin': Sukamaju and Sentani.
    Baznas supports Sukamaju (all programmes) and Oebobo (sehat only); Unpad supports Cibiru."""
    f = forms()
    await save_partner(storage, "baznas", "civil_society", "BAZNAS Kab. Bandung")
    await save_partner(storage, "unpad", "academia", "Universitas Padjadjaran")
    await save_programme(storage, f, "sehat", "Desa Sehat", ["posyandu_bulanan"])
    await save_programme(storage, f, "miskin", "Pengentasan Kemiskinan", ["literasi_bulanan"])
    for village in (SUKAMAJU, CIBIRU, OEBOBO):
        await join(storage, "sehat", village, "2026-01")
    for village in (SUKAMAJU, SENTANI):
        await join(storage, "miskin", village, "2026-03")
    await set_role(storage, "baznas", SUKAMAJU, "donatur")
    await set_role(storage, "baznas", SUKAMAJU, "penggerak")
    await set_role(storage, "baznas", OEBOBO, "fasilitator", "sehat")
    await set_role(storage, "unpad", CIBIRU, "pembimbing")


async def person(
    storage,
    telegram_id: int,
    role: Role,
    *areas: str,
    posyandu_id: int | None = None,
    partner: tuple[str, str | None] | None = None,
    name: str = "Siti",
):
    scope = [ScopeEntry(area_code=area, posyandu_id=posyandu_id) for area in areas]
    [code] = await storage.users.create_invitations(role, scope, partner=partner)
    await storage.users.register(telegram_id, name, code)
    return await storage.users.get(telegram_id)
