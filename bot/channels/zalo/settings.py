"""The Zalo OA slice of the settings (SPEC §2: BOT_ZALO_APP_ID, BOT_ZALO_OA_SECRET,
BOT_ZALO_APP_SECRET, BOT_ZALO_ACCESS_TOKEN, BOT_ZALO_REFRESH_TOKEN, BOT_ZALO_API_BASE,
BOT_ZALO_OAUTH_BASE) and the channel's outbox pace."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from bot.channels.base import Pace
from bot.config import Settings

CHANNEL = "zalo"
# [UNCERTAIN] Zalo publishes no per-second OA limit; 10/s keeps bulk pushes gentle.
PACE = Pace(per_second=10)


@dataclass(frozen=True, slots=True)
class TokenConfig:
    app_id: str
    app_secret: str
    seed_access_token: str
    seed_refresh_token: str
    oauth_base: str


@dataclass(frozen=True, slots=True)
class ZaloConfig:
    app_id: str
    oa_secret: str  # signs webhooks (X-ZEvent-Signature)
    tokens: TokenConfig
    api_base: str = "https://openapi.zalo.me"

    @property
    def has_tokens(self) -> bool:
        return bool(self.tokens.seed_access_token and self.tokens.seed_refresh_token)


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def zalo_config(settings: Settings) -> ZaloConfig | None:
    """None unless both BOT_ZALO_APP_ID and BOT_ZALO_OA_SECRET are set."""
    if settings.zalo_app_id is None or settings.zalo_oa_secret is None:
        return None
    return ZaloConfig(
        app_id=settings.zalo_app_id,
        oa_secret=_secret(settings.zalo_oa_secret),
        tokens=TokenConfig(
            app_id=settings.zalo_app_id,
            app_secret=_secret(settings.zalo_app_secret),
            seed_access_token=_secret(settings.zalo_access_token),
            seed_refresh_token=_secret(settings.zalo_refresh_token),
            oauth_base=settings.zalo_oauth_base,
        ),
        api_base=settings.zalo_api_base,
    )
