"""Partners, programmes and a coordinator's scope "the villages my organisation supports in
programme P", which follows changes of roles and memberships."""

import pytest

from domain.problems import AdminProblem
from domain.roles import Role
from features.exporting.source import exportable_villages
from features.partners.service import assign_coordinator, join, leave, save_partner, set_role
from tests.partners.support import CIBIRU, OEBOBO, SENTANI, SUKAMAJU, person, setup_alliance

pytestmark = pytest.mark.usefixtures("posyandu_ids")


def villages(user):
    return sorted(s.area_code for s in user.scope)


async def test_programme_scope_is_partner_roles_within_the_programme(storage):
    await setup_alliance(storage)
    sehat = await person(storage, 501, Role.KOORDINATOR, partner=("baznas", "sehat"))
    assert sehat.partner == "baznas" and sehat.programmes == ("sehat",)
    assert villages(sehat) == [SUKAMAJU, OEBOBO]  # not Cibiru: Unpad's village
    miskin = await person(storage, 502, Role.KOORDINATOR, partner=("baznas", "miskin"))
    assert villages(miskin) == [SUKAMAJU]  # Oebobo's role is for 'sehat' only; Sentani has no Baznas role
    assert [v.code for v in await exportable_villages(storage, sehat)] == [SUKAMAJU, OEBOBO]


async def test_scope_follows_roles_and_memberships(storage):
    await setup_alliance(storage)
    await person(storage, 501, Role.KOORDINATOR, partner=("baznas", "miskin"))
    await set_role(storage, "baznas", SENTANI, "donatur")  # a new role: the village comes into scope
    assert villages(await storage.users.get(501)) == [SUKAMAJU, SENTANI]
    await leave(storage, "miskin", SUKAMAJU)  # leaves the programme: out of scope
    assert villages(await storage.users.get(501)) == [SENTANI]
    await set_role(storage, "baznas", SENTANI, "donatur", remove=True)
    assert villages(await storage.users.get(501)) == []
    await join(storage, "miskin", SUKAMAJU, "2026-05")
    assert villages(await storage.users.get(501)) == [SUKAMAJU]
    people = {u.telegram_id: u for u in await storage.reminders.people()}  # reminders and digests too
    assert villages(people[501]) == [SUKAMAJU]


async def test_assigning_an_existing_coordinator_keeps_listed_villages(storage):
    await setup_alliance(storage)
    await person(storage, 503, Role.KOORDINATOR, CIBIRU)
    await assign_coordinator(storage, 503, "baznas", ["sehat"])
    user = await storage.users.get(503)
    assert (user.partner, user.programmes, villages(user)) == ("baznas", ("sehat",), [SUKAMAJU, CIBIRU, OEBOBO])
    await assign_coordinator(storage, 503, None)
    user = await storage.users.get(503)
    assert (user.partner, user.programmes, villages(user)) == (None, (), [CIBIRU])
    with pytest.raises(AdminProblem, match="not an active koordinator"):
        await assign_coordinator(storage, 999, "baznas")


async def test_bad_requests_are_refused_in_plain_words(storage):
    await setup_alliance(storage)
    with pytest.raises(AdminProblem, match="type must be one of"):
        await save_partner(storage, "x", "bank", "X")
    with pytest.raises(AdminProblem, match="role must be one of"):
        await set_role(storage, "baznas", SUKAMAJU, "sponsor")
    with pytest.raises(AdminProblem, match="partner nope is not known"):
        await set_role(storage, "nope", SUKAMAJU, "donatur")
    with pytest.raises(AdminProblem, match=r"village 32\.04\.12\.9999 is not known"):
        await join(storage, "sehat", "32.04.12.9999", "2026-01")
    with pytest.raises(AdminProblem, match="YYYY-MM"):
        await join(storage, "sehat", SUKAMAJU, "Jan 2026")
    entries = await storage.audit.recent(limit=100)
    assert {"partner.save", "programme.save", "programme.join", "partner.role.add"} <= {e.action for e in entries}
