"""Delivers due outbox rows through their channel's sender, each row once.

A pass claims due rows in small chunks with one conditional UPDATE (its subquery takes
`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers), so several instances can
run passes at once without sending anything twice. Each outcome is recorded right after its
send, so a killed instance leaves at most one chunk claimed; those rows are claimed again
after `claim_timeout` (at-least-once: a reminder sent twice beats a reminder lost).

Rules per row: quiet hours hold reminders and broadcasts (officer notices, kind "notice", are
for staff and go at once); a row past its `expires_at` (a reminder whose day or deadline went
by while the service was down) is marked expired, not sent; SendError retries with backoff
up to `max_attempts`; RateLimited pauses the channel for retry_after and requeues the row
without counting an attempt; Unreachable marks the user (users.unreachable_at) and their
later due rows are skipped until they write again; OutsideWindow (Zalo's 48-hour window)
holds the row without marking the user.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from bot.channels.base import OutsideWindow, Pace, RateLimited, Sender, SendError, Unreachable
from bot.channels.registry import default_paces
from bot.config import QuietHours
from bot.db import outbox as outbox_rows
from bot.db.engine import Database
from bot.db.outbox import QUIET_KINDS
from bot.db.outbox import OutboxStatus as Status
from bot.pacing import Pacer, pacer_for
from handlers.messages import Reply
from handlers.ports import Clock

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(minutes=1)  # 1, 2, 4, 8 minutes between attempts
# A live instance holds a claim for one chunk (seconds); a dead one's claims expire after this.
CLAIM_TIMEOUT = timedelta(minutes=2)


@dataclass
class DispatchReport:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    unreachable: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    rate_limited: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # due rows of users already unreachable
    deferred: int = 0  # reminders/broadcasts due but waiting for the end of quiet hours
    lines: list[str] = field(default_factory=list)  # "#id channel:chat kind: first line"


class OutboxDelivery:
    """Delivers due outbox rows (the module docstring has the rules). The one "dispatcher" of
    the service is bot.dispatcher.Dispatcher, which routes inbound messages to the core."""

    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        clock: Clock,
        batch: int = 500,
        *,
        quiet_hours: QuietHours | None = None,
        quiet_kinds: frozenset[str] = QUIET_KINDS,
        tz: tzinfo = UTC,
        paces: Mapping[str, Pace] | None = None,
        chunk: int = 20,
        concurrency: int = 8,
        claim_timeout: timedelta = CLAIM_TIMEOUT,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.db, self.senders, self.clock, self.batch = db, senders, clock, batch
        self.quiet_hours, self.quiet_kinds, self.tz = quiet_hours, quiet_kinds, tz
        self.chunk, self.claim_timeout, self.max_attempts = chunk, claim_timeout, max_attempts
        paces = default_paces() if paces is None else paces
        # A channel whose sender paces each platform call (Telegram) is not paced twice here.
        self._pacers: dict[str, Pacer] = {}
        for name in senders:
            pace = paces.get(name, Pace())
            if not pace.paced_by_sender:
                self._pacers[name] = pacer_for(db, name, pace)
        self._paused_until: dict[str, datetime] = {}
        self._slots = asyncio.Semaphore(concurrency)

    def is_quiet(self, now: datetime) -> bool:
        return self.quiet_hours is not None and self.quiet_hours.contains(
            now.astimezone(self.tz).hour
        )

    async def dispatch_once(self, now: datetime | None = None) -> DispatchReport:
        """One pass: everything due (up to `batch` rows); `now` freezes the time of the pass."""
        current: Callable[[], datetime] = (lambda: now) if now else self.clock.now
        start = current()
        report = DispatchReport()
        quiet = self.is_quiet(start)
        report.skipped = await self._skip_unreachable(start)
        claimed = 0
        # The next chunk is claimed while this one is sent, so paced sending never waits on
        # the database between chunks.
        upcoming: asyncio.Task[list[Any]] | None = None
        try:
            while claimed < self.batch:
                rows = await (upcoming or self._claim_chunk(current(), quiet))
                upcoming = None
                if not rows:
                    break
                claimed += len(rows)
                if claimed < self.batch:
                    upcoming = asyncio.create_task(self._claim_chunk(current(), quiet))
                groups: dict[tuple[str, str], list[Any]] = {}
                for row in rows:
                    groups.setdefault((row.channel, row.chat_id), []).append(row)
                sends = (self._send_group(g, current, report) for g in groups.values())
                await asyncio.gather(*sends)
        finally:
            if upcoming is not None:
                upcoming.cancel()  # its transaction rolls back: nothing stays claimed
        if quiet:
            report.deferred = await self._count_deferred(start)
        return report

    async def _claim_chunk(self, now: datetime, quiet: bool) -> list[Any]:
        channels = [c for c in self.senders if self._paused_until.get(c, now) <= now]
        return await self._claim(now, channels, quiet, self.chunk) if channels else []

    async def _claim(self, now: datetime, channels: list[str], quiet: bool, n: int) -> list[Any]:
        async with self.db.transaction() as session:
            return await outbox_rows.claim(
                session,
                now=now,
                channels=channels,
                quiet_kinds=self.quiet_kinds if quiet else frozenset(),
                stale_before=now - self.claim_timeout,
                limit=n,
                skip_locked=not self.db.is_sqlite,
            )

    async def _skip_unreachable(self, now: datetime) -> list[int]:
        async with self.db.transaction() as session:
            return await outbox_rows.skip_unreachable(session, now)

    async def _count_deferred(self, now: datetime) -> int:
        async with self.db.transaction() as session:
            return await outbox_rows.count_deferred(
                session, now, list(self.senders), self.quiet_kinds
            )

    async def _send_group(
        self, rows: list[Any], current: Callable[[], datetime], report: DispatchReport
    ) -> None:
        async with self._slots:
            for row in rows:
                await self._deliver(row, current, report)

    async def _deliver(
        self, row: Any, current: Callable[[], datetime], report: DispatchReport
    ) -> None:
        expires = row.payload.get("expires_at")
        if expires and current() >= datetime.fromisoformat(expires):
            await self._record(row, Status.EXPIRED, {}, report.expired)
            return
        paused = self._paused_until.get(row.channel)
        if paused is not None and paused > current():
            await self._record(row, Status.PENDING, {"due_at": paused}, report.rate_limited)
            return
        pacer = self._pacers.get(row.channel)
        if pacer is not None:
            await pacer.wait(row.chat_id)
        try:
            await self.senders[row.channel].send(row.chat_id, Reply.from_dict(row.payload))
        except OutsideWindow as exc:
            await self._record(row, Status.HELD, {"last_error": _short(exc)}, report.held)
        except Unreachable as exc:
            values: dict[str, Any] = {"last_error": _short(exc)}
            await self._record(
                row, Status.UNREACHABLE, values, report.unreachable, mark_user=current()
            )
        except RateLimited as exc:
            until = current() + timedelta(seconds=max(exc.retry_after, 0.0))
            earlier = self._paused_until.get(row.channel, until)
            self._paused_until[row.channel] = max(until, earlier)
            values = {"due_at": until, "last_error": _short(exc)}
            await self._record(row, Status.PENDING, values, report.rate_limited)
        except Exception as exc:  # noqa: BLE001 - any other failure is retried, then given up
            if not isinstance(exc, SendError):
                log.exception("sender %s raised an unexpected error", row.channel)
            await self._record_failure(row, exc, current(), report)
        else:
            values = {"sent_at": current(), "last_error": None}
            await self._record(row, Status.SENT, values, report.sent)
            first_line = Reply.from_dict(row.payload).text.split("\n", 1)[0][:80]
            report.lines.append(f"#{row.id} {row.channel}:{row.chat_id} {row.kind}: {first_line}")

    async def _record_failure(
        self, row: Any, exc: Exception, now: datetime, report: DispatchReport
    ) -> None:
        attempts = row.attempts + 1
        if attempts >= self.max_attempts:
            values = {"attempts": attempts, "last_error": _short(exc)}
            await self._record(row, Status.FAILED, values, report.failed)
            return
        delay = BACKOFF_BASE * 2 ** (attempts - 1)
        values = {"attempts": attempts, "due_at": now + delay, "last_error": _short(exc)}
        await self._record(row, Status.PENDING, values, report.retried)

    async def _record(
        self,
        row: Any,
        status: Status,
        values: dict[str, Any],
        bucket: list[int],
        mark_user: datetime | None = None,
    ) -> None:
        """Write the outcome (bot/db/outbox.record) and note the row in the report."""
        async with self.db.transaction() as session:
            await outbox_rows.record(
                session, row, status, mark_user_unreachable=mark_user, **values
            )
        bucket.append(row.id)


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
