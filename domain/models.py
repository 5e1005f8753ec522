"""Pydantic models the storage layer returns and the handlers use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.regions import within
from domain.roles import Role


class Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Village(Model):
    code: str
    name: str
    district_code: str
    district_name: str
    regency_code: str
    regency_name: str
    province_code: str
    province_name: str
    timezone: str


class Posyandu(Model):
    id: int
    village_code: str
    name: str
    active: bool = True


class ScopeEntry(Model):
    """An area (province, regency, district or village code), optionally narrowed to one posyandu."""

    area_code: str
    posyandu_id: int | None = None


class User(Model):
    telegram_id: int
    name: str
    role: Role
    language: str = "id"
    active: bool = True
    reachable: bool = True
    full_access: bool = False
    scope: tuple[ScopeEntry, ...] = ()
    partner: str | None = None  # the partner organisation (code) a coordinator belongs to
    programmes: tuple[str, ...] = ()  # programme scopes (codes); their villages are in ``scope``

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def covers_village(self, village_code: str) -> bool:
        """Whether the user's scope includes the village (admins: every village)."""
        return self.is_admin or any(within(s.area_code, village_code) for s in self.scope)

    def covers_posyandu(self, posyandu: Posyandu) -> bool:
        if self.is_admin:
            return True
        return any(
            within(s.area_code, posyandu.village_code) and (s.posyandu_id is None or s.posyandu_id == posyandu.id)
            for s in self.scope
        )

    @property
    def home_village(self) -> str | None:
        """The village of a village-level role (kader, bidan, perangkat desa)."""
        villages = [s.area_code for s in self.scope if s.area_code.count(".") == 3]
        return villages[0] if villages else None


class Invitation(Model):
    code: str
    role: Role
    scope: tuple[ScopeEntry, ...]
    created_by: int | None
    created_at: datetime
    expires_at: datetime
    max_uses: int
    uses: int

    def usable(self, now: datetime) -> bool:
        return self.uses < self.max_uses and now < self.expires_at


class AuditEntry(Model):
    id: int
    at: datetime
    actor_id: int | None
    actor_role: str | None
    action: str
    subject: str
    details: dict[str, Any]
