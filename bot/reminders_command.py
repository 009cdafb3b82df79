"""`python -m bot reminders dispatch [--now ISO8601]`: one materialize + dispatch pass.

Console users get their pushes printed on stdout (in-process delivery); Telegram and Zalo rows
go out when those channels are configured; rows of channels without a sender here stay queued
for `run` and are counted, never dropped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from typing import TextIO

from sqlalchemy import func, select

from bot.app import App, build_app
from bot.channels.base import Sender
from bot.channels.telegram_output import standalone_sender
from bot.channels.zalo import ZaloChannel
from bot.clock import FrozenClock, SystemClock
from bot.config import Settings
from bot.db.models import OutboxMessage
from bot.db.telegram_repo import TelegramRepository
from bot.reminders import PrintSender, ReminderJobs

_outbox = OutboxMessage.__table__


def parse_now(text: str, settings: Settings) -> datetime:
    """ISO 8601; without an offset it is local time (BOT_TIMEZONE)."""
    value = datetime.fromisoformat(text.strip())
    return value if value.tzinfo else value.replace(tzinfo=settings.tz)


@asynccontextmanager
async def channel_senders(app: App, out: TextIO) -> AsyncIterator[dict[str, Sender]]:
    """The senders of this process: console printing, and the configured platforms."""
    settings = app.settings
    senders: dict[str, Sender] = {"console": PrintSender(out)}
    async with AsyncExitStack() as stack:
        if settings.telegram_token is not None:
            senders["telegram"], bot = standalone_sender(
                settings.telegram_token.get_secret_value(),
                settings.telegram_base_url,
                TelegramRepository(app.db),
                app.kb.ui,
                app.clock.now,
            )
            await bot.initialize()
            stack.push_async_callback(bot.shutdown)
        if settings.zalo_enabled:
            zalo = ZaloChannel(app)
            stack.push_async_callback(zalo.close)
            senders["zalo"] = zalo.sender
        yield senders


async def dispatch_command(settings: Settings, now_text: str | None, out: TextIO) -> int:
    try:
        now = parse_now(now_text, settings) if now_text else None
    except ValueError:
        print(f"Dạ, thời điểm --now không hợp lệ: {now_text!r} (ví dụ 2027-06-01T08:00+07:00)")
        return 2
    clock = FrozenClock(now) if now else SystemClock()
    app = await build_app(settings, clock=clock)
    try:
        async with channel_senders(app, out) as senders:
            jobs = ReminderJobs(app.db, app.kb, settings, clock, senders)
            added, report = await jobs.tick(clock.now())
        async with app.db.transaction() as session:
            waiting = (
                await session.execute(
                    select(_outbox.c.channel, func.count())
                    .where(_outbox.c.status == "pending", _outbox.c.channel.not_in(list(senders)))
                    .group_by(_outbox.c.channel)
                )
            ).all()
    finally:
        await app.close()
    for line in report.lines:
        out.write(f"sent {line}\n")
    summary = (
        f"materialized={added} sent={len(report.sent)} retried={len(report.retried)} "
        f"failed={len(report.failed)} unreachable={len(report.unreachable) + len(report.skipped)} "
        f"expired={len(report.expired)} held={len(report.held)} "
        f"rate_limited={len(report.rate_limited)} deferred_quiet={report.deferred}"
    )
    out.write(summary + "\n")
    for channel, count in waiting:
        out.write(f"waiting {channel}={count} (no sender for this channel in this process)\n")
    return 0
