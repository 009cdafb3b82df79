"""Intake tables: consents, submissions, draft versions, status events.

Revision ID: 0003_intake
Revises: 0002_faq
"""

import sqlalchemy as sa
from alembic import op

from bot.db.models import IdType
from bot.db.types import JsonType, UtcDateTime

revision = "0003_intake"
down_revision = "0002_faq"
branch_labels = None
depends_on = None


def _user_fk() -> sa.Column:
    return sa.Column(
        "user_id", IdType, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )


def _submission_fk() -> sa.Column:
    return sa.Column(
        "submission_id",
        IdType,
        sa.ForeignKey("submissions.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "intake_consents",
        sa.Column("id", IdType, primary_key=True, autoincrement=True),
        _user_fk(),
        sa.Column("version", sa.String(20), nullable=False),
        sa.Column("given_at", UtcDateTime(), nullable=False),
        sa.Column("withdrawn_at", UtcDateTime()),
    )
    op.create_index("ix_intake_consents_user_id", "intake_consents", ["user_id"])
    op.create_table(
        "submissions",
        sa.Column("id", IdType, primary_key=True, autoincrement=True),
        _user_fk(),
        sa.Column("owner_target", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("establishment", sa.String(200), nullable=False),
        sa.Column("answers", JsonType, nullable=False),
        sa.Column("officer_note", sa.Text),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_submissions_user_id", "submissions", ["user_id"])
    op.create_index("ix_submissions_status", "submissions", ["status"])
    op.create_table(
        "submission_drafts",
        sa.Column("id", IdType, primary_key=True, autoincrement=True),
        _submission_fk(),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("submission_id", "version", name="uq_drafts_version"),
    )
    op.create_index("ix_submission_drafts_submission_id", "submission_drafts", ["submission_id"])
    op.create_table(
        "submission_events",
        sa.Column("id", IdType, primary_key=True, autoincrement=True),
        _submission_fk(),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_submission_events_submission_id", "submission_events", ["submission_id"])


def downgrade() -> None:
    op.drop_table("submission_events")
    op.drop_table("submission_drafts")
    op.drop_table("submissions")
    op.drop_table("intake_consents")
