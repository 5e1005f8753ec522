"""What handlers and jobs need, built once at start: settings, storage, forms, clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from domain.clock import Clock, SystemClock, local_today
from domain.forms import FormSpec, load_forms
from domain.roles import Role
from runtime.settings import Settings
from storage import DataKeyError, Storage


@dataclass
class Services:
    settings: Settings
    storage: Storage
    forms: dict[str, FormSpec]
    clock: Clock

    def __post_init__(self) -> None:
        self.storage.protect(sensitive_questions(self.forms))  # their answers only ever stored encrypted

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


def sensitive_questions(forms: Mapping[str, FormSpec]) -> frozenset[str]:
    """The ids of the report forms' ``sensitive: true`` questions (the household form's are
    kept by the household storage, which encrypts all of a draft)."""
    return frozenset(q.id for f in forms.values() if f.kind != "household" for q in f.questions if q.sensitive)


def require_key_for(forms: Mapping[str, FormSpec], data_key: str | None) -> None:
    """A form with sensitive questions is not loaded without DATA_KEY: one clear line."""
    if data_key:
        return
    for form in forms.values():
        questions = [q.id for q in form.questions if q.sensitive]
        if questions and form.kind != "household":  # without a key the household feature is off
            raise DataKeyError(
                f"form {form.id} has sensitive questions ({', '.join(questions)}), which are stored only "
                "encrypted: set DATA_KEY (make one with: python bot.py households new-key)"
            )


async def open_services(settings: Settings, clock: Clock | None = None, *, serving: bool = False) -> Services:
    """Forms are checked before the database is touched: a broken form stops the start. With a
    key, the key is checked against the stored data and older data brought up to date
    (storage/keys.py). The bot itself (``serving``) also needs the key for a form with
    sensitive questions and for a database that holds data encrypted with one (sessions are
    read on every update); other commands never store answers and run without it."""
    forms = load_forms(settings.forms_dir)
    clock = clock or SystemClock()
    data_key = settings.data_key.get_secret_value() if settings.data_key else None
    if serving:
        require_key_for(forms, data_key)
    storage = await Storage.open(settings.database_path, clock, data_key=data_key)
    try:
        services = Services(settings=settings, storage=storage, forms=forms, clock=clock)
        if storage.cipher is not None:
            await storage.keys.check()
        elif serving and await storage.keys.fingerprint() is not None:
            raise DataKeyError(
                "the database holds data encrypted with a DATA_KEY: set DATA_KEY to that key (see docs/PRIVACY.md)"
            )
    except BaseException:
        await storage.close()
        raise
    return services
