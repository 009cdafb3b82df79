"""Zalo OA: token pair, reply window and numbered-button memory per user.

Revision ID: 0006_zalo
Revises: 0005_telegram
"""

import sqlalchemy as sa
from alembic import op

from bot.db.types import JsonType, UtcDateTime

revision = "0006_zalo"
down_revision = "0005_telegram"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zalo_tokens",
        sa.Column("app_id", sa.String(64), primary_key=True),
        sa.Column("access_token", sa.Text, nullable=False),
        sa.Column("refresh_token", sa.Text, nullable=False),
        sa.Column("expires_at", UtcDateTime()),
        sa.Column("seed_digest", sa.String(64), nullable=False),
        sa.Column("lease_owner", sa.String(32)),
        sa.Column("lease_until", UtcDateTime()),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "zalo_conversations",
        sa.Column("zalo_user_id", sa.String(64), primary_key=True),
        sa.Column("last_inbound_at", UtcDateTime()),
        sa.Column("last_inbound_msg_id", sa.String(128)),
        sa.Column("replies_used", sa.Integer, nullable=False),
        sa.Column("numbered_buttons", JsonType),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("zalo_conversations")
    op.drop_table("zalo_tokens")
