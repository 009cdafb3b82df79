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

from sqlalchemy import and_, func, or_, select, update

from bot.channels.base import OutsideWindow, Pace, RateLimited, Sender, SendError, Unreachable
from bot.channels.registry import default_paces
from bot.config import QuietHours
from bot.db.engine import Database
from bot.db.models import OutboxMessage, User
from bot.pacing import Pacer
from handlers.messages import Reply
from handlers.ports import Clock

log = logging.getLogger(__name__)
_outbox = OutboxMessage.__table__
_users = User.__table__

MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(minutes=1)  # 1, 2, 4, 8 minutes between attempts
# A live instance holds a claim for one chunk (seconds); a dead one's claims expire after this.
CLAIM_TIMEOUT = timedelta(minutes=2)
QUIET_KINDS = frozenset({"reminder", "broadcast"})


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


class OutboxDispatcher:
    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        clock: Clock,
        batch: int = 500,
        *,
        quiet_hours: QuietHours | None = None,
        tz: tzinfo = UTC,
        paces: Mapping[str, Pace] | None = None,
        chunk: int = 20,
        concurrency: int = 8,
        claim_timeout: timedelta = CLAIM_TIMEOUT,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.db, self.senders, self.clock, self.batch = db, senders, clock, batch
        self.quiet_hours, self.tz = quiet_hours, tz
        self.chunk, self.claim_timeout, self.max_attempts = chunk, claim_timeout, max_attempts
        paces = default_paces() if paces is None else paces
        self._pacers = {name: Pacer(paces.get(name, Pace())) for name in senders}
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

    def _due(self, now: datetime, quiet: bool) -> Any:
        stale = now - self.claim_timeout
        condition = and_(
            _outbox.c.due_at <= now,
            or_(
                _outbox.c.status == "pending",
                and_(_outbox.c.status == "sending", _outbox.c.claimed_at < stale),
            ),
        )
        return and_(condition, _outbox.c.kind.not_in(QUIET_KINDS)) if quiet else condition

    async def _claim(self, now: datetime, channels: list[str], quiet: bool, n: int) -> list[Any]:
        due = (
            select(_outbox.c.id)
            .where(_outbox.c.channel.in_(channels), self._due(now, quiet))
            .order_by(_outbox.c.due_at, _outbox.c.id)
            .limit(n)
        )
        if not self.db.is_sqlite:
            due = due.with_for_update(skip_locked=True)
        # A CTE runs once; as an IN-subquery PostgreSQL may re-run it per row, and with
        # SKIP LOCKED each run returns further rows, so LIMIT would not bound the claim.
        chosen = due.cte("chosen")
        async with self.db.transaction() as session:
            result = await session.execute(
                update(_outbox)
                .where(_outbox.c.id.in_(select(chosen.c.id)), self._due(now, quiet))
                .values(status="sending", claimed_at=now)
                .returning(*_outbox.c)
            )
            rows = result.all()
        return sorted(rows, key=lambda r: (r.due_at, r.id))

    async def _skip_unreachable(self, now: datetime) -> list[int]:
        gone = select(_users.c.id).where(_users.c.unreachable_at.is_not(None))
        async with self.db.transaction() as session:
            result = await session.execute(
                update(_outbox)
                .where(
                    _outbox.c.status == "pending",
                    _outbox.c.due_at <= now,
                    _outbox.c.user_id.in_(gone),
                )
                .values(status="unreachable", last_error="recipient unreachable")
                .returning(_outbox.c.id)
            )
            return sorted(result.scalars())

    async def _count_deferred(self, now: datetime) -> int:
        async with self.db.transaction() as session:
            query = select(func.count()).where(
                _outbox.c.status == "pending",
                _outbox.c.due_at <= now,
                _outbox.c.kind.in_(QUIET_KINDS),
                _outbox.c.channel.in_(list(self.senders)),
            )
            return (await session.execute(query)).scalar_one()

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
            await self._record(row, {"status": "expired"}, report.expired)
            return
        paused = self._paused_until.get(row.channel)
        if paused is not None and paused > current():
            values = {"status": "pending", "due_at": paused}
            await self._record(row, values, report.rate_limited)
            return
        await self._pacers[row.channel].wait(row.chat_id)
        try:
            await self.senders[row.channel].send(row.chat_id, Reply.from_dict(row.payload))
        except OutsideWindow as exc:
            await self._record(row, {"status": "held", "last_error": _short(exc)}, report.held)
        except Unreachable as exc:
            values = {"status": "unreachable", "last_error": _short(exc)}
            await self._record(row, values, report.unreachable, mark_user=current())
        except RateLimited as exc:
            until = current() + timedelta(seconds=max(exc.retry_after, 0.0))
            earlier = self._paused_until.get(row.channel, until)
            self._paused_until[row.channel] = max(until, earlier)
            values = {"status": "pending", "due_at": until, "last_error": _short(exc)}
            await self._record(row, values, report.rate_limited)
        except Exception as exc:  # noqa: BLE001 - any other failure is retried, then given up
            if not isinstance(exc, SendError):
                log.exception("sender %s raised an unexpected error", row.channel)
            await self._record_failure(row, exc, current(), report)
        else:
            values = {"status": "sent", "sent_at": current(), "last_error": None}
            await self._record(row, values, report.sent)
            first_line = Reply.from_dict(row.payload).text.split("\n", 1)[0][:80]
            report.lines.append(f"#{row.id} {row.channel}:{row.chat_id} {row.kind}: {first_line}")

    async def _record_failure(
        self, row: Any, exc: Exception, now: datetime, report: DispatchReport
    ) -> None:
        attempts = row.attempts + 1
        if attempts >= self.max_attempts:
            values = {"status": "failed", "attempts": attempts, "last_error": _short(exc)}
            await self._record(row, values, report.failed)
            return
        delay = BACKOFF_BASE * 2 ** (attempts - 1)
        values = {
            "status": "pending",
            "attempts": attempts,
            "due_at": now + delay,
            "last_error": _short(exc),
        }
        await self._record(row, values, report.retried)

    async def _record(
        self,
        row: Any,
        values: dict[str, Any],
        bucket: list[int],
        mark_user: datetime | None = None,
    ) -> None:
        """Write the outcome only if our claim still holds (nobody reclaimed a stale row)."""
        async with self.db.transaction() as session:
            await session.execute(
                update(_outbox)
                .where(
                    _outbox.c.id == row.id,
                    _outbox.c.status == "sending",
                    _outbox.c.claimed_at == row.claimed_at,
                )
                .values(**values)
            )
            if mark_user is not None and row.user_id is not None:
                mark = update(_users).where(_users.c.id == row.user_id)
                await session.execute(mark.values(unreachable_at=mark_user))
        bucket.append(row.id)


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
