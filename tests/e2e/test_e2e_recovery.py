"""Faults at start and around a running bot, through `python bot.py` as processes: one bot per
database (a second `run` and a `restore` are refused while it runs), a revoked token, and a Bot
API that refuses the command menus."""

from __future__ import annotations

import sqlite3

from tests.e2e.conftest import TOKEN, register, wait_until


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def test_a_second_run_and_a_restore_are_refused_while_the_bot_runs(world, make_bot, server):
    bot = make_bot()
    backups = world.tmp / "manual"
    [backup] = world.cli("backup", backups).stdout.split()  # a backup beside the bot is fine
    world.cli("posyandu", "add", "--village", "32.04.12.2001", "--name", "Kenanga")

    second = world.cli("run", check=False)
    assert second.returncode == 2
    assert "in use by a running bot" in one_line(second.stderr) and str(bot.pid) in second.stderr
    assert TOKEN not in second.stderr + second.stdout

    restore = world.cli("restore", backup, "--yes", check=False)
    assert restore.returncode == 2
    assert "in use by a running bot" in restore.stderr.splitlines()[-1] and "Traceback" not in restore.stderr
    assert world.scalar("SELECT COUNT(*) FROM posyandu WHERE name = 'Kenanga'") == 1  # nothing changed
    assert not (world.tmp / "data" / "backups" / "before-restore").exists()

    siti = server.user(1001, "Siti")
    register(siti, world.codes[0])  # the running bot was not disturbed
    bot.stop()
    world.cli("restore", backup, "--yes")  # once it has stopped, the restore goes ahead
    assert world.scalar("SELECT COUNT(*) FROM posyandu WHERE name = 'Kenanga'") == 0
    bot.start(server)  # and the bot starts again on the restored database
    bot.stop()


def test_a_killed_bot_leaves_no_stale_lock(world, make_bot, server):
    bot = make_bot()
    bot.kill()  # SIGKILL: no cleanup runs, the kernel drops the lock with the process
    bot.start(server)
    bot.stop()


def test_a_revoked_token_gives_one_clear_line_and_exit_status_2(world, server):
    server.fail_next("getMe", 401, times=5)  # Telegram's answer to a revoked token: 401 Unauthorized
    result = world.cli("run", check=False)
    assert result.returncode == 2, result.stderr
    line = one_line(result.stderr)
    assert "401" in line and "token" in line and "TELEGRAM_BOT_TOKEN" in line
    secret = TOKEN.split(":", 1)[1]
    assert secret not in result.stderr + result.stdout


def test_the_bot_serves_people_although_the_command_menus_are_refused(world, make_bot, server):
    server.fail_next("setMyCommands", 500, times=10_000)  # as npm telegram-test-api answers
    bot = make_bot()
    siti = server.user(1001, "Siti")
    register(siti, world.codes[0])  # served while the menus are still being tried
    wait_until(lambda: "command menus" in bot.current_log(), timeout=30, what="the log line about the menus")
    bot.stop()
    log = bot.log_text()
    assert log.count("could not set the command menus") == 1, log
    assert "Traceback" not in log
    assert sqlite3.connect(world.database).execute("SELECT COUNT(*) FROM users").fetchone()[0] >= 1
