"""What the core needs from the outside world, as Protocols the runtime implements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from handlers.deadline_store import RemindersPort
from handlers.messages import Reply, Target


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class OutboxPort(Protocol):
    async def enqueue(
        self,
        *,
        key: str,
        target: Target,
        reply: Reply,
        due_at: datetime,
        kind: str = "notice",
        user_id: int | None = None,
    ) -> bool:
        """Queue a push for later delivery; False when `key` was queued before."""
        ...


class Store(Protocol):
    """The unit of work handed to a handler: every write commits with the reply or not at all."""

    outbox: OutboxPort
    reminders: RemindersPort


@dataclass(frozen=True, slots=True)
class UserRef:
    id: int
    channel: str
    external_id: str
    display_name: str | None
    is_officer: bool
