"""Fixtures for Telegram tests: the fake Bot API and the whole service pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from pydantic import SecretStr

from bot.app import build_app
from bot.channels import telegram
from bot.channels.registry import with_channels
from bot.channels.telegram.limits import Limits
from bot.channels.telegram.settings import PACE
from bot.service import Service, build_service
from tests.fake_telegram import FakeTelegram

TOKEN = "123:TEST"
# Fast pacing so tests do not wait out Telegram's 1 message/s; pacing has its own tests.
FAST = Limits(
    pace=replace(
        PACE, per_second=1000, per_chat_interval=0.01, per_chat_burst=10, group_interval=0.01
    )
)


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeTelegram]:
    # PTB 22 warns on every RetryAfter unless opted in to timedelta values (we accept both).
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    server = await FakeTelegram(TOKEN).start()
    yield server
    await server.stop()


async def start_service(settings: Any, clock: Any, fake: FakeTelegram, **extra: Any) -> Service:
    settings = settings.model_copy(
        update={
            "telegram_token": SecretStr(TOKEN),
            "telegram_base_url": fake.base_url,
            "http_host": "127.0.0.1",
            **extra,
        }
    )
    app = await build_app(settings, clock=clock, migrate=False)
    service = build_service(settings, app, channels=with_channels(telegram.spec(FAST)))
    service.outbox_seconds = 0.2
    await service.start("127.0.0.1", 0)
    return service


# The webhook secret of `webhook_service` (Telegram allows 1–256 of A–Z a–z 0–9 _ -).
WEBHOOK_SECRET = "s3cret-token_1"


@pytest.fixture
async def webhook_service(settings, clock, fake) -> AsyncIterator[Service]:
    """The service in webhook mode, its secret WEBHOOK_SECRET."""
    running = await start_service(
        settings,
        clock,
        fake,
        public_url="https://bot.example.vn/",
        telegram_webhook_secret=SecretStr(WEBHOOK_SECRET),
    )
    yield running
    await running.stop()


@pytest.fixture
async def service(settings, clock, fake) -> AsyncIterator[Service]:
    running = await start_service(settings, clock, fake)
    yield running
    await running.stop()
