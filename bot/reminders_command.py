"""`python -m bot reminders dispatch [--now ISO8601]`: one materialize + dispatch pass.

Console users get their pushes printed on stdout (in-process delivery); Telegram rows go out
when BOT_TELEGRAM_TOKEN is set and the Telegram channel is installed; rows of channels without
a sender here stay queued for `run` and are counted, never dropped.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import func, select

from bot.channels.base import Sender
from bot.clock import FrozenClock, SystemClock
from bot.config import Settings
from bot.db.models import OutboxMessage
from bot.reminders import PrintSender, ReminderJobs

_outbox = OutboxMessage.__table__


def parse_now(text: str, settings: Settings) -> datetime:
    """ISO 8601; without an offset it is local time (BOT_TIMEZONE)."""
    value = datetime.fromisoformat(text.strip())
    return value if value.tzinfo else value.replace(tzinfo=settings.tz)


def channel_senders(settings: Settings, out: TextIO) -> tuple[dict[str, Sender], list[Any]]:
    """Senders for this process, and the objects to shut down afterwards."""
    senders: dict[str, Sender] = {"console": PrintSender(out)}
    closers: list[Any] = []
    if settings.telegram_token is not None:
        telegram = _telegram_sender(settings)
        if telegram is None:
            print(
                "(kênh Telegram chưa dùng được ở lệnh này; tin Telegram vẫn chờ)", file=sys.stderr
            )
        else:
            senders["telegram"], bot = telegram
            closers.append(bot)
    return senders, closers


def _telegram_sender(settings: Settings) -> tuple[Sender, Any] | None:
    """TelegramSender when it is built from a telegram.Bot (the lead wires other shapes)."""
    try:
        module = importlib.import_module("bot.channels.telegram")
        from telegram import Bot
    except ImportError:
        return None
    sender_class = getattr(module, "TelegramSender", None)
    if sender_class is None or next(iter(inspect.signature(sender_class).parameters), "") != "bot":
        return None
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    bot = Bot(token, base_url=settings.telegram_base_url)
    return sender_class(bot), bot


async def dispatch_command(settings: Settings, now_text: str | None, out: TextIO) -> int:
    from bot.app import build_app

    try:
        now = parse_now(now_text, settings) if now_text else None
    except ValueError:
        print(f"Dạ, thời điểm --now không hợp lệ: {now_text!r} (ví dụ 2027-06-01T08:00+07:00)")
        return 2
    clock = FrozenClock(now) if now else SystemClock()
    app = await build_app(settings, clock=clock)
    senders, closers = channel_senders(settings, out)
    try:
        for closer in closers:
            await closer.initialize()
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
        for closer in closers:
            await closer.shutdown()
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
