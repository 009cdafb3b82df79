"""Broadcasts: one outbox row per recipient, queued with the officer's confirmation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import audience as audiences
from bot.db import outbox as outbox_rows
from bot.db.models_reminders import Broadcast
from bot.db.outbox import OutboxStatus
from bot.db.types import table_of
from handlers.deadline_store import BroadcastFigures
from handlers.deadlines import Audience
from handlers.messages import Reply, Target

_broadcasts = table_of(Broadcast)


class BroadcastRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect = session.bind.dialect.name if session.bind else "sqlite"

    async def count_audience(self, audience: Audience) -> int:
        inner = audiences.recipients(audience).subquery()
        return (await self.session.execute(select(func.count()).select_from(inner))).scalar_one()

    async def create_broadcast(
        self, text: str, audience: Audience, reply: Reply, created_by: int | None, now: datetime
    ) -> tuple[int, int]:
        people = (await self.session.execute(audiences.recipients(audience))).all()
        broadcast_id = (
            await self.session.execute(
                _broadcasts.insert()
                .values(
                    text=text,
                    audience_kind=audience.kind,
                    audience_value=audience.value,
                    payload=reply.to_dict(),
                    recipients=len(people),
                    created_by=created_by,
                    created_at=now,
                )
                .returning(_broadcasts.c.id)
            )
        ).scalar_one()
        rows = [
            outbox_rows.new_row(
                key=f"{outbox_rows.broadcast_prefix(broadcast_id)}{p.user_id}",
                kind="broadcast",
                target=Target(p.channel, p.external_id),
                reply=reply,
                due_at=now,
                now=now,
                user_id=p.user_id,
            )
            for p in people
        ]
        await outbox_rows.enqueue_many(self.session, rows)
        return broadcast_id, len(people)

    async def broadcast_figures(self, broadcast_id: int) -> BroadcastFigures | None:
        row = (
            await self.session.execute(select(_broadcasts).where(_broadcasts.c.id == broadcast_id))
        ).first()
        if row is None:
            return None
        counts = await outbox_rows.count_by_status(
            self.session, outbox_rows.broadcast_prefix(broadcast_id)
        )
        waiting = sum(counts.get(s, 0) for s in outbox_rows.WAITING)
        return BroadcastFigures(
            id=row.id,
            text=row.text,
            created_at=row.created_at,
            recipients=row.recipients,
            sent=counts.get(OutboxStatus.SENT, 0),
            failed=counts.get(OutboxStatus.FAILED, 0),
            unreachable=counts.get(OutboxStatus.UNREACHABLE, 0),
            waiting=waiting,
            uncertain=counts.get(OutboxStatus.UNCERTAIN, 0),
        )

    async def recent_broadcasts(self, limit: int = 5) -> list[BroadcastFigures]:
        ids: list[int] = list(
            (await self.session.execute(
                select(_broadcasts.c.id).order_by(_broadcasts.c.id.desc()).limit(limit)
            )).scalars()
        )
        figures = [await self.broadcast_figures(i) for i in ids]
        return [f for f in figures if f is not None]
