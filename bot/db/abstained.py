"""Repository of abstained questions (handlers.ports.AbstainedQuestionsPort)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import tables
from bot.db.upsert import insert_for
from handlers.ports import AbstainedQuestion

_MAX = 300


class AbstainedQuestionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect = session.bind.dialect.name if session.bind else "sqlite"

    async def record(
        self, *, key: str, text: str, reason: str, now: datetime, user_id: int | None = None
    ) -> None:
        key, text = key[:_MAX], text[:_MAX]
        stmt = insert_for(self.dialect, tables.abstained).values(
            key=key,
            text=text,
            reason=reason,
            count=1,
            first_seen_at=now,
            last_seen_at=now,
            asked_by=user_id,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[tables.abstained.c.key],
            set_={
                "count": tables.abstained.c.count + 1,
                "text": text,
                "reason": reason,
                "last_seen_at": now,
                "asked_by": user_id,
            },
        )
        await self.session.execute(stmt)

    async def most_frequent(self, limit: int) -> list[AbstainedQuestion]:
        rows = await self.session.execute(
            select(
                tables.abstained.c.text, tables.abstained.c.count, tables.abstained.c.last_seen_at
            )
            .order_by(tables.abstained.c.count.desc(), tables.abstained.c.last_seen_at.desc())
            .limit(limit)
        )
        return [AbstainedQuestion(r.text, r[1], r.last_seen_at) for r in rows]
