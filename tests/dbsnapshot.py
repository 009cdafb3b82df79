"""Every row of every table (Base.metadata, so new tables are included without edits)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.db.models import Base


async def snapshot(app, *, skip: frozenset[str] = frozenset()) -> dict[str, list[tuple[Any, ...]]]:
    """{table: sorted rows as tuples of strings} for every table not in `skip`."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    async with app.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = (await session.execute(select(table))).all()
            tables[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
    return tables
