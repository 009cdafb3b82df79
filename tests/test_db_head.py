"""Start-up recognises a database already at the head revision without Alembic, and
still migrates one that is behind (bot/db/migrate.py)."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.db.engine import Database
from bot.db.migrate import alembic_config, at_head, head_revision, upgrade


def test_head_read_from_the_files_is_alembics_head() -> None:
    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_two_heads_or_unusual_files_leave_the_decision_to_alembic(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text('revision = "a"\ndown_revision = None\n')
    (tmp_path / "b.py").write_text('revision = "b"\ndown_revision = None\n')
    assert head_revision(tmp_path) is None
    (tmp_path / "b.py").write_text('revision: str = "b"\ndown_revision: str | None = "a"\n')
    assert head_revision(tmp_path) == "b"
    (tmp_path / "c.py").write_text('revision = "c"\ndown_revision = ("a", "b")\n')
    assert head_revision(tmp_path) is None


async def test_a_database_behind_the_head_is_migrated(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/m.db")
    try:
        assert not await at_head(db)  # no version table yet
        await upgrade(db, "0002_faq")  # an explicit revision always goes through Alembic
        assert not await at_head(db)
        await upgrade(db)
        assert await at_head(db)
        async with db.engine.connect() as conn:
            version = (
                await conn.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar()
        assert version == head_revision()
    finally:
        await db.dispose()
