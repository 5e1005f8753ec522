"""What handlers and jobs need, built once at start: settings, storage, forms, clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from domain.clock import Clock, SystemClock, local_today
from domain.forms import FormSpec, load_forms
from domain.roles import Role
from runtime.settings import Settings
from storage import Storage


@dataclass
class Services:
    settings: Settings
    storage: Storage
    forms: dict[str, FormSpec]
    clock: Clock

    @property
    def default_zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.default_timezone)

    async def today_in(self, village_code: str | None) -> date:
        """Today in a village's own time zone (the default zone for an unknown village)."""
        village = await self.storage.areas.village(village_code) if village_code else None
        return local_today(self.clock, village.timezone if village else self.settings.default_timezone)

    def report_forms(self, role: Role) -> list[FormSpec]:
        return [f for f in self.forms.values() if f.kind == "report" and role in f.roles]

    def household_form(self) -> FormSpec | None:
        return next((f for f in self.forms.values() if f.kind == "household"), None)


async def open_services(settings: Settings, clock: Clock | None = None) -> Services:
    """Forms are checked before the database is touched: a broken form stops the start."""
    forms = load_forms(settings.forms_dir)
    clock = clock or SystemClock()
    data_key = settings.data_key.get_secret_value() if settings.data_key else None  # households
    storage = await Storage.open(settings.database_path, clock, data_key=data_key)
    try:
        if storage.households.enabled:  # households: refuse a key that does not open the stored data
            await storage.households.check_key()
    except BaseException:
        await storage.close()
        raise
    return Services(settings=settings, storage=storage, forms=forms, clock=clock)
