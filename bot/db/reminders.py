"""Reminders storage (handlers.deadline_store.RemindersPort) inside the caller's transaction."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import and_, exists, or_, select, update

from bot.db import audience as audiences
from bot.db import outbox as outbox_rows
from bot.db import tables
from bot.db.broadcasts import BroadcastRepository
from bot.db.upsert import insert_for
from handlers.deadline_store import SubscriptionView
from handlers.deadlines import Audience, DeadlineDraft, DeadlineView
from handlers.messages import Reply, Target


def reminder_key_prefix(deadline_id: int) -> str:
    return f"rem:{deadline_id}:"


def draft_values(draft: DeadlineDraft) -> dict[str, Any]:
    return {
        "kind": draft.kind,
        "title": draft.title[:200],
        "due_on": draft.due_on,
        "due_time": draft.due_time.strftime("%H:%M") if draft.due_time else None,
        "description": draft.description,
        "source": (draft.source or None) and draft.source[:200],
        "audience_kind": draft.audience.kind,
        "audience_value": draft.audience.value,
        "offsets": list(draft.offsets),
    }


def view_of(row: Any) -> DeadlineView:
    due_time = time.fromisoformat(row.due_time) if row.due_time else None
    draft = DeadlineDraft(
        title=row.title,
        due_on=row.due_on,
        due_time=due_time,
        description=row.description,
        source=row.source,
        kind=row.kind,
        audience=Audience(row.audience_kind, row.audience_value),
        offsets=tuple(row.offsets),
    )
    return DeadlineView(row.id, row.revision, draft)


def _concerning(user_id: int) -> Any:
    """Deadlines addressed to this user: all, their sector, their dossiers, their own."""
    kind, value = tables.deadlines.c.audience_kind, tables.deadlines.c.audience_value
    sector = (
        select(audiences.user_sector())
        .select_from(
            tables.users.outerjoin(
                tables.subscriptions, tables.subscriptions.c.user_id == tables.users.c.id
            )
        )
        .where(tables.users.c.id == user_id)
        .scalar_subquery()
    )
    held = select(tables.holders.c.submission_ref).where(tables.holders.c.user_id == user_id)
    return or_(
        kind == "all",
        and_(kind == "sector", value == sector),
        and_(kind == "submission", value.in_(held)),
        and_(kind == "user", value == str(user_id)),
    )


class RemindersRepository(BroadcastRepository):
    """Deadlines, subscriptions, done marks and snoozes; broadcasts come from the base."""

    async def subscription(self, user_id: int) -> SubscriptionView | None:
        row = (
            await self.session.execute(
                select(tables.subscriptions).where(tables.subscriptions.c.user_id == user_id)
            )
        ).first()
        return None if row is None else SubscriptionView(row.status == "subscribed", row.sector)

    async def set_subscription(
        self, user_id: int, subscribed: bool, now: datetime, sector: str | None = None
    ) -> None:
        status = "subscribed" if subscribed else "unsubscribed"
        values: dict[str, Any] = {"status": status, "changed_at": now}
        if sector is not None:
            values["sector"] = sector
        stmt = insert_for(self.dialect, tables.subscriptions).values(user_id=user_id, **values)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[tables.subscriptions.c.user_id], set_=values
            )
        )
        await outbox_rows.set_muted(self.session, user_id, muted=not subscribed)

    async def set_sector(self, user_id: int, sector: str, now: datetime) -> bool:
        """Remember the user's sector; True when it changed. A subscriber's change is
        caught up by the scheduler (sector deadlines already planned reach them too)."""
        changed = await self.session.execute(
            update(tables.users)
            .where(
                tables.users.c.id == user_id,
                or_(tables.users.c.sector.is_(None), tables.users.c.sector != sector),
            )
            .values(sector=sector)
        )
        if not getattr(changed, "rowcount", 0):
            return False
        await self.session.execute(
            update(tables.subscriptions)
            .where(
                tables.subscriptions.c.user_id == user_id,
                tables.subscriptions.c.status == "subscribed",
            )
            .values(changed_at=now)
        )
        return True

    async def upcoming_for_user(
        self, user_id: int, today: date, limit: int = 10
    ) -> list[DeadlineView]:
        """What concerns this user (whether or not they subscribed), minus what they finished."""
        finished = exists().where(
            tables.done.c.deadline_id == tables.deadlines.c.id, tables.done.c.user_id == user_id
        )
        rows = await self.session.execute(
            select(tables.deadlines)
            .where(
                tables.deadlines.c.deleted_at.is_(None),
                tables.deadlines.c.due_on >= today,
                _concerning(user_id),
                ~finished,
            )
            .order_by(tables.deadlines.c.due_on, tables.deadlines.c.id)
            .limit(limit)
        )
        return [view_of(row) for row in rows]

    async def add_deadline(
        self, draft: DeadlineDraft, created_by: int | None, now: datetime
    ) -> int:
        stmt = (
            tables.deadlines.insert()
            .values(
                **draft_values(draft),
                created_by=created_by,
                revision=1,
                materialized_revision=0,
                created_at=now,
                updated_at=now,
            )
            .returning(tables.deadlines.c.id)
        )
        deadline_id: int = (await self.session.execute(stmt)).scalar_one()
        return deadline_id

    async def update_deadline(self, deadline_id: int, draft: DeadlineDraft, now: datetime) -> bool:
        result = await self.session.execute(
            update(tables.deadlines)
            .where(tables.deadlines.c.id == deadline_id, tables.deadlines.c.deleted_at.is_(None))
            .values(
                **draft_values(draft), revision=tables.deadlines.c.revision + 1, updated_at=now
            )
            .returning(tables.deadlines.c.id)
        )
        if result.first() is None:
            return False
        await self._cancel_rows(deadline_id)
        return True

    async def delete_deadline(self, deadline_id: int, now: datetime) -> bool:
        result = await self.session.execute(
            update(tables.deadlines)
            .where(tables.deadlines.c.id == deadline_id, tables.deadlines.c.deleted_at.is_(None))
            .values(deleted_at=now, updated_at=now)
            .returning(tables.deadlines.c.id)
        )
        if result.first() is None:
            return False
        await self._cancel_rows(deadline_id)
        return True

    async def _cancel_rows(self, deadline_id: int, user_id: int | None = None) -> None:
        prefix = reminder_key_prefix(deadline_id)
        await outbox_rows.cancel_by_key_prefix(self.session, prefix, user_id)

    async def concerns(self, deadline_id: int, user_id: int) -> bool:
        row = await self.session.execute(
            select(tables.deadlines.c.id).where(
                tables.deadlines.c.id == deadline_id,
                tables.deadlines.c.deleted_at.is_(None),
                _concerning(user_id),
            )
        )
        return row.first() is not None

    async def get_deadline(self, deadline_id: int) -> DeadlineView | None:
        row = (
            await self.session.execute(
                select(tables.deadlines).where(
                    tables.deadlines.c.id == deadline_id, tables.deadlines.c.deleted_at.is_(None)
                )
            )
        ).first()
        return None if row is None else view_of(row)

    async def list_deadlines(
        self, kind: str, from_day: date, limit: int = 30
    ) -> list[DeadlineView]:
        rows = await self.session.execute(
            select(tables.deadlines)
            .where(
                tables.deadlines.c.kind == kind,
                tables.deadlines.c.deleted_at.is_(None),
                tables.deadlines.c.due_on >= from_day,
            )
            .order_by(tables.deadlines.c.due_on, tables.deadlines.c.id)
            .limit(limit)
        )
        return [view_of(row) for row in rows]

    async def mark_done(self, deadline_id: int, user_id: int, now: datetime) -> bool:
        if await self.get_deadline(deadline_id) is None:
            return False
        stmt = insert_for(self.dialect, tables.done).values(
            deadline_id=deadline_id, user_id=user_id, done_at=now
        )
        await self.session.execute(stmt.on_conflict_do_nothing())
        await self._cancel_rows(deadline_id, user_id)
        return True

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
    ) -> bool:
        view = await self.get_deadline(deadline_id)
        if view is None or due_at >= expires_at:
            return False
        key = f"rem:{deadline_id}:{view.revision}:{user_id}:z{due_at:%Y%m%d%H%M}"
        row = outbox_rows.new_row(
            key=key,
            kind="reminder",
            target=target,
            reply=reply,
            due_at=due_at,
            now=now,
            user_id=user_id,
            expires_at=expires_at,
        )
        await outbox_rows.enqueue(self.session, row)
        return True

    async def add_submission_milestones(
        self, submission_ref: str, user_id: int, drafts: list[DeadlineDraft], now: datetime
    ) -> list[int]:
        holder = insert_for(self.dialect, tables.holders).values(
            submission_ref=submission_ref, user_id=user_id
        )
        await self.session.execute(holder.on_conflict_do_nothing())
        return [await self.add_deadline(draft, user_id, now) for draft in drafts]

    async def find_user(self, channel: str, external_id: str) -> int | None:
        return (
            await self.session.execute(
                select(tables.users.c.id).where(
                    tables.users.c.channel == channel, tables.users.c.external_id == external_id
                )
            )
        ).scalar()
