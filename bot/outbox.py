"""Delivers due outbox rows through their channel's sender, each row at most once.

A pass claims due rows atomically (a conditional UPDATE, with SKIP LOCKED on PostgreSQL), so
several instances can run passes at once without sending anything twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot.channels.base import RateLimited, Sender, SendError, Unreachable
from bot.db.engine import Database
from bot.db.models import OutboxMessage
from handlers.messages import Reply
from handlers.ports import Clock

log = logging.getLogger(__name__)
_outbox = OutboxMessage.__table__

MAX_ATTEMPTS = 5
# A row claimed by an instance that died mid-send is released after this long.
CLAIM_TIMEOUT = timedelta(minutes=5)


@dataclass
class DispatchReport:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    unreachable: list[int] = field(default_factory=list)


class OutboxDispatcher:
    def __init__(
        self, db: Database, senders: Mapping[str, Sender], clock: Clock, batch: int = 100
    ) -> None:
        self.db, self.senders, self.clock, self.batch = db, senders, clock, batch

    async def dispatch_once(self, now: datetime | None = None) -> DispatchReport:
        now = now or self.clock.now()
        report = DispatchReport()
        for row in await self._claim(now):
            await self._deliver(row, now, report)
        return report

    async def _claim(self, now: datetime) -> list[OutboxMessage]:
        token = uuid.uuid4().hex
        due = (
            select(_outbox.c.id)
            .where(
                _outbox.c.channel.in_(list(self.senders)),
                _outbox.c.due_at <= now,
                (_outbox.c.status == "pending")
                | ((_outbox.c.status == "sending") & (_outbox.c.claimed_at < now - CLAIM_TIMEOUT)),
            )
            .order_by(_outbox.c.due_at, _outbox.c.id)
            .limit(self.batch)
        )
        if not self.db.is_sqlite:
            due = due.with_for_update(skip_locked=True)
        async with self.db.transaction() as session:
            rows = (
                await session.execute(
                    update(_outbox)
                    .where(_outbox.c.id.in_(due.scalar_subquery()))
                    .values(status="sending", claimed_at=now, last_error=token)
                    .returning(*_outbox.c)
                )
            ).all()
        return [row for row in rows if row.last_error == token]  # type: ignore[misc]

    async def _deliver(self, row: OutboxMessage, now: datetime, report: DispatchReport) -> None:
        sender = self.senders[row.channel]
        values: dict[str, object]
        try:
            await sender.send(row.chat_id, Reply.from_dict(row.payload))
        except Unreachable as exc:
            values = {"status": "unreachable", "last_error": str(exc)[:500]}
            report.unreachable.append(row.id)
        except (RateLimited, SendError) as exc:
            attempts = row.attempts + 1
            delay = exc.retry_after if isinstance(exc, RateLimited) else 30 * 2**attempts
            if attempts >= MAX_ATTEMPTS:
                values = {"status": "failed", "attempts": attempts, "last_error": str(exc)[:500]}
                report.failed.append(row.id)
            else:
                values = {
                    "status": "pending",
                    "attempts": attempts,
                    "due_at": now + timedelta(seconds=delay),
                    "last_error": str(exc)[:500],
                }
                report.retried.append(row.id)
        else:
            values = {"status": "sent", "sent_at": now, "last_error": None}
            report.sent.append(row.id)
        async with self.db.transaction() as session:
            await session.execute(update(_outbox).where(_outbox.c.id == row.id).values(**values))
