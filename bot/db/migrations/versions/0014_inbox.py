"""Inbound inbox: updates stored before the webhook answers, handled by a worker.

Revision ID: 0014_inbox
Revises: 0013_privacy
"""

import sqlalchemy as sa
from alembic import op

from bot.db.models import IdType
from bot.db.types import JsonType, UtcDateTime

revision = "0014_inbox"
down_revision = "0013_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", IdType, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("update_key", sa.String(128), nullable=False),
        sa.Column("chat_key", sa.String(64), nullable=False),
        sa.Column("payload", JsonType, nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("available_at", UtcDateTime(), nullable=False),
        sa.Column("claim_token", sa.String(32)),
        sa.Column("claimed_until", UtcDateTime()),
        sa.Column("error", sa.String(64)),
        sa.Column("replies", JsonType),
        sa.Column("sent", sa.Integer, nullable=False),
        sa.Column("finished_at", UtcDateTime()),
        sa.UniqueConstraint("channel", "update_key", name="uq_inbox_channel_update"),
    )
    op.create_index("ix_inbox_chat", "inbox", ["channel", "chat_key", "id"])
    op.create_index("ix_inbox_status", "inbox", ["status", "available_at"])


def downgrade() -> None:
    op.drop_table("inbox")
