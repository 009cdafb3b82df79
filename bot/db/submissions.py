"""Submissions repository (handlers.ports.SubmissionStore) inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.erasure import erase_person
from bot.db.models import OutboxMessage, User
from bot.db.models_intake import IntakeConsent, Submission, SubmissionDraft, SubmissionEvent
from bot.db.types import table_of
from handlers.ports import SubmissionRecord

_consents = table_of(IntakeConsent)
_subs = table_of(Submission)
_drafts = table_of(SubmissionDraft)
_events = table_of(SubmissionEvent)
_outbox = table_of(OutboxMessage)
_users = table_of(User)


class SubmissionRepository:
    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self.session = session
        self._now = now

    async def has_consent(self, user_id: int, version: str) -> bool:
        row = await self.session.execute(
            select(_consents.c.id).where(
                _consents.c.user_id == user_id,
                _consents.c.version == version,
                _consents.c.withdrawn_at.is_(None),
            )
        )
        return row.first() is not None

    async def record_consent(self, user_id: int, version: str) -> None:
        await self.session.execute(
            insert(_consents).values(user_id=user_id, version=version, given_at=self._now)
        )

    async def create(
        self, *, user_id: int, owner_target: str, establishment: str, answers: dict[str, Any]
    ) -> int:
        result = await self.session.execute(
            insert(_subs)
            .values(
                user_id=user_id,
                owner_target=owner_target,
                status="submitted",
                establishment=establishment[:200],
                answers=answers,
                created_at=self._now,
                updated_at=self._now,
            )
            .returning(_subs.c.id)
        )
        submission_id: int = result.scalar_one()
        await self._event(submission_id, "submitted", "owner", None)
        return submission_id

    async def update_answers(
        self, submission_id: int, establishment: str, answers: dict[str, Any]
    ) -> None:
        await self.session.execute(
            update(_subs)
            .where(_subs.c.id == submission_id)
            .values(establishment=establishment[:200], answers=answers, updated_at=self._now)
        )

    async def next_draft_version(self, submission_id: int) -> int:
        current = await self.session.execute(
            select(func.max(_drafts.c.version)).where(_drafts.c.submission_id == submission_id)
        )
        return (current.scalar() or 0) + 1

    async def add_draft(self, submission_id: int, version: int, path: str, name: str) -> None:
        await self.session.execute(
            insert(_drafts).values(
                submission_id=submission_id,
                version=version,
                path=path,
                name=name,
                created_at=self._now,
            )
        )

    async def set_status(
        self, submission_id: int, status: str, *, actor: str, note: str | None = None
    ) -> None:
        await self.session.execute(
            update(_subs)
            .where(_subs.c.id == submission_id)
            .values(status=status, officer_note=note, updated_at=self._now)
        )
        await self._event(submission_id, status, actor, note)

    async def _event(self, submission_id: int, status: str, actor: str, note: str | None) -> None:
        await self.session.execute(
            insert(_events).values(
                submission_id=submission_id,
                status=status,
                actor=actor[:100],
                note=note,
                created_at=self._now,
            )
        )

    def _select(self) -> Any:
        latest = (
            select(
                _drafts.c.submission_id,
                func.max(_drafts.c.version).label("version"),
            )
            .group_by(_drafts.c.submission_id)
            .subquery()
        )
        return (
            select(_subs, _drafts.c.version, _drafts.c.path, _drafts.c.name)
            .select_from(
                _subs.outerjoin(latest, latest.c.submission_id == _subs.c.id).outerjoin(
                    _drafts,
                    (_drafts.c.submission_id == _subs.c.id)
                    & (_drafts.c.version == latest.c.version),
                )
            )
            .order_by(_subs.c.id)
        )

    @staticmethod
    def _record(row: Any) -> SubmissionRecord:
        return SubmissionRecord(
            id=row.id,
            user_id=row.user_id,
            owner_target=row.owner_target,
            status=row.status,
            establishment=row.establishment,
            answers=dict(row.answers),
            officer_note=row.officer_note,
            created_at=row.created_at,
            updated_at=row.updated_at,
            draft_version=row.version or 0,
            draft_path=row.path,
            draft_name=row.name,
        )

    async def get(self, submission_id: int) -> SubmissionRecord | None:
        row = (
            await self.session.execute(self._select().where(_subs.c.id == submission_id))
        ).first()
        return self._record(row) if row else None

    async def for_user(self, user_id: int) -> list[SubmissionRecord]:
        rows = await self.session.execute(self._select().where(_subs.c.user_id == user_id))
        return [self._record(r) for r in rows]

    async def by_status(self, status: str | None, limit: int = 50) -> list[SubmissionRecord]:
        # Newest first, so a long history never hides today's submissions behind the limit.
        query = self._select().order_by(None).order_by(_subs.c.id.desc())
        if status:
            query = query.where(_subs.c.status == status)
        rows = await self.session.execute(query.limit(limit))
        return [self._record(r) for r in rows]

    async def erase_user(self, user_id: int) -> list[str]:
        return await erase_person(self.session, user_id, self._now)
