"""The reminder jobs the scheduler ticks: materialize occurrences into the outbox, dispatch.

Every occurrence (deadline × recipient × offset) is an outbox row with the unique key
`rem:<deadline>:<revision>:<user>:<offset>`, so materializing twice, or from two instances,
inserts nothing new. New and edited deadlines (revision > materialized_revision) and
subscribers who changed (materialized_at < changed_at) are caught up on each tick.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from bot.channels.base import Sender
from bot.config import Settings
from bot.db import audience as audiences
from bot.db import outbox as outbox_rows
from bot.db import tables
from bot.db.engine import Database
from bot.db.reminders import view_of
from bot.outbox import DispatchReport, OutboxDelivery
from handlers.deadlines import DeadlineView, plan_occurrences, reminder_reply
from handlers.messages import Target
from handlers.ports import Clock
from knowledge import KnowledgeBase


@dataclass(frozen=True, slots=True)
class Job:
    """A periodic async job for the scheduler's Ticker (bot/scheduler.py)."""

    name: str
    every: timedelta
    run: Callable[[], Awaitable[Any]]


class ReminderJobs:
    def __init__(
        self,
        db: Database,
        kb: KnowledgeBase,
        settings: Settings,
        clock: Clock,
        senders: Mapping[str, Sender],
        **delivery_options: Any,
    ) -> None:
        self.db, self.kb, self.clock = db, kb, clock
        # BOT_QUIET_HOURS (SPEC §2) overrides the policy's window.
        self.tz = settings.tz
        self.quiet = settings.quiet_hours or kb.reminders.quiet_hours
        self.delivery = OutboxDelivery(
            db,
            senders,
            clock,
            quiet_hours=self.quiet,
            quiet_kinds=kb.reminders.quiet_kinds,
            tz=self.tz,
            **{
                "sending_lease": timedelta(seconds=settings.outbox_sending_lease_seconds),
                "officer_chat": settings.officer_chat,
                "ui": kb.ui,
                **delivery_options,
            },
        )

    async def materialize_due(self, now: datetime | None = None) -> int:
        """Queue the occurrences not yet in the outbox; the number of rows added."""
        now = now or self.clock.now()
        since = now.astimezone(self.tz).date() - timedelta(days=1)
        active = (tables.deadlines.c.deleted_at.is_(None), tables.deadlines.c.due_on >= since)
        async with self.db.transaction() as session:
            stale = (
                await session.execute(
                    select(tables.deadlines).where(
                        *active,
                        tables.deadlines.c.materialized_revision < tables.deadlines.c.revision,
                    )
                )
            ).all()
        added = 0
        for row in stale:
            view = view_of(row)
            async with self.db.transaction() as session:
                people = await session.execute(
                    audiences.recipients(view.draft.audience, deadline_id=view.id)
                )
                added += await self._queue(session, view, people.all(), now)
                await session.execute(
                    update(tables.deadlines)
                    .where(
                        tables.deadlines.c.id == row.id,
                        tables.deadlines.c.revision == row.revision,
                    )
                    .values(materialized_revision=row.revision)
                )
        return added + await self._catch_up_subscribers(now, active)

    async def _catch_up_subscribers(self, now: datetime, active: tuple[Any, ...]) -> int:
        async with self.db.transaction() as session:
            changed = (
                await session.execute(
                    select(
                        tables.subscriptions.c.user_id, tables.subscriptions.c.changed_at
                    ).where(
                        tables.subscriptions.c.status == "subscribed",
                        (tables.subscriptions.c.materialized_at.is_(None))
                        | (
                            tables.subscriptions.c.materialized_at
                            < tables.subscriptions.c.changed_at
                        ),
                    )
                )
            ).all()
            found = await session.execute(select(tables.deadlines).where(*active))
            deadlines = [view_of(r) for r in found]
        added = 0
        for sub in changed:
            async with self.db.transaction() as session:
                for view in deadlines:
                    query = audiences.includes_user(view.draft.audience, sub.user_id, view.id)
                    people = (await session.execute(query)).all()
                    added += await self._queue(session, view, people, now)
                await session.execute(
                    update(tables.subscriptions)
                    .where(
                        tables.subscriptions.c.user_id == sub.user_id,
                        tables.subscriptions.c.changed_at == sub.changed_at,
                    )
                    .values(materialized_at=now)
                )
        return added

    async def _queue(
        self, session: Any, view: DeadlineView, people: Sequence[Any], now: datetime
    ) -> int:
        if not people:
            return 0
        draft = view.draft
        rows = []
        policy = self.kb.reminders
        offsets = policy.offsets_for(draft.kind, draft.offsets)
        plan = plan_occurrences(
            draft.due_on, draft.due_time, offsets, self.tz, self.quiet, remind_at=policy.remind_at
        )
        for occ in plan:
            if occ.expires_at <= now:
                continue
            reply = reminder_reply(self.kb.ui, view, occ.due_at.astimezone(self.tz).date())
            rows += [
                outbox_rows.new_row(
                    key=f"rem:{view.id}:{view.revision}:{p.user_id}:{occ.offset}",
                    kind="reminder",
                    target=Target(p.channel, p.external_id),
                    reply=reply,
                    due_at=occ.due_at,
                    now=now,
                    user_id=p.user_id,
                    expires_at=occ.expires_at,
                )
                for p in people
            ]
        return await outbox_rows.enqueue_many(session, rows)

    async def dispatch(self, now: datetime | None = None) -> DispatchReport:
        return await self.delivery.dispatch_once(now)

    async def drain(self, budget: timedelta = timedelta(seconds=25)) -> int:
        """Dispatch passes until nothing is left to send now, or the time budget is spent."""
        deadline, sent = time.monotonic() + budget.total_seconds(), 0
        while time.monotonic() < deadline:
            report = await self.delivery.dispatch_once()
            sent += len(report.sent)
            if not (report.sent or report.retried or report.expired or report.held):
                break
        return sent

    async def tick(self, now: datetime | None = None) -> tuple[int, DispatchReport]:
        """One full pass as `reminders dispatch` runs it: materialize, then dispatch."""
        now = now or self.clock.now()
        return await self.materialize_due(now), await self.dispatch(now)

    def jobs(self, dispatch_every: timedelta = timedelta(seconds=30)) -> list[Job]:
        """What the Ticker should run: catch-up of occurrences, and dispatch (SPEC §1)."""
        return [
            Job("reminders.materialize", timedelta(minutes=1), self.materialize_due),
            Job("reminders.dispatch", dispatch_every, self.drain),
        ]


def register_reminder_jobs(
    ticker: Any, jobs: ReminderJobs, dispatch_every: timedelta = timedelta(seconds=30)
) -> None:
    """Add the jobs to bot.scheduler.Ticker (`add(name, job, seconds)`).

    Register one ReminderJobs per process and no other OutboxDelivery beside it: on SQLite
    a dispatcher paces the channels it paces (not Telegram, paced by its rate limiter) in
    memory, so two in one process would double their rate (bot/pacing.py).
    """
    for job in jobs.jobs(dispatch_every):
        ticker.add(job.name, job.run, job.every.total_seconds())
