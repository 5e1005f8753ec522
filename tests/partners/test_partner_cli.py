"""The partner, programme and targets commands, as an admin uses them."""

from tests.cli.test_cli import CSV, run, write

TARGETS = """programme,indicator,village,kind,month,value
sehat,partisipasi_d_s,,baseline,2026-01,60
sehat,partisipasi_d_s,,target,2026-12,85
sehat,partisipasi_d_s,32.04.12.2001,target,2026-06,75
"""


def setup(env, capsys):
    assert run(capsys, "villages", "import", write(env / "v.csv", CSV))[0] == 0
    assert run(capsys, "partners", "add", "baznas", "--type", "civil_society", "--name", "BAZNAS")[0] == 0
    assert run(capsys, "programmes", "add", "sehat", "--name", "Desa Sehat", "--form", "posyandu_bulanan")[0] == 0
    assert run(capsys, "programmes", "join", "sehat", "32.04.12.2001", "--start", "2026-01")[0] == 0
    assert run(capsys, "partners", "role", "baznas", "32.04.12.2001", "donatur")[0] == 0


def test_partners_programmes_roles_and_a_programme_coordinator(env, capsys):
    setup(env, capsys)
    status, out, _ = run(capsys, "partners", "list")
    assert out.splitlines() == ["baznas\tcivil_society\tBAZNAS", "  baznas\t32.04.12.2001\tdonatur\t*"]
    assert run(capsys, "programmes", "list")[1].splitlines() == [
        "sehat\tDesa Sehat\tposyandu_bulanan",
        "  32.04.12.2001\tfrom 2026-01",
    ]
    status, out, err = run(capsys, "invite", "--role", "koordinator", "--partner", "baznas", "--programme", "sehat")
    assert status == 0 and len(out.split()) == 1
    status, _, err = run(capsys, "invite", "--role", "bidan", "--village", "32.04.12.2001", "--partner", "baznas")
    assert status == 1 and "only a koordinator" in err
    status, _, err = run(capsys, "partners", "role", "baznas", "32.04.12.2001", "donatur")
    assert status == 0 and "already added" in err
    status, _, err = run(capsys, "programmes", "join", "miskin", "32.04.12.2001", "--start", "2026-01")
    assert status == 1 and "programme miskin is not known" in err
    status, _, err = run(capsys, "programmes", "add", "x", "--name", "X", "--form", "rumah_tangga")
    assert status == 1 and "not a report form: rumah_tangga" in err


def test_targets_import_all_or_nothing_with_line_numbers(env, capsys):
    setup(env, capsys)
    bad = TARGETS + "sehat,partisipasi_d_s,53.71.01.1001,target,2026-12,80\nsehat,nope,,target,2026-12,1\n"
    status, _, err = run(capsys, "targets", "import", write(env / "bad.csv", bad))
    assert status == 1
    assert "line 5: village 53.71.01.1001 is not in programme sehat" in err
    assert "line 6: indicator 'nope' is not in a form of programme sehat" in err
    assert "2 bad row(s); nothing was imported" in err
    assert run(capsys, "targets", "list")[1] == ""
    status, _, err = run(capsys, "targets", "import", write(env / "t.csv", TARGETS))
    assert status == 0 and "3 baselines and targets imported" in err
    assert run(capsys, "targets", "list")[1].splitlines() == [
        "sehat\tpartisipasi_d_s\t*\tbaseline\t2026-01\t0.6",
        "sehat\tpartisipasi_d_s\t*\ttarget\t2026-12\t0.85",
        "sehat\tpartisipasi_d_s\t32.04.12.2001\ttarget\t2026-06\t0.75",
    ]
    # a new baseline replaces the old one; a target of the same month is updated
    again = "programme,indicator,village,kind,month,value\nsehat,partisipasi_d_s,,baseline,2026-02,62\n"
    assert run(capsys, "targets", "import", write(env / "t2.csv", again))[0] == 0
    assert "sehat\tpartisipasi_d_s\t*\tbaseline\t2026-02\t0.62" in run(capsys, "targets", "list")[1]
    assert "2026-01" not in run(capsys, "targets", "list")[1]
