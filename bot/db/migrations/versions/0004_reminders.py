"""Reminders: deadlines, subscriptions, submission holders, done marks, broadcasts.

Revision ID: 0004_reminders
Revises: 0003_intake
"""

import sqlalchemy as sa
from alembic import op

from bot.db.models import IdType
from bot.db.types import JsonType, UtcDateTime

revision = "0004_reminders"
down_revision = "0003_intake"
branch_labels = None
depends_on = None


def _user_fk(name: str, ondelete: str = "CASCADE", **kw: object) -> sa.Column:
    return sa.Column(name, IdType, sa.ForeignKey("users.id", ondelete=ondelete), **kw)


def upgrade() -> None:
    op.create_table(
        "deadlines",
        sa.Column("id", IdType, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_time", sa.String(5)),
        sa.Column("description", sa.Text),
        sa.Column("source", sa.String(200)),
        sa.Column("audience_kind", sa.String(16), nullable=False),
        sa.Column("audience_value", sa.String(64)),
        sa.Column("offsets", JsonType, nullable=False),
        _user_fk("created_by", "SET NULL"),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("materialized_revision", sa.Integer, nullable=False),
        sa.Column("deleted_at", UtcDateTime()),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_deadlines_due_on", "deadlines", ["due_on"])
    op.create_table(
        "reminder_subscriptions",
        _user_fk("user_id", primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sector", sa.String(64)),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.Column("materialized_at", UtcDateTime()),
    )
    op.create_table(
        "submission_holders",
        sa.Column("submission_ref", sa.String(64), primary_key=True),
        _user_fk("user_id", primary_key=True),
    )
    op.create_table(
        "deadline_done",
        sa.Column(
            "deadline_id",
            IdType,
            sa.ForeignKey("deadlines.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        _user_fk("user_id", primary_key=True),
        sa.Column("done_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "broadcasts",
        sa.Column("id", IdType, primary_key=True, autoincrement=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("audience_kind", sa.String(16), nullable=False),
        sa.Column("audience_value", sa.String(64)),
        sa.Column("payload", JsonType, nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False),
        _user_fk("created_by", "SET NULL"),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "broadcasts",
        "deadline_done",
        "submission_holders",
        "reminder_subscriptions",
        "deadlines",
    ):
        op.drop_table(table)
