from datetime import timedelta

from domain.models import ScopeEntry
from domain.roles import Role
from storage.users import Outcome, normalise_code

VILLAGE = "32.04.12.2001"


async def kader_code(storage, posyandu_id, **kwargs):
    scope = [ScopeEntry(area_code=VILLAGE, posyandu_id=posyandu_id)]
    return (await storage.users.create_invitations(Role.KADER, scope, **kwargs))[0]


async def test_good_code_binds_role_village_and_posyandu(storage, posyandu_ids):
    code = await kader_code(storage, posyandu_ids["Mawar"])
    result = await storage.users.register(1001, "Siti Aminah", code.lower()[:4] + " " + code[4:])
    assert result.outcome is Outcome.REGISTERED
    user = result.user
    assert user.role is Role.KADER and user.home_village == VILLAGE
    assert user.scope == (ScopeEntry(area_code=VILLAGE, posyandu_id=posyandu_ids["Mawar"]),)
    assert (await storage.audit.recent(1))[0].action == "register"


async def test_wrong_code(storage):
    assert (await storage.users.register(1001, "Siti", "NOPE1234")).outcome is Outcome.UNKNOWN


async def test_used_code(storage, posyandu_ids):
    code = await kader_code(storage, posyandu_ids["Mawar"])
    assert (await storage.users.register(1001, "Siti", code)).outcome is Outcome.REGISTERED
    assert (await storage.users.register(1002, "Ani", code)).outcome is Outcome.USED


async def test_expired_code(storage, clock, posyandu_ids):
    code = await kader_code(storage, posyandu_ids["Mawar"], days=2)
    clock.advance(days=2, seconds=1)
    assert (await storage.users.register(1001, "Siti", code)).outcome is Outcome.EXPIRED


async def test_already_registered(storage, posyandu_ids):
    first, second = [await kader_code(storage, posyandu_ids["Mawar"]) for _ in range(2)]
    await storage.users.register(1001, "Siti", first)
    assert (await storage.users.register(1001, "Siti", second)).outcome is Outcome.ALREADY


async def test_more_than_five_wrong_codes_in_an_hour_are_refused(storage, clock, posyandu_ids):
    good = await kader_code(storage, posyandu_ids["Mawar"])
    for _ in range(5):
        assert (await storage.users.register(1001, "Siti", "WRONG123")).outcome is Outcome.UNKNOWN
        clock.advance(minutes=5)
    refused = await storage.users.register(1001, "Siti", good)  # even a good code, for the rest of the hour
    assert refused.outcome is Outcome.LIMITED
    assert refused.retry_at - clock.now() == timedelta(minutes=35)
    assert (await storage.users.register(1002, "Ani", "WRONG123")).outcome is Outcome.UNKNOWN  # others are not
    clock.advance(minutes=36)
    assert (await storage.users.register(1001, "Siti", good)).outcome is Outcome.REGISTERED


async def test_coordinator_scope_by_regency_follows_new_villages(storage, posyandu_ids):
    [code] = await storage.users.create_invitations(Role.KOORDINATOR, [ScopeEntry(area_code="32.04")])
    user = (await storage.users.register(2001, "Budi", code)).user
    assert user.covers_village("32.04.12.2001") and user.covers_village("32.04.99.2001")
    assert not user.covers_village("53.71.01.1001")


async def test_deactivated_user_is_not_found_and_can_be_invited_again(storage, posyandu_ids):
    code, again = [await kader_code(storage, posyandu_ids["Mawar"]) for _ in range(2)]
    await storage.users.register(1001, "Siti", code)
    assert await storage.users.deactivate(1001)
    assert await storage.users.get(1001) is None
    assert (await storage.users.register(1001, "Siti", again)).outcome is Outcome.REGISTERED


async def test_users_in_area(storage, posyandu_ids):
    await storage.users.register(1001, "Siti", await kader_code(storage, posyandu_ids["Mawar"]))
    [code] = await storage.users.create_invitations(Role.PERANGKAT_DESA, [ScopeEntry(area_code=VILLAGE)])
    await storage.users.register(3001, "Pak Kades", code)
    kader = await storage.users.in_area(VILLAGE, {Role.KADER})
    assert [u.telegram_id for u in kader] == [1001]
    assert {u.telegram_id for u in await storage.users.in_area("32.04", {Role.KADER, Role.PERANGKAT_DESA})} == {
        1001,
        3001,
    }


def test_code_normalisation():
    assert normalise_code(" kx7p-2mqa ") == "KX7P2MQA"
