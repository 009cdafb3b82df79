"""The one aiohttp application of the service: webhooks, /healthz and /metrics (SPEC §1)."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.app import App
from bot.metrics import Metrics
from bot.scheduler import Ticker

log = logging.getLogger(__name__)

TelegramFeed = Callable[[dict[str, Any]], Awaitable[None]]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
_DB_TIMEOUT = 3.0


def build_web_app(
    app: App,
    ticker: Ticker,
    *,
    metrics: Metrics | None = None,
    telegram_feed: TelegramFeed | None = None,
    telegram_mode: str = "off",
    extra_routes: Iterable[web.AbstractRouteDef] = (),
) -> web.Application:
    """Routes of SPEC §1; other channels add theirs (e.g. `POST /webhooks/zalo`)."""
    secret = app.settings.telegram_webhook_secret
    secret_value = secret.get_secret_value() if secret is not None else None

    async def telegram_webhook(request: web.Request) -> web.Response:
        if telegram_feed is None:
            raise web.HTTPNotFound(text="telegram webhook mode is off")
        given = request.headers.get(SECRET_HEADER, "")
        if secret_value is None or not hmac.compare_digest(given.encode(), secret_value.encode()):
            log.warning("telegram webhook call with a wrong secret token")
            raise web.HTTPForbidden(text="forbidden")
        try:
            data = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise web.HTTPBadRequest(text="expected JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise web.HTTPBadRequest(text="expected a Telegram update")
        await telegram_feed(data)
        return web.json_response({"ok": True})

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
            "telegram": telegram_mode,
        }
        return web.json_response(body, status=200 if ok else 503)

    async def metrics_page(request: web.Request) -> web.Response:
        if metrics is None:
            raise web.HTTPNotFound(text="metrics are off")
        try:
            await asyncio.wait_for(metrics.refresh_outbox(app.db, app.clock.now()), _DB_TIMEOUT)
        except Exception:  # noqa: BLE001 - the page still shows every other metric
            log.warning("outbox lag not refreshed", exc_info=True)
        response = web.Response(body=metrics.render())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    web_app = web.Application()
    web_app.add_routes(
        [
            web.post("/webhooks/telegram", telegram_webhook),
            web.get("/healthz", healthz),
            web.get("/metrics", metrics_page),
            *extra_routes,
        ]
    )
    return web_app
