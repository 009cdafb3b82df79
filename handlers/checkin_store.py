"""The storage port of the follow-up after support: support records and check-ins."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from knowledge.followup.effectiveness import EstablishmentRow


@dataclass(frozen=True, slots=True)
class SupportRecord:
    """A dossier an officer marked as supported; money in đồng."""

    id: int
    submission_id: int | None
    user_id: int | None
    owner_target: str | None
    province: str | None
    support_type: str
    sector: str | None
    establishment: str
    state_support: int
    own_capital: int
    completed_on: date
    baseline: dict[str, Any] = field(default_factory=dict)
    refused_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CheckinRecord:
    """One check-in of a support record (`offset_months` after completion)."""

    id: int
    support_id: int
    offset_months: int
    due_at: datetime
    answers: dict[str, Any]
    completed_at: datetime | None
    outbox_key: str | None
    reminder_key: str | None


@dataclass(frozen=True, slots=True)
class NewSupport:
    submission_id: int
    user_id: int
    owner_target: str
    province: str | None
    support_type: str
    sector: str | None
    establishment: str
    state_support: int
    own_capital: int
    completed_on: date
    baseline: dict[str, Any]
    recorded_by: str


class CheckinStore(Protocol):
    async def support_for_submission(self, submission_id: int) -> SupportRecord | None: ...

    async def get_support(self, support_id: int) -> SupportRecord | None: ...

    async def create_support(self, support: NewSupport) -> int: ...

    async def add_checkin(
        self,
        support_id: int,
        offset_months: int,
        due_at: datetime,
        outbox_key: str | None,
        reminder_key: str | None,
    ) -> int: ...

    async def get_checkin(self, checkin_id: int) -> CheckinRecord | None: ...

    async def checkins_of(self, support_id: int) -> list[CheckinRecord]: ...

    async def save_answers(
        self, checkin_id: int, answers: dict[str, Any], *, completed: bool
    ) -> None:
        """Store the answers so far; the check-in's pending reminder is dropped (never sent)."""
        ...

    async def refuse(self, support_id: int) -> int:
        """The owner wants no more check-ins: noted, and the queued ones dropped (their count)."""
        ...

    async def erase_user(self, user_id: int) -> int:
        """/xoadulieu: check-in answers, baselines and queued check-ins of the user go; the
        officers' money figures stay, anonymised. The number of support records touched."""
        ...

    async def report_rows(self) -> list[EstablishmentRow]:
        """Every support record as a plain row for knowledge.followup.effectiveness."""
        ...
