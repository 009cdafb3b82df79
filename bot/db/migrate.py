"""Alembic, driven from code: `db upgrade`, and start-up upgrades of an empty database.

A database already at the head revision is recognised without Alembic: the head is read
from the text of `migrations/versions/*.py` and compared with `alembic_version`, which spares
every start of `chat` and `run` the import of Alembic and the loading of every migration
script (~0.3 s on a quiet 2-core machine). Anything unusual (several heads, a revision not
written as a plain string, no version table) goes through Alembic as before.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from bot.db.engine import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Several instances may start at once against one PostgreSQL: one migrates, the others wait.
_PG_LOCK_ID = 7_351_420_911
_REVISION = re.compile(r"""^revision(?:\s*:[^=\n]+)?\s*=\s*["']([^"'\n]+)["']\s*$""", re.M)
_DOWN_REVISION = re.compile(
    r"""^down_revision(?:\s*:[^=\n]+)?\s*=\s*(?:None|["']([^"'\n]+)["'])\s*$""", re.M
)


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision(versions: Path = MIGRATIONS_DIR / "versions") -> str | None:
    """The one head revision of the migration files, read as text; None when there are
    several heads or a file declares its revisions other than as plain strings."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision = _REVISION.findall(source)
        down = _DOWN_REVISION.findall(source)
        if len(revision) != 1 or len(down) != 1:
            return None
        revisions.add(revision[0])
        if down[0]:
            parents.add(down[0])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


async def at_head(db: Database) -> bool:
    """True when the database's `alembic_version` holds exactly the head revision."""
    head = head_revision()
    if head is None:
        return False
    try:
        async with db.engine.connect() as conn:
            result = await conn.execute(text("SELECT version_num FROM alembic_version"))
            current: list[str] = list(result.scalars())
    except SQLAlchemyError:
        return False  # no version table yet: a new database
    return current == [head]


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
    command.upgrade(config, revision)


async def upgrade(db: Database, revision: str = "head") -> None:
    """Migrate to `revision`; a database already at the head is left alone."""
    if revision == "head" and await at_head(db):
        return
    async with db.engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)
