"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import JSON, DateTime, Table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

JsonType = JSON().with_variant(JSONB(), "postgresql")
R = TypeVar("R")


def table_of(model: Any) -> Table:
    """A declarative model's Table (typed as such; `__table__` is typed as a FromClause)."""
    return cast(Table, model.__table__)


def record_of(cls: type[R], row: Any, **values: Any) -> R:
    """The dataclass `cls` from a result row: each field from the row's column of the same
    name, unless `values` gives it (converted or renamed columns)."""
    names = (f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    return cls(**{n: values[n] if n in values else getattr(row, n) for n in names})


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out; SQLite would otherwise hand back naive values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
