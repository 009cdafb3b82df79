"""The one aiohttp application of the service: /healthz, /metrics and each channel's routes
(SPEC §1: `POST /webhooks/telegram`, `POST /webhooks/zalo`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.app import App
from bot.channels.base import Channel, ChannelSpec
from bot.channels.registry import CHANNELS
from bot.metrics import Metrics
from bot.scheduler import Ticker

log = logging.getLogger(__name__)

_DB_TIMEOUT = 3.0
# A webhook request (reading its body, storing or queueing it) must finish in this time: a
# client trickling its body holds no handler longer (408). Bodies above 1 MiB get 413.
REQUEST_TIMEOUT = 10.0
MAX_BODY = 1024**2


@web.middleware
async def edge_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Slow bodies get 408; a client that hung up is noted at INFO, without a traceback."""
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            response: web.StreamResponse = await handler(request)
            return response
    except TimeoutError:
        log.warning("%s %s: request not complete in %.0f s", request.method, request.path,
                    REQUEST_TIMEOUT)  # fmt: skip
        return web.Response(status=408, text="request timeout")
    except ConnectionResetError:
        log.info("%s %s: the client disconnected", request.method, request.path)
        return web.Response(status=400, text="client disconnected")


def build_web_app(
    app: App,
    ticker: Ticker,
    *,
    metrics: Metrics | None = None,
    channels: Mapping[str, Channel] | None = None,
    specs: Iterable[ChannelSpec] = CHANNELS,
) -> web.Application:
    """Routes of SPEC §1: the running `channels` add theirs; `/healthz` reports every channel
    of `specs` (the ones not running as their `health_when_off`)."""
    running = dict(channels or {})
    channel_health: dict[str, Any] = {}
    for spec in specs:
        channel = running.get(spec.name)
        channel_health |= channel.health() if channel is not None else dict(spec.health_when_off)

    async def healthz(request: web.Request) -> web.Response:
        try:
            database = await asyncio.wait_for(app.db.ping(), _DB_TIMEOUT)
        except TimeoutError:
            database = False
        scheduler = ticker.alive
        ok = database and scheduler
        body = {
            "status": "ok" if ok else "unavailable",
            "database": database,
            "scheduler": scheduler,
            **channel_health,
        }
        return web.json_response(body, status=200 if ok else 503)

    async def metrics_page(request: web.Request) -> web.Response:
        if metrics is None:
            raise web.HTTPNotFound(text="metrics are off")
        try:
            await asyncio.wait_for(metrics.refresh_outbox(app.db, app.clock.now()), _DB_TIMEOUT)
            await asyncio.wait_for(metrics.refresh_inbox(app.db, app.clock.now()), _DB_TIMEOUT)
        except Exception:  # noqa: BLE001 - the page still shows every other metric
            log.warning("outbox and inbox lag not refreshed", exc_info=True)
        response = web.Response(body=metrics.render())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    web_app = web.Application(middlewares=[edge_middleware], client_max_size=MAX_BODY)
    web_app.add_routes([web.get("/healthz", healthz), web.get("/metrics", metrics_page)])
    for channel in running.values():
        web_app.add_routes(channel.routes())
    # The officers' web page (bot/officer_web): sign-in codes go out through channel senders.
    from bot.officer_web import build_officer_app

    senders = {name: channel.sender for name, channel in running.items()}
    web_app.add_subapp("/officer/", build_officer_app(app, senders))
    return web_app
