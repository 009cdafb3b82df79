"""Alembic migrations create exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.db.models import Base


async def test_migrated_schema_matches_the_models(app):
    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return compare_metadata(context, Base.metadata)

    async with app.db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []


def test_db_upgrade_command_is_idempotent(subprocess_env, tmp_path):
    import subprocess
    import sys

    env = dict(subprocess_env, BOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/m.db")
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "bot", "db", "upgrade"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=True,
        )
        assert "cập nhật" in done.stdout


def test_ask_creates_the_schema_of_an_empty_database(subprocess_env, tmp_path):
    import subprocess
    import sys

    target = tmp_path / "fresh" / "ask.db"
    env = dict(subprocess_env, BOT_DATABASE_URL=f"sqlite+aiosqlite:///{target}")
    subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "hỗ trợ máy móc"], capture_output=True,
        env=env, timeout=60, check=True,
    )
    import sqlite3

    with sqlite3.connect(target) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"users", "conversation_states", "alembic_version"} <= tables
