"""The command line, as an admin uses it."""

import os
import subprocess
import sys

import pytest

from app.cli import main
from runtime.settings import REPO_DIR

CSV = """code,name,district,regency,province,timezone
32.04.12.2001,Sukamaju,Cileunyi,Kabupaten Bandung,Jawa Barat,
53.71.01.1001,Oebobo,Oebobo,Kota Kupang,Nusa Tenggara Timur,WITA
"""


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "ADMIN_", "DATABASE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    return tmp_path


def run(capsys, *args):
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_villages_posyandu_and_invite(env, capsys):
    assert run(capsys, "villages", "import", write(env / "v.csv", CSV))[0] == 0
    status, out, _ = run(capsys, "villages", "list")
    assert "Asia/Jakarta" in out and "Asia/Makassar" in out  # empty timezone derived from the province
    status, out, _ = run(capsys, "posyandu", "add", "--village", "32.04.12.2001", "--name", "Mawar")
    posyandu_id = out.strip()
    assert status == 0 and posyandu_id.isdigit()
    status, out, _ = run(
        capsys, "invite", "--role", "kader", "--village", "32.04.12.2001", "--posyandu", posyandu_id, "--count", "3"
    )
    codes = out.split()
    assert status == 0 and len(codes) == 3 and all(len(c) == 8 for c in codes) and out.count("\n") == 3
    status, out, _ = run(
        capsys,
        "invite",
        "--role",
        "koordinator",
        "--village",
        "32.04.12.2001",
        "--village",
        "53.71.01.1001",
        "--links",
        "--bot-username",
        "LaporDesaBot",
    )
    assert status == 0 and out.strip().endswith(f"https://t.me/LaporDesaBot?start={out.split()[0]}")
    assert run(capsys, "invite", "--role", "koordinator", "--regency", "32.04")[0] == 0


def test_reimport_updates(env, capsys):
    run(capsys, "villages", "import", write(env / "v.csv", CSV))
    status, _, err = run(capsys, "villages", "import", write(env / "v2.csv", CSV.replace("Sukamaju", "Suka Maju")))
    assert status == 0 and "0 villages added, 2 updated" in err
    assert "Suka Maju" in run(capsys, "villages", "list")[1]


@pytest.mark.parametrize(
    "bad_line,problem",
    [
        ("32.04.12,Kota,Cileunyi,Bandung,Jawa Barat,", "not a village code"),
        ("32.04.12.2002,,Cileunyi,Bandung,Jawa Barat,", "name is empty"),
        ("32.04.12.2002,Desa,Cileunyi,Bandung,Jawa Barat,Mars/Base", "timezone"),
        ("32.04.12.2002,Desa,Cileunyi,Bandung", "expected 6 columns"),
        ("32.04.12.2001,Again,Cileunyi,Bandung,Jawa Barat,", "already given on line 2"),
    ],
)
def test_a_bad_row_imports_nothing(env, capsys, bad_line, problem):
    status, _, err = run(capsys, "villages", "import", write(env / "v.csv", CSV + bad_line + "\n"))
    assert status == 1 and "line 4" in err and problem in err and "nothing was imported" in err
    assert run(capsys, "villages", "list")[1] == ""


def test_bad_header(env, capsys):
    status, _, err = run(capsys, "villages", "import", write(env / "v.csv", "kode,nama\n1,2\n"))
    assert status == 1 and "line 1" in err


@pytest.mark.parametrize(
    "args,problem",
    [
        (["--role", "kader", "--village", "32.04.12.2001"], "needs --posyandu"),
        (["--role", "kader", "--village", "32.04.12.2001", "--posyandu", "999"], "not in village"),
        (["--role", "bidan", "--village", "99.01.01.2001"], "not known"),
        (["--role", "koordinator"], "needs --village"),
        (["--role", "kader", "--village", "32.04.12.2001", "--posyandu", "1", "--links"], "username is not known"),
    ],
)
def test_bad_invitations(env, capsys, args, problem):
    run(capsys, "villages", "import", write(env / "v.csv", CSV))
    run(capsys, "posyandu", "add", "--village", "32.04.12.2001", "--name", "Mawar")
    status, out, err = run(capsys, "invite", *args)
    assert status == 1 and out == "" and problem in err


def test_users_list_and_deactivate(env, capsys):
    run(capsys, "villages", "import", write(env / "v.csv", CSV))
    assert run(capsys, "users", "deactivate", "4242")[0] == 1
    status, out, _ = run(capsys, "users", "list")
    assert status == 0 and out == ""


def test_audit_lists_admin_actions(env, capsys):
    run(capsys, "villages", "import", write(env / "v.csv", CSV))
    assert "villages.import" in run(capsys, "audit")[1]


@pytest.mark.parametrize(
    "variable,value,name",
    [
        ("TELEGRAM_BOT_TOKEN", "", "TELEGRAM_BOT_TOKEN is missing"),
        ("TELEGRAM_BOT_TOKEN", "not a token", "TELEGRAM_BOT_TOKEN is invalid"),
        ("TELEGRAM_API_BASE_URL", "ftp://x", "TELEGRAM_API_BASE_URL is invalid"),
        ("DEFAULT_TIMEZONE", "Asia/Nowhere", "DEFAULT_TIMEZONE is invalid"),
        ("ADMIN_TELEGRAM_IDS", "12,abc", "ADMIN_TELEGRAM_IDS is invalid"),
    ],
)
def test_settings_errors_are_one_line_and_exit_2(tmp_path, variable, value, name):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ADMIN_", "DEFAULT_"))}
    env.update({"TELEGRAM_BOT_TOKEN": "123:abc", "DATABASE_PATH": str(tmp_path / "db.sqlite3"), variable: value})
    result = subprocess.run(
        [sys.executable, str(REPO_DIR / "bot.py"), "run"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and name in result.stderr and "Traceback" not in result.stderr
    assert "not a token" not in result.stderr  # the value itself is never echoed


def test_dotenv_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("DEFAULT_TIMEZONE=Nowhere/Land\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ADMIN_", "DEFAULT_"))}
    result = subprocess.run(
        [sys.executable, str(REPO_DIR / "bot.py"), "users", "list"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "DEFAULT_TIMEZONE" in result.stderr
