"""Submissions repository (handlers.ports.SubmissionStore) inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import tables
from bot.db.erasure import erase_person
from bot.db.types import record_of
from handlers.ports import SubmissionRecord


class SubmissionRepository:
    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self.session = session
        self._now = now

    async def has_consent(self, user_id: int, version: str) -> bool:
        row = await self.session.execute(
            select(tables.consents.c.id).where(
                tables.consents.c.user_id == user_id,
                tables.consents.c.version == version,
                tables.consents.c.withdrawn_at.is_(None),
            )
        )
        return row.first() is not None

    async def record_consent(self, user_id: int, version: str) -> None:
        await self.session.execute(
            insert(tables.consents).values(user_id=user_id, version=version, given_at=self._now)
        )

    async def create(
        self, *, user_id: int, owner_target: str, establishment: str, answers: dict[str, Any]
    ) -> int:
        result = await self.session.execute(
            insert(tables.submissions)
            .values(
                user_id=user_id,
                owner_target=owner_target,
                status="submitted",
                establishment=establishment[:200],
                answers=answers,
                created_at=self._now,
                updated_at=self._now,
            )
            .returning(tables.submissions.c.id)
        )
        submission_id: int = result.scalar_one()
        await self._event(submission_id, "submitted", "owner", None)
        return submission_id

    async def update_answers(
        self, submission_id: int, establishment: str, answers: dict[str, Any]
    ) -> None:
        await self.session.execute(
            update(tables.submissions)
            .where(tables.submissions.c.id == submission_id)
            .values(establishment=establishment[:200], answers=answers, updated_at=self._now)
        )

    async def next_draft_version(self, submission_id: int) -> int:
        current = await self.session.execute(
            select(func.max(tables.drafts.c.version)).where(
                tables.drafts.c.submission_id == submission_id
            )
        )
        return (current.scalar() or 0) + 1

    async def add_draft(self, submission_id: int, version: int, path: str, name: str) -> None:
        await self.session.execute(
            insert(tables.drafts).values(
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
            update(tables.submissions)
            .where(tables.submissions.c.id == submission_id)
            .values(status=status, officer_note=note, updated_at=self._now)
        )
        await self._event(submission_id, status, actor, note)

    async def _event(self, submission_id: int, status: str, actor: str, note: str | None) -> None:
        await self.session.execute(
            insert(tables.events).values(
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
                tables.drafts.c.submission_id,
                func.max(tables.drafts.c.version).label("version"),
            )
            .group_by(tables.drafts.c.submission_id)
            .subquery()
        )
        return (
            select(
                tables.submissions,
                tables.drafts.c.version,
                tables.drafts.c.path,
                tables.drafts.c.name,
            )
            .select_from(
                tables.submissions.outerjoin(
                    latest, latest.c.submission_id == tables.submissions.c.id
                ).outerjoin(
                    tables.drafts,
                    (tables.drafts.c.submission_id == tables.submissions.c.id)
                    & (tables.drafts.c.version == latest.c.version),
                )
            )
            .order_by(tables.submissions.c.id)
        )

    @staticmethod
    def _record(row: Any) -> SubmissionRecord:
        return record_of(
            SubmissionRecord,
            row,
            answers=dict(row.answers),
            draft_version=row.version or 0,
            draft_path=row.path,
            draft_name=row.name,
        )

    async def get(self, submission_id: int) -> SubmissionRecord | None:
        row = (
            await self.session.execute(
                self._select().where(tables.submissions.c.id == submission_id)
            )
        ).first()
        return self._record(row) if row else None

    async def for_user(self, user_id: int) -> list[SubmissionRecord]:
        rows = await self.session.execute(
            self._select().where(tables.submissions.c.user_id == user_id)
        )
        return [self._record(r) for r in rows]

    async def by_status(self, status: str | None, limit: int = 50) -> list[SubmissionRecord]:
        # Newest first, so a long history never hides today's submissions behind the limit.
        query = self._select().order_by(None).order_by(tables.submissions.c.id.desc())
        if status:
            query = query.where(tables.submissions.c.status == status)
        rows = await self.session.execute(query.limit(limit))
        return [self._record(r) for r in rows]

    async def erase_user(self, user_id: int) -> list[str]:
        return await erase_person(self.session, user_id, self._now)
