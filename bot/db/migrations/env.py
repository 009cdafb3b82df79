"""Alembic environment: migrations always run on a connection handed in by bot.db.migrate."""

from alembic import context

import bot.channels.registry  # noqa: F401 - registers the channel tables
from bot.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `python -m bot db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
