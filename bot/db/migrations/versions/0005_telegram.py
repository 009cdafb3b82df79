"""Telegram callback data map for button payloads over 64 bytes.

Revision ID: 0005_telegram
Revises: 0004_reminders
"""

import sqlalchemy as sa
from alembic import op

from bot.db.types import UtcDateTime

revision = "0005_telegram"
down_revision = "0004_reminders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telegram_callbacks",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("telegram_callbacks")
