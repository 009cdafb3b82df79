"""Fixtures of the Zalo tests: a fake Zalo server, an app configured for it, the channel served
on 127.0.0.1 by its own aiohttp application, and an HTTP client to post signed webhooks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from bot.app import App, build_app
from bot.channels.zalo.channel import ZaloChannel
from bot.clock import FrozenClock
from bot.config import Settings
from bot.http_server import MAX_BODY, edge_middleware
from tests.zalo_fake import APP_ID, APP_SECRET, OA_SECRET, SEED_ACCESS, SEED_REFRESH, FakeZalo


@dataclass
class ZaloHarness:
    app: App
    channel: ZaloChannel
    fake: FakeZalo
    url: str
    http: aiohttp.ClientSession
    clock: FrozenClock


@pytest.fixture
async def fake_zalo() -> AsyncIterator[FakeZalo]:
    fake = FakeZalo()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def zalo_settings(settings: Settings, fake_zalo: FakeZalo) -> Settings:
    return Settings(
        _env_file=None,
        database_url=settings.database_url,
        data_dir=settings.data_dir,
        models_dir=settings.models_dir,
        answer_dense=settings.answer_dense,
        officer_ids="telegram:9001,zalo:officer-1",
        officer_chat="telegram:-100500",
        zalo_app_id=APP_ID,
        zalo_oa_secret=OA_SECRET,
        zalo_app_secret=APP_SECRET,
        zalo_access_token=SEED_ACCESS,
        zalo_refresh_token=SEED_REFRESH,
        zalo_api_base=fake_zalo.url,
        zalo_oauth_base=fake_zalo.url,
    )


@pytest.fixture
async def zalo(
    zalo_settings: Settings, fake_zalo: FakeZalo, clock: FrozenClock
) -> AsyncIterator[ZaloHarness]:
    app = await build_app(zalo_settings, clock=clock, migrate=False)
    channel = ZaloChannel.from_deps(app.channel_deps())
    # The service's own edge (timeouts, size limit, hung-up clients), as build_web_app uses.
    web_app = web.Application(middlewares=[edge_middleware], client_max_size=MAX_BODY)
    web_app.add_routes(channel.routes())
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    http = aiohttp.ClientSession()
    yield ZaloHarness(app, channel, fake_zalo, f"http://{host}:{port}", http, clock)
    await http.close()
    await runner.cleanup()
    await channel.close()
    await app.close()
