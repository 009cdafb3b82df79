"""`run`: every configured channel, the HTTP server and the ticker, until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from aiohttp import web

from bot import pacing
from bot.app import App, build_app
from bot.channels.base import Channel, ChannelSpec, ChannelStartError, Sender
from bot.channels.registry import CHANNELS
from bot.config import Settings
from bot.db import inbox as inbox_rows
from bot.db.repositories import prune_processed
from bot.http_server import build_web_app
from bot.metrics import Metrics
from bot.reminders import ReminderJobs, register_reminder_jobs
from bot.scheduler import Ticker

log = logging.getLogger(__name__)

# Officer notices go through the outbox too, so it is drained more often than reminders alone
# would need; housekeeping (dedup pruning, finished inbox rows, each channel's upkeep) runs
# hourly.
OUTBOX_SECONDS = 5.0
HOUSEKEEPING_SECONDS = 3600.0


@dataclass
class Service:
    app: App
    metrics: Metrics
    ticker: Ticker
    specs: tuple[ChannelSpec, ...] = CHANNELS
    channels: dict[str, Channel] = field(default_factory=dict)
    outbox_seconds: float = OUTBOX_SECONDS
    port: int | None = None
    _runner: web.AppRunner | None = None

    @property
    def senders(self) -> dict[str, Sender]:
        return {name: channel.sender for name, channel in self.channels.items()}

    def _add_jobs(self) -> None:
        # One dispatcher per process (bot/reminders.py); pacing is shared (bot/pacing.py).
        app = self.app
        paces = {name: channel.pace for name, channel in self.channels.items()}
        jobs = ReminderJobs(
            app.db,
            app.kb,
            app.settings,
            app.clock,
            self.senders,
            paces=paces,
            concurrency=app.settings.outbox_concurrency,
        )
        register_reminder_jobs(self.ticker, jobs, timedelta(seconds=self.outbox_seconds))
        self.ticker.add("housekeeping", self._housekeeping, HOUSEKEEPING_SECONDS)

    async def _housekeeping(self) -> None:
        now = self.app.clock.now()
        async with self.app.db.transaction() as session:
            await prune_processed(session, now)
            await inbox_rows.prune(session, now)
        await pacing.prune(self.app.db)
        for channel in self.channels.values():
            await channel.housekeeping(now)

    async def start(self, host: str, port: int) -> None:
        self._add_jobs()
        web_app = build_web_app(
            self.app, self.ticker, metrics=self.metrics, channels=self.channels, specs=self.specs
        )
        # The server comes first: in webhook mode Telegram starts posting once registered.
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        for channel in self.channels.values():
            await channel.start()
        self.ticker.start()
        modes = {k: v for c in self.channels.values() for k, v in c.health().items()}
        log.info("service started on port %s (channels: %s)", self.port, modes or "none")

    async def stop(self) -> None:
        await self.ticker.stop()
        try:
            # No new webhook deliveries first; then channels answer what they already accepted.
            if self._runner is not None:
                await self._runner.cleanup()
            for channel in reversed(list(self.channels.values())):
                await channel.stop()
        finally:
            await self.app.close()


def build_service(
    settings: Settings, app: App, *, channels: Iterable[ChannelSpec] = CHANNELS
) -> Service:
    """The service with every channel of `channels` that these settings configure."""
    metrics = Metrics()
    app.dispatcher.on_events = metrics.observe_events
    specs = tuple(channels)
    service = Service(app=app, metrics=metrics, ticker=Ticker(), specs=specs)
    deps = app.channel_deps(metrics)
    for spec in specs:
        channel = spec.build(deps)
        if channel is not None:
            service.channels[spec.name] = channel
    return service


async def run(settings: Settings) -> int:
    # python-telegram-bot 22 warns on every RetryAfter unless opted in to timedelta values,
    # which our limiter accepts; without this, every 429 adds a deprecation line to the logs.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    for spec in CHANNELS:
        spec.check(settings)  # a configuration error stops us before anything starts
    app = await build_app(settings)
    service = build_service(settings, app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        try:
            await service.start(settings.http_host, settings.http_port)
        except ChannelStartError as exc:
            print(exc, file=sys.stderr)
            return 1
        except OSError as exc:
            print(f"Không mở được cổng {settings.http_port}: {exc}", file=sys.stderr)
            return 1
        print(f"Dạ, dịch vụ đang chạy ở cổng {service.port}.", flush=True)
        await stop.wait()
    finally:
        await service.stop()
    return 0
