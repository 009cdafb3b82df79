"""The storage port of reminders: deadlines, subscriptions and broadcasts (bot/db implements)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from handlers.deadlines import Audience, DeadlineDraft, DeadlineView
from handlers.messages import Reply, Target


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    subscribed: bool
    sector: str | None


@dataclass(frozen=True, slots=True)
class BroadcastFigures:
    id: int
    text: str
    created_at: datetime
    recipients: int
    sent: int
    failed: int
    unreachable: int
    waiting: int
    uncertain: int = 0  # may have arrived: sending was interrupted, never resent (issue 17)


class RemindersPort(Protocol):
    async def subscription(self, user_id: int) -> SubscriptionView | None: ...

    async def set_subscription(
        self, user_id: int, subscribed: bool, now: datetime, sector: str | None = None
    ) -> None:
        """Unsubscribing mutes the user's pending reminders; subscribing revives them."""
        ...

    async def set_sector(self, user_id: int, sector: str, now: datetime) -> bool:
        """Remember the owner's SPEC §4 sector code (audience `nganh:`); True if it changed."""
        ...

    async def upcoming_for_user(
        self, user_id: int, today: date, limit: int = 10
    ) -> list[DeadlineView]: ...

    async def add_deadline(
        self, draft: DeadlineDraft, created_by: int | None, now: datetime
    ) -> int:
        """Stored now; its outbox rows are materialized by the next reminders job tick."""
        ...

    async def update_deadline(self, deadline_id: int, draft: DeadlineDraft, now: datetime) -> bool:
        """Replaces the deadline; its pending reminders are cancelled and planned anew."""
        ...

    async def delete_deadline(self, deadline_id: int, now: datetime) -> bool: ...

    async def get_deadline(self, deadline_id: int) -> DeadlineView | None: ...

    async def concerns(self, deadline_id: int, user_id: int) -> bool:
        """The deadline exists and is one `upcoming_for_user` could list for this user."""
        ...

    async def list_deadlines(
        self, kind: str, from_day: date, limit: int = 30
    ) -> list[DeadlineView]: ...

    async def mark_done(self, deadline_id: int, user_id: int, now: datetime) -> bool:
        """No more reminders of this deadline for this user; False if it does not exist."""
        ...

    async def snooze(
        self,
        deadline_id: int,
        user_id: int,
        *,
        target: Target,
        reply: Reply,
        due_at: datetime,
        expires_at: datetime,
        now: datetime,
    ) -> bool: ...

    async def add_submission_milestones(
        self, submission_ref: str, user_id: int, drafts: list[DeadlineDraft], now: datetime
    ) -> list[int]:
        """Register `user_id` as holder of the submission and store its milestone deadlines."""
        ...

    async def find_user(self, channel: str, external_id: str) -> int | None: ...

    async def count_audience(self, audience: Audience) -> int: ...

    async def create_broadcast(
        self, text: str, audience: Audience, reply: Reply, created_by: int | None, now: datetime
    ) -> tuple[int, int]:
        """Queue one outbox row per recipient now; (broadcast id, recipient count)."""
        ...

    async def broadcast_figures(self, broadcast_id: int) -> BroadcastFigures | None: ...

    async def recent_broadcasts(self, limit: int = 5) -> list[BroadcastFigures]: ...
