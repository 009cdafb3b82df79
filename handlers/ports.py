"""What the core needs from the outside world, as Protocols the runtime implements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from handlers.checkin_store import CheckinStore
from handlers.deadline_store import RemindersPort
from handlers.messages import Reply, Target
from knowledge.templates.de_an import DraftDocument


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
        expires_at: datetime | None = None,
    ) -> bool:
        """Queue a push for later delivery; False when `key` was queued before. A row still
        unsent at `expires_at` is dropped as expired."""
        ...


@dataclass(frozen=True, slots=True)
class SubmissionRecord:
    """One intake submission as handlers see it, with its latest draft."""

    id: int
    user_id: int
    owner_target: str
    status: str
    establishment: str
    answers: dict[str, Any]
    officer_note: str | None
    created_at: datetime
    updated_at: datetime
    draft_version: int = 0
    draft_path: str | None = None
    draft_name: str | None = None


class SubmissionStore(Protocol):
    """Intake submissions, their drafts and status history, and personal-data consent."""

    async def has_consent(self, user_id: int, version: str) -> bool: ...

    async def record_consent(self, user_id: int, version: str) -> None: ...

    async def create(
        self, *, user_id: int, owner_target: str, establishment: str, answers: dict[str, Any]
    ) -> int: ...

    async def update_answers(
        self, submission_id: int, establishment: str, answers: dict[str, Any]
    ) -> None: ...

    async def next_draft_version(self, submission_id: int) -> int: ...

    async def add_draft(self, submission_id: int, version: int, path: str, name: str) -> None: ...

    async def set_status(
        self, submission_id: int, status: str, *, actor: str, note: str | None = None
    ) -> None: ...

    async def get(self, submission_id: int) -> SubmissionRecord | None: ...

    async def for_user(self, user_id: int) -> list[SubmissionRecord]: ...

    async def by_status(self, status: str | None, limit: int = 50) -> list[SubmissionRecord]: ...

    async def erase_user(self, user_id: int) -> list[str]:
        """Erase everything of the user (bot/db/erasure.py lists every table); the DOCX paths."""
        ...


class DraftRenderer(Protocol):
    """Writes files under a directory (the draft DOCX, the officers' CSV), returns (path, name)."""

    def render(self, draft: DraftDocument, directory: str) -> tuple[str, str]: ...

    def write_csv(self, rows: list[list[str]], directory: str, stem: str) -> tuple[str, str]: ...

    def delete(self, paths: list[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class AbstainedQuestion:
    """A question the bot did not answer, grouped by its normalised form."""

    text: str
    count: int
    last_seen_at: datetime


class AbstainedQuestionsPort(Protocol):
    async def record(
        self, *, key: str, text: str, reason: str, now: datetime, user_id: int | None = None
    ) -> None:
        """Count one more abstention for `key` (the normalised question); `text` is redacted
        and remembered with `user_id`, its author, until they ask for erasure."""
        ...

    async def most_frequent(self, limit: int) -> list[AbstainedQuestion]:
        """The most often abstained questions, most frequent first."""
        ...


TICKET_STATUSES = ("new", "in_progress", "answered", "closed")


@dataclass(frozen=True, slots=True)
class TicketMessage:
    """One message of a ticket: `author` is "owner" or "officer:channel:id"."""

    author: str
    text: str
    attachment: dict[str, str] | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TicketRecord:
    """A "Hỏi cán bộ" question (status one of TICKET_STATUSES) with its conversation."""

    id: int
    user_id: int
    owner_target: str
    owner_name: str | None
    status: str
    question: str
    context: str
    created_at: datetime
    updated_at: datetime
    messages: tuple[TicketMessage, ...] = ()


class TicketStore(Protocol):
    """Hand-off tickets, their messages, and the officers' audit log."""

    async def create(
        self,
        *,
        user_id: int,
        owner_target: str,
        owner_name: str | None,
        question: str,
        context: str,
        attachment: dict[str, str] | None,
    ) -> int: ...

    async def get(self, ticket_id: int) -> TicketRecord | None: ...

    async def add_message(
        self, ticket_id: int, *, author: str, text: str, attachment: dict[str, str] | None = None
    ) -> None: ...

    async def set_status(self, ticket_id: int, status: str) -> None: ...

    async def queue(self, statuses: tuple[str, ...], limit: int = 50) -> list[TicketRecord]:
        """Tickets in these statuses, oldest first (without their messages)."""
        ...

    async def for_user(self, user_id: int) -> list[TicketRecord]: ...

    async def cancel_reminder(self, ticket_id: int) -> None:
        """Cancel the "still unanswered" reminder queued for this ticket, if still waiting."""
        ...

    async def audit(self, officer_id: str, action: str, subject: str, detail: str | None) -> None:
        """Note one officer action (chat or web) in the audit log."""
        ...


class Store(Protocol):
    """The unit of work handed to a handler: every write commits with the reply or not at all."""

    # Read-only members, so an implementation may hold its concrete repositories.
    @property
    def outbox(self) -> OutboxPort: ...

    @property
    def submissions(self) -> SubmissionStore: ...

    @property
    def faq(self) -> AbstainedQuestionsPort: ...

    @property
    def reminders(self) -> RemindersPort: ...

    @property
    def checkins(self) -> CheckinStore: ...

    @property
    def tickets(self) -> TicketStore: ...


@dataclass(frozen=True, slots=True)
class UserRef:
    id: int
    channel: str
    external_id: str
    display_name: str | None
    is_officer: bool
