"""Every kind of action lands in the audit log, with ids but no names or numbers typed by people,
and `python bot.py audit` prints them."""

import argparse

from domain.models import ScopeEntry
from domain.roles import Role
from features.people.cli import audit_list

VILLAGE = "32.04.12.2001"
NIK = "3204125708900001"


async def test_each_action_is_audited_and_printed(settings, storage, posyandu_ids, capsys):
    mawar = posyandu_ids["Mawar"]
    [kader_code] = await storage.users.create_invitations(
        Role.KADER, [ScopeEntry(area_code=VILLAGE, posyandu_id=mawar)], created_by=9000
    )
    [coord_code] = await storage.users.create_invitations(Role.KOORDINATOR, [ScopeEntry(area_code="32.04")])
    await storage.users.register(1001, "Siti Aminah", NIK)  # a wrong code (a NIK typed by mistake)
    await storage.users.register(1001, "Siti Aminah", kader_code)
    await storage.users.register(2001, "Budi", coord_code)
    siti, budi = await storage.users.get(1001), await storage.users.get(2001)
    for revision in (1, 2):
        draft = await storage.reports.open_draft(
            "posyandu_bulanan",
            mawar,
            "2026-10",
            1001,
            prefill=await storage.reports.latest("posyandu_bulanan", mawar, "2026-10"),
        )
        await storage.reports.submit(draft, siti, VILLAGE, {"balita_sasaran_s": 50 + revision})
    await storage.reports.unlock("posyandu_bulanan", mawar, "2026-10", budi)
    await storage.users.deactivate(1001, actor_id=9000)
    await storage.close()

    assert await audit_list(argparse.Namespace(limit=50, action=None), settings) == 0
    out = capsys.readouterr().out
    for action in (
        "invitation.create",
        "register.failed",
        "register",
        "report.submit",
        "report.revise",
        "report.unlock",
        "user.deactivate",
    ):
        assert f"\t{action}\t" in out, action
    assert NIK not in out and "Siti" not in out and "Aminah" not in out
