"""`INSERT … ON CONFLICT` for the two dialects we run on (same API on both)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_for(session_dialect: str, table: Table) -> Any:
    """The dialect's own insert construct, which has on_conflict_do_nothing/do_update."""
    module = postgresql if session_dialect == "postgresql" else sqlite
    return module.insert(table)
