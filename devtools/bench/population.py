"""Villages, posyandu and registered kader for the benchmarks, made through the storage API
(invitations and registration, as the bot does). Shared by bench_conversation and bench_reminders."""

from __future__ import annotations

from dataclasses import dataclass

from domain.imports import VillageRow
from domain.models import ScopeEntry
from domain.roles import Role
from storage import Storage

FIRST_ID = 100_000
PER_POSYANDU = 5
POSYANDU_PER_VILLAGE = 4


@dataclass(frozen=True)
class Kader:
    telegram_id: int
    posyandu_id: int
    village_code: str


def village_rows(count: int) -> list[VillageRow]:
    """``count`` villages in Jawa Barat (WIB), 100 to a district."""
    return [
        VillageRow(
            f"32.04.{n // 100 + 10:02d}.{2001 + n % 100:04d}",
            f"Desa {n + 1}",
            f"Kecamatan {n // 100 + 1}",
            "Kabupaten Bandung",
            "Jawa Barat",
            "Asia/Jakarta",
        )
        for n in range(count)
    ]


async def populate(storage: Storage, people: int) -> list[Kader]:
    """``people`` kader, five to a posyandu, four posyandu to a village."""
    posyandu_count = -(-people // PER_POSYANDU)
    villages = village_rows(-(-posyandu_count // POSYANDU_PER_VILLAGE))
    await storage.areas.import_villages(villages)
    kader: list[Kader] = []
    for n in range(posyandu_count):
        village = villages[n // POSYANDU_PER_VILLAGE].code
        place = await storage.areas.add_posyandu(village, f"Posyandu {n + 1}")
        count = min(PER_POSYANDU, people - len(kader))
        codes = await storage.users.create_invitations(
            Role.KADER, [ScopeEntry(area_code=village, posyandu_id=place.id)], count=count
        )
        for code in codes:
            telegram_id = FIRST_ID + len(kader)
            registration = await storage.users.register(telegram_id, f"Kader {len(kader) + 1}", code)
            assert registration.user is not None, registration
            kader.append(Kader(telegram_id, place.id, village))
    return kader
