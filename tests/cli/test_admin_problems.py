"""AdminProblem: a catalogue key and its parameters, in English on the command line (the same
text as ever) and in the person's language in the admin chat commands."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from domain.problems import AdminProblem
from domain.roles import Role
from domain.texts import catalogue, placeholders
from features.partners.service import (
    assign_coordinator,
    invitation_partner,
    join,
    leave,
    save_partner,
    save_programme,
    set_role,
)
from features.people.service import invitation_scope
from tests.partners.support import SUKAMAJU, forms, person, setup_alliance
from tests.support.harness import ADMIN_ID

REPO = Path(__file__).resolve().parents[2]
TYPES = "government, academia, civil_society, community, private_sector, international"
ROLES = (
    "inisiator, advokator, katalisator, fasilitator, donatur, sumber_daya, penggerak, dinamisator, "
    "komunikator, motivator, pembimbing, pengembang"
)

# What the command line said before the texts moved to the catalogues, word for word.
PROBLEMS = [
    (
        lambda s: invitation_scope(s, Role.ADMIN, [SUKAMAJU]),
        "an admin invitation covers everything: give no village, regency or posyandu",
    ),
    (lambda s: invitation_scope(s, Role.BIDAN, []), "a bidan invitation needs exactly one --village"),
    (
        lambda s: invitation_scope(s, Role.KOORDINATOR, []),
        "a koordinator invitation needs --village (several allowed) or --regency, no posyandu",
    ),
    (lambda s: invitation_scope(s, Role.KOORDINATOR, ["99.99"]), "area 99.99 is not known; import the villages first"),
    (
        lambda s: invitation_scope(s, Role.BIDAN, ["99.99.99.2999"]),
        "village 99.99.99.2999 is not known; import the villages first",
    ),
    (
        lambda s: invitation_scope(s, Role.BIDAN, [SUKAMAJU], posyandu_ids=[1]),
        "a bidan covers the whole village: give no posyandu",
    ),
    (
        lambda s: invitation_scope(s, Role.KADER, [SUKAMAJU]),
        "a kader invitation needs --posyandu (the id printed by 'posyandu add')",
    ),
    (
        lambda s: invitation_scope(s, Role.KADER, [SUKAMAJU], posyandu_ids=[998, 999]),
        "posyandu 998, 999 is not in village 32.04.12.2001",
    ),
    (
        lambda s: save_partner(s, "Bad Code!", "civil_society", "X"),
        "the partner code must be 1-20 of a-z, 0-9, _ and -, not 'bad code!'",
    ),
    (lambda s: save_partner(s, "ok", "civil_society", "  "), "the name must be 1 to 100 characters"),
    (lambda s: save_partner(s, "ok", "nope", "X"), f"type must be one of {TYPES}"),
    (lambda s: save_programme(s, forms(), "x", "X", ["rumah_tangga"]), "not a report form: rumah_tangga"),
    (
        lambda s: save_programme(s, forms(), "b@d", "X"),
        "the programme code must be 1-20 of a-z, 0-9, _ and -, not 'b@d'",
    ),
    (lambda s: join(s, "nope", SUKAMAJU, "2026-01"), "programme nope is not known"),
    (lambda s: join(s, "sehat", SUKAMAJU, "2026-13"), "the start month must be YYYY-MM, not '2026-13'"),
    (lambda s: leave(s, "miskin", "32.04.12.2002"), "village 32.04.12.2002 is not in programme miskin"),
    (lambda s: set_role(s, "baznas", SUKAMAJU, "sponsor"), f"role must be one of {ROLES}"),
    (lambda s: set_role(s, "nope", SUKAMAJU, "donatur"), "partner nope is not known"),
    (
        lambda s: set_role(s, "baznas", "32.04.12.9999", "donatur"),
        "village 32.04.12.9999 is not known; import the villages first",
    ),
    (lambda s: assign_coordinator(s, 424242, "baznas"), "424242 is not an active koordinator"),
    (lambda s: assign_coordinator(s, 2001, None, ["sehat"]), "a programme scope needs a partner"),
    (lambda s: invitation_partner(s, Role.KOORDINATOR, None, "sehat"), "--programme needs --partner"),
    (lambda s: invitation_partner(s, Role.BIDAN, "baznas", None), "only a koordinator belongs to a partner"),
]


@pytest.fixture
async def alliance(storage, posyandu_ids):
    await setup_alliance(storage)
    await person(storage, 2001, Role.KOORDINATOR, "32.04")


@pytest.mark.parametrize("call,english", PROBLEMS)
async def test_each_problem_in_english_as_before_and_in_indonesian(storage, alliance, call, english):
    with pytest.raises(AdminProblem) as caught:
        await call(storage)
    problem = caught.value
    assert str(problem) == problem.plain("en") == english
    assert problem.key.startswith("admin.")
    indonesian = problem.text("id")
    assert indonesian and indonesian != english
    assert problem.text("en") == english.replace("&", "&amp;")


def test_the_command_line_text_is_plain_and_the_chat_text_escaped():
    problem = AdminProblem("admin.partner_unknown", code="<b>&")
    assert str(problem) == "partner <b>& is not known"
    assert problem.text("id") == "Mitra &lt;b&gt;&amp; tidak dikenal."
    assert problem.text("xx") == problem.text("id")


def _admin_problems():
    for path in sorted((REPO / "features").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "AdminProblem":
                yield f"{path.relative_to(REPO)}:{node.lineno}", node


def test_every_admin_problem_is_a_catalogue_key_with_its_parameters():
    found = list(_admin_problems())
    assert len(found) >= 20
    for where, call in found:
        assert call.args, where
        first = call.args[0]
        for key in (first.body, first.orelse) if isinstance(first, ast.IfExp) else (first,):
            assert isinstance(key, ast.Constant) and key.value.startswith("admin."), where
            for lang in ("id", "en"):
                assert placeholders(catalogue(lang)[key.value]) == {k.arg for k in call.keywords}, where


# -- in the chat ------------------------------------------------------------------------------------
async def test_the_admin_gets_the_problem_in_their_language(bot, server, storage):
    admin = server.user(ADMIN_ID, "Admin")
    admin.send("/undang bidan 99.99.99.2999")
    await admin.await_text("Tidak bisa: Desa 99.99.99.2999 tidak dikenal")
    admin.send(f"/mitra peran nope {SUKAMAJU} donatur")
    await admin.await_text("Tidak bisa: Mitra nope tidak dikenal")
    admin.send("/mitra formulir nope posyandu_bulanan")
    await admin.await_text("Tidak bisa: Program nope tidak dikenal")
    await storage.users.set_language(ADMIN_ID, "en")
    admin.send(f"/mitra peran nope {SUKAMAJU} donatur")
    await admin.await_text("Cannot do that: partner nope is not known")
