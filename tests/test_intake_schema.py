"""The 0003_intake migration creates exactly the tables and columns the models declare."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.db.engine import Database
from bot.db.models import Base

INTAKE_TABLES = {"intake_consents", "submissions", "submission_drafts", "submission_events"}


def _diff(connection):
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return compare_metadata(context, Base.metadata)


async def test_migration_matches_models(database_url):
    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(_diff)
    finally:
        await db.dispose()
    ours = [d for d in diff if any(t in repr(d) for t in INTAKE_TABLES)]
    assert ours == []
