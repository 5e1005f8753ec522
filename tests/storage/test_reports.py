"""Reading reports back: the latest revision's values, alone or with the posyandu."""

from datetime import timedelta

import pytest

from domain.models import ScopeEntry
from domain.roles import Role
from storage.areas import PosyanduNotFound

VILLAGE = "32.04.12.2001"


async def kader(storage, posyandu_id):
    [code] = await storage.users.create_invitations(
        Role.KADER, [ScopeEntry(area_code=VILLAGE, posyandu_id=posyandu_id)]
    )
    return (await storage.users.register(1001, "Siti", code)).user


async def send(storage, user, posyandu_id, answers):
    draft = await storage.reports.open_draft("uji", posyandu_id, "2026-10", user.telegram_id, prefill=answers)
    await storage.reports.submit(draft, user, VILLAGE, answers)


async def test_latest_values_with_the_posyandu_in_one_read(storage, posyandu_ids):
    mawar = posyandu_ids["Mawar"]
    place, values = await storage.reports.posyandu_with_latest("uji", mawar, "2026-10")
    assert (place.id, place.name, values) == (mawar, "Mawar", None)  # nothing sent yet

    siti = await kader(storage, mawar)
    await send(storage, siti, mawar, {"sasaran": 50, "catatan": None, "layanan": ["timbang"]})
    await send(storage, siti, mawar, {"sasaran": 48, "catatan": "ulang", "layanan": []})  # revision 2
    latest = {"sasaran": 48, "catatan": "ulang", "layanan": []}
    assert await storage.reports.latest("uji", mawar, "2026-10") == latest
    assert (await storage.reports.posyandu_with_latest("uji", mawar, "2026-10"))[1] == latest
    assert (await storage.reports.posyandu_with_latest("uji", mawar, "2026-09"))[1] is None
    assert await storage.reports.latest("uji", posyandu_ids["Melati"], "2026-10") is None


async def test_an_unknown_posyandu_is_refused(storage, posyandu_ids):
    with pytest.raises(PosyanduNotFound):
        await storage.reports.posyandu_with_latest("uji", 999, "2026-10")


async def test_saving_an_answer_moves_the_drafts_updated_at(storage, posyandu_ids, clock):
    siti = await kader(storage, posyandu_ids["Mawar"])
    draft = await storage.reports.open_draft("uji", posyandu_ids["Mawar"], "2026-10", siti.telegram_id)
    clock.set(clock.now() + timedelta(minutes=5))
    await storage.reports.save_answer(draft.id, "sasaran", 50)
    first = (await storage.reports.draft(draft.id)).updated_at
    assert first == clock.now() and first > draft.updated_at
    clock.set(clock.now() + timedelta(minutes=5))
    await storage.reports.save_answer(draft.id, "sasaran", 51)  # the same question again
    assert (await storage.reports.draft(draft.id)).updated_at == clock.now()
