"""Helpers for the export tests: people, submitted reports, the real forms."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from domain.forms import load_forms
from domain.models import ScopeEntry, User
from domain.roles import Role
from runtime.services import Services
from runtime.settings import REPO_DIR

SUKAMAJU, CIBIRU, OEBOBO, SENTANI = "32.04.12.2001", "32.04.12.2002", "53.71.01.1001", "91.03.01.2001"
FORM = "posyandu_bulanan"


@cache
def forms():
    return load_forms(REPO_DIR / "forms")


def services(settings, storage, clock) -> Services:
    return Services(settings=settings, storage=storage, forms=forms(), clock=clock)


async def person(
    storage, telegram_id: int, role: Role, *areas: str, posyandu_id: int | None = None, name: str = "Siti"
) -> User:
    scope = [ScopeEntry(area_code=area, posyandu_id=posyandu_id) for area in areas]
    [code] = await storage.users.create_invitations(role, scope)
    await storage.users.register(telegram_id, name, code)
    return await storage.users.get(telegram_id)


async def submit(
    storage,
    clock,
    user: User,
    posyandu_id: int,
    village: str,
    period: str,
    answers: dict,
    at: datetime | None = None,
    form: str = FORM,
):
    if at is not None:
        clock.set(at)
    draft = await storage.reports.open_draft(form, posyandu_id, period, user.telegram_id)
    return await storage.reports.submit(draft, user, village, answers)
