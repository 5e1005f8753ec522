"""What handlers and jobs need, built once at start: settings, storage, forms, clock."""
from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from domain.clock import Clock
from domain.forms import FormSpec
from domain.roles import Role
from runtime.settings import Settings
from storage import Storage


@dataclass
class Services:
    settings: Settings
    storage: Storage
    forms: dict[str, FormSpec]
    clock: Clock
    extras: dict = field(default_factory=dict)

    @property
    def default_zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.default_timezone)

    def report_forms(self, role: Role) -> list[FormSpec]:
        return [f for f in self.forms.values() if f.kind == "report" and role in f.roles]

    def household_form(self) -> FormSpec | None:
        return next((f for f in self.forms.values() if f.kind == "household"), None)
