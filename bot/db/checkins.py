"""Support records and check-ins (handlers.checkin_store.CheckinStore) in the caller's
transaction, and the plain rows of the effectiveness report."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import outbox as outbox_rows
from bot.db import tables
from bot.db.types import record_of
from handlers.checkin_store import CheckinRecord, NewSupport
from handlers.checkin_store import SupportRecord as SupportView
from knowledge.followup.effectiveness import CheckinRow, EstablishmentRow

# Rows the outbox has not delivered yet; a refusal or an erasure drops them.
ERASED_NAME = "(cơ sở đã xóa dữ liệu)"


def _support(row: Any) -> SupportView:
    return record_of(SupportView, row, baseline=dict(row.baseline or {}))


def _checkin(row: Any) -> CheckinRecord:
    return record_of(CheckinRecord, row, answers=dict(row.answers or {}))


class CheckinRepository:
    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self.session = session
        self._now = now

    async def support_for_submission(self, submission_id: int) -> SupportView | None:
        query = select(tables.supports).where(tables.supports.c.submission_id == submission_id)
        row = (await self.session.execute(query)).first()
        return _support(row) if row else None

    async def get_support(self, support_id: int) -> SupportView | None:
        query = select(tables.supports).where(tables.supports.c.id == support_id)
        row = (await self.session.execute(query)).first()
        return _support(row) if row else None

    async def create_support(self, support: NewSupport) -> int:
        values = dataclasses.asdict(support) | {
            "establishment": support.establishment[:200],
            "recorded_by": support.recorded_by[:100],
            "created_at": self._now,
        }
        result = await self.session.execute(
            insert(tables.supports).values(**values).returning(tables.supports.c.id)
        )
        return int(result.scalar_one())

    async def add_checkin(
        self,
        support_id: int,
        offset_months: int,
        due_at: datetime,
        outbox_key: str | None,
        reminder_key: str | None,
    ) -> int:
        result = await self.session.execute(
            insert(tables.checkins)
            .values(
                support_id=support_id,
                offset_months=offset_months,
                due_at=due_at,
                outbox_key=outbox_key,
                reminder_key=reminder_key,
                answers={},
            )
            .returning(tables.checkins.c.id)
        )
        return int(result.scalar_one())

    async def get_checkin(self, checkin_id: int) -> CheckinRecord | None:
        query = select(tables.checkins).where(tables.checkins.c.id == checkin_id)
        row = (await self.session.execute(query)).first()
        return _checkin(row) if row else None

    async def checkins_of(self, support_id: int) -> list[CheckinRecord]:
        query = (
            select(tables.checkins)
            .where(tables.checkins.c.support_id == support_id)
            .order_by(tables.checkins.c.offset_months)
        )
        return [_checkin(r) for r in await self.session.execute(query)]

    async def save_answers(
        self, checkin_id: int, answers: dict[str, Any], *, completed: bool
    ) -> None:
        row = (
            await self.session.execute(
                select(tables.checkins).where(tables.checkins.c.id == checkin_id)
            )
        ).first()
        if row is None:
            return
        values: dict[str, Any] = {"answers": answers}
        if row.started_at is None:
            values["started_at"] = self._now
        if completed and row.completed_at is None:
            values["completed_at"] = self._now
        await self.session.execute(
            update(tables.checkins).where(tables.checkins.c.id == checkin_id).values(**values)
        )
        if row.reminder_key:
            await self._drop_unsent([row.reminder_key])

    async def refuse(self, support_id: int) -> int:
        await self.session.execute(
            update(tables.supports)
            .where(tables.supports.c.id == support_id, tables.supports.c.refused_at.is_(None))
            .values(refused_at=self._now)
        )
        return await self._drop_unsent(await self._keys([support_id]))

    async def erase_user(self, user_id: int) -> int:
        ids: list[int] = list(
            (
                await self.session.execute(
                    select(tables.supports.c.id).where(tables.supports.c.user_id == user_id)
                )
            ).scalars()
        )
        if not ids:
            return 0
        await self._drop_unsent(await self._keys(ids))
        await self.session.execute(
            update(tables.checkins).where(tables.checkins.c.support_id.in_(ids)).values(answers={})
        )
        await self.session.execute(
            update(tables.supports)
            .where(tables.supports.c.id.in_(ids))
            .values(
                baseline={},
                establishment=ERASED_NAME,
                submission_id=None,
                owner_target=None,
                user_id=None,
                refused_at=self._now,
            )
        )
        return len(ids)

    async def _keys(self, support_ids: list[int]) -> list[str]:
        rows = await self.session.execute(
            select(tables.checkins.c.outbox_key, tables.checkins.c.reminder_key).where(
                tables.checkins.c.support_id.in_(support_ids)
            )
        )
        return [key for row in rows for key in row if key]

    async def _drop_unsent(self, keys: list[str]) -> int:
        return await outbox_rows.delete_unsent(self.session, keys)

    async def report_rows(self) -> list[EstablishmentRow]:
        return await load_report_rows(self.session)


async def load_report_rows(session: AsyncSession) -> list[EstablishmentRow]:
    """Every support record with its check-ins; a check-in counts as asked once the outbox
    delivered its message (status "sent")."""
    supports = (
        await session.execute(select(tables.supports).order_by(tables.supports.c.id))
    ).all()
    checkins = (
        await session.execute(
            select(tables.checkins, tables.outbox.c.status.label("delivery"))
            .select_from(
                tables.checkins.outerjoin(
                    tables.outbox, tables.outbox.c.dedupe_key == tables.checkins.c.outbox_key
                )
            )
            .order_by(tables.checkins.c.support_id, tables.checkins.c.offset_months)
        )
    ).all()
    by_support: dict[int, list[CheckinRow]] = {}
    for row in checkins:
        by_support.setdefault(row.support_id, []).append(
            CheckinRow(
                offset_months=row.offset_months,
                asked=row.delivery == "sent",
                answers=dict(row.answers or {}),
            )
        )
    return [
        record_of(
            EstablishmentRow,
            row,
            support_id=row.id,
            baseline=dict(row.baseline or {}),
            checkins=tuple(by_support.get(row.id, [])),
            refused=row.refused_at is not None,
        )
        for row in supports
    ]
