"""Settings from the environment: defaults, derived values and one-line errors that never echo the value."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from runtime.settings import REPO_DIR, Settings, SettingsError, load_settings

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No setting leaks in from the machine running the tests, nor from a .env in the working directory."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def load(**values) -> Settings:
    return load_settings(_env_file=None, **values)


def error_of(**values) -> str:
    with pytest.raises(SettingsError) as caught:
        load(**values)
    return str(caught.value)


def test_defaults():
    settings = load()
    assert settings.telegram_bot_token is None
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.telegram_api_file_url is None
    assert settings.file_url == "https://api.telegram.org/file/bot"
    assert settings.database_path == Path("./data/lapordesa.sqlite3")
    assert settings.default_timezone == "Asia/Jakarta"
    assert settings.admin_telegram_ids == ()
    assert settings.forms_dir == REPO_DIR / "forms"
    assert settings.data_key is None
    assert settings.quiet_window is not None
    assert settings.digest_weekday == 1
    assert settings.digest_time == "07:00"
    assert settings.reminder_check_minutes == 15
    assert settings.backup_dir == Path("./data/backups")
    assert settings.backup_keep == 14
    assert settings.backup_time == "02:00"
    assert settings.log_level == "INFO"


def test_missing_token_is_reported_when_it_is_needed():
    with pytest.raises(SettingsError) as caught:
        load().token()
    assert "TELEGRAM_BOT_TOKEN" in str(caught.value)


def test_token():
    assert load(telegram_bot_token=TOKEN).token() == TOKEN
    assert load(telegram_bot_token=f"  {TOKEN}\n").token() == TOKEN
    assert load(telegram_bot_token="123:abc-DEF_x").token() == "123:abc-DEF_x"
    assert TOKEN not in repr(load(telegram_bot_token=TOKEN))


@pytest.mark.parametrize("blank", ["", "   ", "\n"])
def test_blank_secrets_and_file_url_mean_unset(blank):
    settings = load(telegram_bot_token=blank, data_key=blank, telegram_api_file_url=blank)
    assert settings.telegram_bot_token is None and settings.data_key is None
    assert settings.telegram_api_file_url is None


@pytest.mark.parametrize(
    "base,file_url",
    [
        ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot"),
        ("http://127.0.0.1:8081/bot/", "http://127.0.0.1:8081/file/bot"),
        ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
        ("http://localhost:8081", "http://localhost:8081/file/bot"),
        ("http://localhost:8081/", "http://localhost:8081/file/bot"),
        ("https://proxy.example/tg/bot", "https://proxy.example/tg/file/bot"),
        ("https://proxy.example/robot", "https://proxy.example/robot/file/bot"),
    ],
)
def test_file_url_is_derived_from_the_base_url(base, file_url):
    assert load(telegram_api_base_url=base).file_url == file_url


def test_an_explicit_file_url_wins():
    settings = load(
        telegram_api_base_url="http://127.0.0.1:8081/bot", telegram_api_file_url="http://files.local/file/bot"
    )
    assert settings.file_url == "http://files.local/file/bot"


@pytest.mark.parametrize(
    "text,ids",
    [
        ("111", (111,)),
        ("111,222", (111, 222)),
        (" 111 , 222 ,333 ", (111, 222, 333)),
        ("111,,222,", (111, 222)),
        ("-100123", (-100123,)),
        ("", ()),
        ("  ", ()),
    ],
)
def test_admin_ids(text, ids):
    assert load(admin_telegram_ids=text).admin_telegram_ids == ids


def test_admin_ids_as_a_tuple():
    assert load(admin_telegram_ids=(5, 6)).admin_telegram_ids == (5, 6)


def test_from_the_environment(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", " 111, 222 ,333")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot")
    monkeypatch.setenv("DIGEST_WEEKDAY", "0")
    monkeypatch.setenv("QUIET_HOURS", "22:00-05:00")
    monkeypatch.setenv("DATA_KEY", "  ")
    settings = load()
    assert settings.token() == TOKEN
    assert settings.admin_telegram_ids == (111, 222, 333)
    assert settings.file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.digest_weekday == 0
    assert settings.quiet_hours == "22:00-05:00"
    assert settings.data_key is None


def test_from_an_env_file(tmp_path):
    env = tmp_path / "custom.env"
    env.write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nADMIN_TELEGRAM_IDS=7, 8\nUNKNOWN_SETTING=ignored\n", encoding="utf-8")
    settings = load_settings(_env_file=env)
    assert settings.token() == TOKEN
    assert settings.admin_telegram_ids == (7, 8)


def test_an_environment_error_names_the_variable(monkeypatch):
    monkeypatch.setenv("DIGEST_TIME", "25:61")
    message = error_of()
    assert message.startswith("Setting DIGEST_TIME is invalid")
    assert "25:61" not in message


def test_boundaries():
    assert load(digest_weekday=0).digest_weekday == 0
    assert load(digest_weekday=6).digest_weekday == 6
    assert load(reminder_check_minutes=1).reminder_check_minutes == 1
    assert load(reminder_check_minutes=720).reminder_check_minutes == 720
    assert load(digest_time="23:59").digest_time == "23:59"
    assert load(backup_time="00:00").backup_time == "00:00"
    assert load(default_timezone="Asia/Jayapura").default_timezone == "Asia/Jayapura"
    assert load(backup_keep=1).backup_keep == 1


BAD = [
    ("telegram_bot_token", "notatoken-SECRETVALUE"),
    ("telegram_bot_token", "123456:has spaces SECRETVALUE"),
    ("telegram_bot_token", "SECRETVALUE:123456"),
    ("telegram_api_base_url", "ftp://SECRETVALUE/bot"),
    ("telegram_api_base_url", "SECRETVALUE"),
    ("telegram_api_file_url", "file:///SECRETVALUE"),
    ("default_timezone", "Mars/SECRETVALUE"),
    ("admin_telegram_ids", "111,SECRETVALUE"),
    ("admin_telegram_ids", "111;222"),
    ("admin_telegram_ids", "1.5"),
    ("quiet_hours", "SECRETVALUE"),
    ("quiet_hours", "25:00-06:00"),
    ("digest_weekday", 987654),
    ("digest_weekday", -1),
    ("digest_time", "7:00"),
    ("digest_time", "24:00"),
    ("digest_time", "SECRETVALUE"),
    ("backup_time", "02:60"),
    ("reminder_check_minutes", 987654),
    ("reminder_check_minutes", 0),
    ("backup_keep", "SECRETVALUE"),
    ("backup_keep", 0),
    ("log_level", 987654),
    ("database_path", 987654),
]


@pytest.mark.parametrize("name,value", BAD)
def test_errors_name_the_setting_in_one_line_without_the_value(name, value):
    message = error_of(**{name: value})
    assert message.startswith(f"Setting {name.upper()} is invalid: ")
    assert "\n" not in message
    assert "SECRETVALUE" not in message and "987654" not in message
    if len(str(value)) >= 4:  # (a short value such as 0 may well be the limit the message names)
        assert str(value) not in message
    assert message.removeprefix(f"Setting {name.upper()} is invalid: ").strip()


def test_only_the_first_bad_setting_is_reported():
    message = error_of(digest_time="nope", backup_time="nope")
    assert message.count("Setting ") == 1


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(
        [
            "telegram_bot_token",
            "telegram_api_base_url",
            "default_timezone",
            "admin_telegram_ids",
            "digest_time",
            "backup_time",
            "quiet_hours",
            "backup_keep",
            "digest_weekday",
        ]
    ),
    text=st.text(max_size=30),
)
def test_a_random_value_is_accepted_or_reported_without_echoing_it(name, text):
    value = f"QQ{text}ZZ"  # never a valid value for these settings
    with pytest.raises(SettingsError) as caught:
        load(**{name: value})
    message = str(caught.value)
    assert message.startswith(f"Setting {name.upper()} is invalid: ")
    assert "\n" not in message
    assert value not in message
