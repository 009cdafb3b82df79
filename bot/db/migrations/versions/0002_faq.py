"""Abstained questions of the faq capability.

Revision ID: 0002_faq
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

from bot.db.models import IdType
from bot.db.types import UtcDateTime

revision = "0002_faq"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "abstained_questions",
        sa.Column("id", IdType, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(300), nullable=False, unique=True),
        sa.Column("text", sa.String(300), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_seen_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_abstained_questions_last_seen_at", "abstained_questions", ["last_seen_at"])


def downgrade() -> None:
    op.drop_table("abstained_questions")
