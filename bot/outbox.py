"""Delivers due outbox rows through their channel's sender, each row once.

A pass claims due rows in small chunks with one conditional UPDATE (its subquery takes
`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers), so several instances can
run passes at once without sending anything twice. Just before each platform call (after
pacing) the row is marked `sending` in its own committed write, and its outcome is recorded
the moment the platform answers (`sent` with the platform's message ids), so a crash or a
database outage leaves at most the rows in flight in doubt (issue 17). A `claimed` row of a
dead instance was never sent: it is claimed again after `claim_timeout`. A row left
`sending` past `sending_lease` may have gone out: a broadcast row becomes `uncertain` (never
resent; one officer notice per broadcast says how many), any other row is sent again
(at-least-once: a reminder sent twice beats a reminder lost). The mark and the outcome writes
are retried while the database is unreachable, for up to ¾ of the lease, so a short outage
leaves nothing in doubt.

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
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import OutsideWindow, Pace, RateLimited, Sender, SendError, Unreachable
from bot.channels.registry import default_paces
from bot.config import QuietHours
from bot.db import outbox as outbox_rows
from bot.db.engine import Database
from bot.db.errors import is_unavailable
from bot.db.outbox import QUIET_KINDS
from bot.db.outbox import OutboxStatus as Status
from bot.pacing import Pacer, pacer_for
from handlers.messages import Reply, Target
from handlers.ports import Clock
from knowledge.ui import UiTexts

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(minutes=1)  # 1, 2, 4, 8 minutes between attempts
# A live instance holds a claim for one chunk (seconds); a dead one's claims expire after this.
CLAIM_TIMEOUT = timedelta(minutes=2)
# A row marked sending is in doubt after this (BOT_OUTBOX_SENDING_LEASE_SECONDS).
SENDING_LEASE = timedelta(seconds=60)
# Retries of a write while the database is unreachable: first wait, longest wait (seconds).
RETRY_FIRST, RETRY_LONGEST = 0.05, 1.0
# Marking a row took longer than this (seconds, a database hiccup): its pacing slot is
# spent, so it takes a fresh one before the platform call.
REPACE_AFTER = 0.5

T = TypeVar("T")


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
    uncertain: list[int] = field(default_factory=list)  # broadcast rows left sending too long
    resent_after_crash: list[int] = field(default_factory=list)  # other such rows, requeued
    lost_claim: list[int] = field(default_factory=list)  # cancelled or reclaimed meanwhile
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
        sending_lease: timedelta = SENDING_LEASE,
        officer_chat: Target | None = None,
        ui: UiTexts | None = None,
    ) -> None:
        """`officer_chat` and `ui`: where and in which words the uncertain-broadcast notice
        goes (`rem.officer.bc_uncertain`); without them no notice is queued."""
        self.db, self.senders, self.clock, self.batch = db, senders, clock, batch
        self.quiet_hours, self.quiet_kinds, self.tz = quiet_hours, quiet_kinds, tz
        self.chunk, self.claim_timeout, self.max_attempts = chunk, claim_timeout, max_attempts
        self.sending_lease, self.officer_chat, self.ui = sending_lease, officer_chat, ui
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
        await self._settle_stale(start, report)
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

    async def _settle_stale(self, now: datetime, report: DispatchReport) -> None:
        """Rows left sending past the lease (bot/db/outbox.settle_stale_sending), and in the
        same transaction one officer notice per broadcast with uncertain rows."""
        async with self.db.transaction() as session:
            settled = await outbox_rows.settle_stale_sending(
                session, channels=list(self.senders), lease_before=now - self.sending_lease
            )
            for broadcast, ids in settled.uncertain.items():
                report.uncertain += ids
                log.warning("outbox: broadcast %s has %d rows in doubt", broadcast, len(ids))
                if self.officer_chat is not None and self.ui is not None:
                    text = self.ui.text("rem.officer.bc_uncertain", id=broadcast, count=len(ids))
                    row = outbox_rows.new_row(
                        key=f"bc-uncertain:{broadcast}",
                        kind="notice",
                        target=self.officer_chat,
                        reply=Reply(text),
                        due_at=now,
                        now=now,
                    )
                    await outbox_rows.enqueue(session, row)
        report.resent_after_crash += settled.requeued

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
        # A channel paced by its sender (Telegram) waits for its turn inside `send`.
        pacer = self._pacers.get(row.channel)
        if pacer is not None:
            await pacer.wait(row.chat_id)
        started = time.monotonic()
        if not await self._mark_sending(row, current()):
            report.lost_claim.append(row.id)  # cancelled, muted or erased meanwhile: not sent
            return
        if pacer is not None and time.monotonic() - started > REPACE_AFTER:
            await pacer.wait(row.chat_id)
        await self._send(row, current, report)

    async def _send(
        self, row: Any, current: Callable[[], datetime], report: DispatchReport
    ) -> None:
        """The platform call of a row marked sending, and its outcome recorded at once."""
        try:
            ids = await self.senders[row.channel].send(row.chat_id, Reply.from_dict(row.payload))
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
            sent_ids = ",".join(ids) if ids else None
            values = {"sent_at": current(), "last_error": None, "platform_message_id": sent_ids}
            await self._record(row, Status.SENT, values, report.sent)
            first_line = Reply.from_dict(row.payload).text.split("\n", 1)[0][:80]
            report.lines.append(f"#{row.id} {row.channel}:{row.chat_id} {row.kind}: {first_line}")

    async def _mark_sending(self, row: Any, now: datetime) -> bool:
        """Commit `sending` for our claimed row (bot/db/outbox.mark_sending); False if the
        claim was lost. Retried through an outage (`_write`); the same `now` each time makes
        a retry after a commit whose answer was lost find the row already marked."""

        async def mark(session: AsyncSession) -> bool:
            return await outbox_rows.mark_sending(session, row, now)

        return await self._write(f"marking row {row.id} sending", mark)

    async def _write(self, what: str, write: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `write` in its own transaction; while the database is unreachable, try again
        with a short backoff for up to ¾ of the sending lease (so a brief outage does not
        leave the row in doubt), then raise the last error."""
        give_up = time.monotonic() + 0.75 * self.sending_lease.total_seconds()
        delay = RETRY_FIRST
        while True:
            try:
                async with self.db.transaction() as session:
                    return await write(session)
            except Exception as exc:
                if not is_unavailable(exc) or time.monotonic() + delay > give_up:
                    raise
                log.warning("outbox: database unreachable %s, retry in %.2f s", what, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_LONGEST)

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
        """Write the outcome (bot/db/outbox.record, retried through an outage) and note the
        row in the report."""

        async def write(session: AsyncSession) -> bool:
            return await outbox_rows.record(
                session, row, status, mark_user_unreachable=mark_user, **values
            )

        await self._write(f"recording row {row.id} {status}", write)
        bucket.append(row.id)


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
