"""The Telegram slice of the settings (SPEC §2: BOT_TELEGRAM_TOKEN, BOT_TELEGRAM_BASE_URL,
BOT_TELEGRAM_WEBHOOK_SECRET, BOT_PUBLIC_URL, BOT_OFFICER_CHAT) and the channel's outbox pace."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from bot.channels.base import Pace
from bot.config import ConfigError, Settings

if TYPE_CHECKING:  # the limiter imports python-telegram-bot; settings stay light
    from bot.channels.telegram.limits import Limits

# Telegram's limits (Bot FAQ, research/anchors.md §3.7): 30 messages/s overall, kept at one
# below; about 1/s per chat, with a burst of 3 so a reply in a few parts is not drawn out;
# 20/min per group. They belong to the bot token: on PostgreSQL every replica shares them
# (bot/pacing.py). Every Bot API call is paced by the limiter (limits.py), pushes included.
# bench/broadcast.py (3,000 sends, fake API strict at 30/s) prints the rate and 429s.
PACE = Pace(
    per_second=29,
    per_chat_interval=1.0,
    per_chat_burst=3,
    group_interval=3.0,
    group_burst=3,
    group_prefixes=("-", "@"),
    paced_by_sender=True,
)


@dataclasses.dataclass(frozen=True, slots=True)
class TelegramConfig:
    token: str
    base_url: str = "https://api.telegram.org/bot"
    officer_chat_id: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    limits: Limits | None = None  # None: Telegram's documented limits
    # Show "typing…" when handling a message takes longer than this (drafts, documents).
    typing_after: float = 1.0
    poll_interval: float = 0.0
    poll_timeout: int = 10
    # How long a stored update stays claimed by one process (bot/inbox.py), and how many it
    # handles at once: Settings.inbox_concurrency, sized so that storing a new update (the
    # webhook's 200) finds a connection in the pool instead of waiting behind handling.
    inbox_lease_seconds: float = 30.0
    inbox_concurrency: int = 64


def telegram_config(settings: Settings, limits: Limits | None = None) -> TelegramConfig | None:
    """The Telegram channel's settings, or None when no token is configured.

    Raises ConfigError when BOT_PUBLIC_URL is set without BOT_TELEGRAM_WEBHOOK_SECRET.
    """
    if settings.telegram_token is None:
        return None
    webhook_url = secret = None
    if settings.public_url:
        if settings.telegram_webhook_secret is None:
            raise ConfigError("BOT_TELEGRAM_WEBHOOK_SECRET is required when BOT_PUBLIC_URL is set")
        secret = settings.telegram_webhook_secret.get_secret_value()
        webhook_url = f"{settings.public_url.rstrip('/')}/webhooks/telegram"
    officer = settings.officer_chat
    return TelegramConfig(
        token=settings.telegram_token.get_secret_value(),
        base_url=settings.telegram_base_url,
        officer_chat_id=officer.chat_id if officer and officer.channel == "telegram" else None,
        webhook_url=webhook_url,
        webhook_secret=secret,
        limits=limits,
        inbox_lease_seconds=settings.inbox_lease_seconds,
        inbox_concurrency=settings.inbox_concurrency,
    )
