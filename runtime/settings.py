"""Settings from the environment or a .env file (pydantic-settings)."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_DIR = Path(__file__).resolve().parent.parent
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


class SettingsError(Exception):
    """One clear line naming the setting that is wrong (never its value)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_api_file_url: str | None = None
    database_path: Path = Path("./data/lapordesa.sqlite3")
    default_timezone: str = "Asia/Jakarta"
    admin_telegram_ids: Annotated[tuple[int, ...], NoDecode] = ()
    forms_dir: Path = REPO_DIR / "forms"
    data_key: SecretStr | None = None
    digest_weekday: int = Field(default=1, ge=0, le=6)  # 0 Sunday ... 6 Saturday
    digest_time: str = "07:00"
    reminder_check_minutes: int = Field(default=15, ge=1, le=720)
    quiet_hours: str = "21:00-06:00"  # local time with no reminders; "off" for none
    backup_dir: Path = Path("./data/backups")
    backup_keep: int = Field(default=14, ge=1)
    backup_time: str = "02:00"
    log_level: str = "INFO"

    @field_validator("telegram_bot_token", "data_key", "telegram_api_file_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN.match(value.get_secret_value().strip()):
            raise ValueError("it must look like 123456:ABC-DEF... (the token BotFather gave)")
        return value

    @field_validator("telegram_api_base_url", "telegram_api_file_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+(/\S*)?$", value):
            raise ValueError("it must be an http:// or https:// URL")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception:
            raise ValueError("it must be a time zone name such as Asia/Jakarta") from None
        return value

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(re.fullmatch(r"-?\d+", p) for p in parts):
                raise ValueError("it must be Telegram user ids separated by commas, e.g. 11111,22222")
            return tuple(int(p) for p in parts)
        return value

    @field_validator("digest_time", "backup_time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("it must be a time written HH:MM")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _window(cls, value: str) -> str:
        value = value.strip().lower()
        if value != "off" and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("it must be HH:MM-HH:MM (e.g. 21:00-06:00) or off")
        return value

    @property
    def quiet_window(self) -> tuple[time, time] | None:
        """The reminders' quiet hours as (start, end) local times; None when switched off."""
        if self.quiet_hours == "off":
            return None
        start, end = (time.fromisoformat(part) for part in self.quiet_hours.split("-"))
        return start, end

    @property
    def file_url(self) -> str:
        """Where files are downloaded: Telegram's /file/bot, or the same for a local server."""
        if self.telegram_api_file_url:
            return self.telegram_api_file_url
        base = self.telegram_api_base_url.rstrip("/")
        return re.sub(r"/bot$", "/file/bot", base) if base.endswith("/bot") else base + "/file/bot"

    def token(self) -> str:
        if self.telegram_bot_token is None:
            raise SettingsError("Setting TELEGRAM_BOT_TOKEN is missing: set it to the token BotFather gave.")
        return self.telegram_bot_token.get_secret_value().strip()


def load_settings(**overrides: Any) -> Settings:
    """Settings, or SettingsError with one line naming the first bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "settings"
        reason = str(error["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"Setting {name} is invalid: {reason}") from None
