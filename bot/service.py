"""`run`: every configured channel, the HTTP server and the ticker, until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from aiohttp import web
from telegram.error import TelegramError

from bot.app import App, build_app
from bot.channels.base import Sender
from bot.channels.telegram import TelegramChannel, TelegramConfig
from bot.channels.telegram_limits import Limits
from bot.channels.zalo import ZaloChannel
from bot.channels.zalo_held import enqueue_held_notice
from bot.config import ConfigError, Settings
from bot.db.repositories import prune_processed
from bot.http_server import build_web_app
from bot.metrics import Metrics
from bot.reminders import ReminderJobs, register_reminder_jobs
from bot.scheduler import Ticker

log = logging.getLogger(__name__)

# Officer notices go through the outbox too, so it is drained more often than reminders alone
# would need; housekeeping (dedup pruning, the Zalo held-recipients notice) runs hourly.
OUTBOX_SECONDS = 5.0
HOUSEKEEPING_SECONDS = 3600.0


def telegram_config(settings: Settings, limits: Limits | None = None) -> TelegramConfig | None:
    """The Telegram channel's settings, or None when no token is configured."""
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
        limits=limits or Limits(),
    )


@dataclass
class Service:
    app: App
    metrics: Metrics
    ticker: Ticker
    telegram: TelegramChannel | None = None
    zalo: ZaloChannel | None = None
    # What other channels (Zalo) add: their webhook routes, outbox senders, start/stop hooks.
    extra_routes: list[web.RouteDef] = field(default_factory=list)
    senders: dict[str, Sender] = field(default_factory=dict)
    on_start: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    outbox_seconds: float = OUTBOX_SECONDS
    port: int | None = None
    _runner: web.AppRunner | None = None

    def _add_jobs(self) -> None:
        # One dispatcher per process: it paces its own sends (bot/reminders.py).
        app = self.app
        jobs = ReminderJobs(app.db, app.kb, app.settings, app.clock, self.senders)
        register_reminder_jobs(self.ticker, jobs, timedelta(seconds=self.outbox_seconds))
        self.ticker.add("housekeeping", self._housekeeping, HOUSEKEEPING_SECONDS)

    async def _housekeeping(self) -> None:
        now = self.app.clock.now()
        async with self.app.db.transaction() as session:
            await prune_processed(session, now)
        officers = self.app.settings.officer_chat
        if self.zalo is not None and officers is not None:
            await enqueue_held_notice(
                self.app.db, self.app.kb.ui, officers, self.app.settings.tz, now
            )

    async def start(self, host: str, port: int) -> None:
        self._add_jobs()
        telegram = self.telegram
        mode = "off" if telegram is None else ("webhook" if telegram.webhook_mode else "polling")
        web_app = build_web_app(
            self.app,
            self.ticker,
            metrics=self.metrics,
            telegram_feed=telegram.feed if telegram and telegram.webhook_mode else None,
            telegram_mode=mode,
            extra_routes=self.extra_routes,
        )
        # The server comes first: in webhook mode Telegram starts posting once registered.
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        if telegram is not None:
            await telegram.start()
        for hook in self.on_start:
            await hook()
        self.ticker.start()
        log.info("service started on port %s (telegram: %s)", self.port, mode)

    async def stop(self) -> None:
        await self.ticker.stop()
        try:
            # No new webhook deliveries first; then channels answer what they already accepted.
            if self._runner is not None:
                await self._runner.cleanup()
            for hook in self.on_stop:
                await hook()
            if self.zalo is not None:
                await self.zalo.close()
            if self.telegram is not None:
                await self.telegram.stop()
        finally:
            await self.app.close()


def build_service(settings: Settings, app: App, *, limits: Limits | None = None) -> Service:
    metrics = Metrics()
    app.dispatcher.on_events = metrics.observe_events
    service = Service(app=app, metrics=metrics, ticker=Ticker())
    config = telegram_config(settings, limits)
    if config is not None:
        service.telegram = TelegramChannel(
            config,
            handle=app.dispatcher.handle,
            db=app.db,
            ui=app.kb.ui,
            metrics=metrics,
            clock=app.clock,
        )
        service.senders["telegram"] = service.telegram.sender
    if settings.zalo_enabled:
        service.zalo = ZaloChannel(app)  # owns an aiohttp session: built inside the loop
        service.extra_routes.extend(service.zalo.routes())
        service.senders["zalo"] = service.zalo.sender
    return service


async def run(settings: Settings) -> int:
    # python-telegram-bot 22 warns on every RetryAfter unless opted in to timedelta values,
    # which our limiter accepts; without this, every 429 adds a deprecation line to the logs.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    telegram_config(settings)  # a configuration error stops us before anything starts
    app = await build_app(settings)
    service = build_service(settings, app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        try:
            await service.start(settings.http_host, settings.http_port)
        except TelegramError as exc:
            print(f"Lỗi kết nối Telegram (kiểm tra BOT_TELEGRAM_TOKEN): {exc}", file=sys.stderr)
            return 1
        except OSError as exc:
            print(f"Không mở được cổng {settings.http_port}: {exc}", file=sys.stderr)
            return 1
        print(f"Dạ, dịch vụ đang chạy ở cổng {service.port}.", flush=True)
        await stop.wait()
    finally:
        await service.stop()
    return 0
