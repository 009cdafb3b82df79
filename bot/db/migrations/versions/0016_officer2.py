"""Officers' workspace, part 2: questions answered/abstained per day (the overview chart),
and the Zalo message ids of what the OA sent to officers (a quoted ticket is an answer).

Revision ID: 0016_officer2
Revises: 0013_privacy
"""

import sqlalchemy as sa
from alembic import op

from bot.db.types import UtcDateTime

revision = "0016_officer2"
down_revision = "0014_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "question_days",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("abstained", sa.Integer(), nullable=False),
    )
    op.create_table(
        "zalo_sent_refs",
        sa.Column("message_id", sa.String(128), primary_key=True),
        sa.Column("zalo_user_id", sa.String(64), nullable=False),
        sa.Column("text", sa.String(300), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_zalo_sent_refs_sent_at", "zalo_sent_refs", ["sent_at"])


def downgrade() -> None:
    op.drop_index("ix_zalo_sent_refs_sent_at", table_name="zalo_sent_refs")
    op.drop_table("zalo_sent_refs")
    op.drop_table("question_days")
