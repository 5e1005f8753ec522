"""Partner organisations, their types and the roles they play in a village (Ministry of Health
partnership guide, see ../shared/domain/partners.md). Pure: no Telegram, no SQL."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

# The guide's six partner types: id -> (Indonesian, English).
PARTNER_TYPES: dict[str, tuple[str, str]] = {
    "government": ("Pemerintah", "Government"),
    "academia": ("Akademisi", "Academia"),
    "civil_society": ("Organisasi masyarakat sipil", "Civil society organisation"),
    "community": ("Masyarakat", "Community"),
    "private_sector": ("Swasta / CSR", "Private sector / CSR"),
    "international": ("Organisasi internasional / mitra pembangunan", "International / development partner"),
}

# The twelve roles a partner may play (Peran Mitra): id -> (Indonesian, English).
PARTNER_ROLES: dict[str, tuple[str, str]] = {
    "inisiator": ("Inisiator", "Initiator"),
    "advokator": ("Advokator", "Advocate"),
    "katalisator": ("Katalisator", "Catalyst"),
    "fasilitator": ("Fasilitator", "Facilitator"),
    "donatur": ("Donatur", "Donor"),
    "sumber_daya": ("Pendukung sumber daya", "Resource supporter"),
    "penggerak": ("Penggerak masyarakat", "Community mobiliser"),
    "dinamisator": ("Dinamisator", "Dynamiser"),
    "komunikator": ("Komunikator", "Communicator"),
    "motivator": ("Motivator", "Motivator"),
    "pembimbing": ("Pembimbing teknis", "Technical mentor"),
    "pengembang": ("Pengembang model promosi kesehatan", "Health-promotion model developer"),
}

_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,19}$")


def is_short_code(code: str) -> bool:
    """Partner and programme codes: 1-20 of a-z, 0-9, '_' and '-', starting with a letter or digit."""
    return bool(_CODE.match(code))


def label(table: dict[str, tuple[str, str]], key: str, language: str = "id") -> str:
    names = table.get(key)
    return key if names is None else names[1 if language == "en" else 0]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Partner(_Model):
    id: int
    code: str
    name: str
    type: str


class Programme(_Model):
    id: int
    code: str
    name: str
    forms: tuple[str, ...] = ()


class Membership(_Model):
    programme_code: str
    village_code: str
    start_month: str


class PartnerRole(_Model):
    """Partner ``partner_code`` plays ``role`` in the village (in one programme, or all: None)."""

    partner_code: str
    partner_name: str
    partner_type: str
    village_code: str
    role: str
    programme_code: str | None = None
