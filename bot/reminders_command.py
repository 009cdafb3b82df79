"""`python -m bot reminders dispatch [--now ISO8601]`: one materialize + dispatch pass.

Console users get their pushes printed on stdout (in-process delivery); rows of every other
channel of the registry go out when that channel is configured; rows of channels without a
sender here stay queued for `run` and are counted, never dropped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from typing import TextIO

from bot.app import App, build_app
from bot.channels.base import ChannelSpec, Pace, Sender
from bot.channels.registry import CHANNELS
from bot.clock import FrozenClock, SystemClock
from bot.config import Settings
from bot.db import outbox as outbox_rows
from bot.reminders import ReminderJobs


def parse_now(text: str, settings: Settings) -> datetime:
    """ISO 8601; without an offset it is local time (BOT_TIMEZONE)."""
    value = datetime.fromisoformat(text.strip())
    return value if value.tzinfo else value.replace(tzinfo=settings.tz)


@asynccontextmanager
async def channel_senders(
    app: App, out: TextIO, specs: Iterable[ChannelSpec] = CHANNELS
) -> AsyncIterator[tuple[dict[str, Sender], dict[str, Pace]]]:
    """The senders (and paces) of this process: every channel these settings configure, in
    its push-only form; the console prints to `out`."""
    deps = app.channel_deps(console_out=out, interactive=False)
    senders: dict[str, Sender] = {}
    paces: dict[str, Pace] = {}
    async with AsyncExitStack() as stack:
        for spec in specs:
            channel = spec.build(deps)
            if channel is None:
                continue
            await channel.start()
            stack.push_async_callback(channel.stop)
            senders[spec.name], paces[spec.name] = channel.sender, channel.pace
        yield senders, paces


async def dispatch_command(settings: Settings, now_text: str | None, out: TextIO) -> int:
    try:
        now = parse_now(now_text, settings) if now_text else None
    except ValueError:
        print(f"Dạ, thời điểm --now không hợp lệ: {now_text!r} (ví dụ 2027-06-01T08:00+07:00)")
        return 2
    clock = FrozenClock(now) if now else SystemClock()
    app = await build_app(settings, clock=clock)
    try:
        async with channel_senders(app, out) as (senders, paces):
            jobs = ReminderJobs(app.db, app.kb, settings, clock, senders, paces=paces)
            added, report = await jobs.tick(clock.now())
        async with app.db.transaction() as session:
            waiting = await outbox_rows.pending_by_channel(session, except_channels=senders)
    finally:
        await app.close()
    for line in report.lines:
        out.write(f"sent {line}\n")
    summary = (
        f"materialized={added} sent={len(report.sent)} retried={len(report.retried)} "
        f"failed={len(report.failed)} unreachable={len(report.unreachable) + len(report.skipped)} "
        f"expired={len(report.expired)} held={len(report.held)} "
        f"rate_limited={len(report.rate_limited)} deferred_quiet={report.deferred} "
        f"uncertain={len(report.uncertain)} resent_after_crash={len(report.resent_after_crash)}"
    )
    out.write(summary + "\n")
    for channel, count in waiting:
        out.write(f"waiting {channel}={count} (no sender for this channel in this process)\n")
    return 0
