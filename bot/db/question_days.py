"""Questions the FAQ answered or abstained on, counted per local day (table question_days).

The dispatcher adds the events a handled message emitted ("faq.answered", "faq.abstained",
handlers/faq.py) in that message's own transaction, so a retried message is not counted
twice; the officers' overview draws answered vs abstained per week from these counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models_faq import QuestionDayRow
from bot.db.types import table_of
from bot.db.upsert import insert_for

_days = table_of(QuestionDayRow)
_COUNTED = {"faq.answered": "answered", "faq.abstained": "abstained"}


async def count(session: AsyncSession, events: Iterable[str], day: date) -> None:
    """Add this message's answered/abstained events to `day` (local date); no-op otherwise."""
    added = {"answered": 0, "abstained": 0}
    for event in events:
        if event in _COUNTED:
            added[_COUNTED[event]] += 1
    if not any(added.values()):
        return
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    stmt = insert_for(dialect, _days).values(day=day, **added)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_days.c.day],
        set_={name: _days.c[name] + value for name, value in added.items()},
    )
    await session.execute(stmt)


async def per_week(session: AsyncSession, since: date) -> list[tuple[date, int, int]]:
    """(Monday of the ISO week, answered, abstained) for every week with counts from `since`,
    oldest first."""
    rows = await session.execute(
        select(_days.c.day, _days.c.answered, _days.c.abstained)
        .where(_days.c.day >= since)
        .order_by(_days.c.day)
    )
    weeks: dict[date, list[int]] = {}
    for row in rows:
        day: date = row.day
        monday = day - timedelta(days=day.weekday())
        totals = weeks.setdefault(monday, [0, 0])
        totals[0] += int(row.answered)
        totals[1] += int(row.abstained)
    return [(monday, a, b) for monday, (a, b) in weeks.items()]


async def totals(session: AsyncSession) -> tuple[int, int]:
    """(answered, abstained) over every counted day."""
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(_days.c.answered), 0),
                func.coalesce(func.sum(_days.c.abstained), 0),
            )
        )
    ).one()
    return int(row[0]), int(row[1])
