"""What the core needs from the outside world, as Protocols the runtime implements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

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


@dataclass(frozen=True, slots=True)
class AbstainedQuestion:
    """A question the bot did not answer, grouped by its normalised form."""

    text: str
    count: int
    last_seen_at: datetime


class AbstainedQuestionsPort(Protocol):
    async def record(self, *, key: str, text: str, reason: str, now: datetime) -> None:
        """Count one more abstention for `key` (the normalised question); `text` is redacted."""
        ...

    async def most_frequent(self, limit: int) -> list[AbstainedQuestion]:
        """The most often abstained questions, most frequent first."""
        ...


class Store(Protocol):
    """The unit of work handed to a handler: every write commits with the reply or not at all."""

    outbox: OutboxPort
    faq: AbstainedQuestionsPort


@dataclass(frozen=True, slots=True)
class UserRef:
    id: int
    channel: str
    external_id: str
    display_name: str | None
    is_officer: bool
