"""Follow-up after support: support records and check-ins (issue 14).

Revision ID: 0007_effectiveness
Revises: 0006_zalo
"""

import sqlalchemy as sa
from alembic import op

from bot.db.models import IdType
from bot.db.types import JsonType, UtcDateTime

revision = "0007_effectiveness"
down_revision = "0006_zalo"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "support_records",
        sa.Column("id", IdType, primary_key=True, autoincrement=True),
        sa.Column(
            "submission_id",
            IdType,
            sa.ForeignKey("submissions.id", ondelete="SET NULL"),
            unique=True,
        ),
        sa.Column("user_id", IdType, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("owner_target", sa.String(100)),
        sa.Column("province", sa.String(40)),
        sa.Column("support_type", sa.String(40), nullable=False),
        sa.Column("sector", sa.String(60)),
        sa.Column("establishment", sa.String(200), nullable=False),
        sa.Column("state_support", sa.BigInteger, nullable=False),
        sa.Column("own_capital", sa.BigInteger, nullable=False),
        sa.Column("completed_on", sa.Date, nullable=False),
        sa.Column("baseline", JsonType, nullable=False),
        sa.Column("refused_at", UtcDateTime()),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_support_records_user_id", "support_records", ["user_id"])
    op.create_index("ix_support_records_province", "support_records", ["province"])
    op.create_table(
        "checkins",
        sa.Column("id", IdType, primary_key=True, autoincrement=True),
        sa.Column(
            "support_id",
            IdType,
            sa.ForeignKey("support_records.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("offset_months", sa.Integer, nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("outbox_key", sa.String(200)),
        sa.Column("reminder_key", sa.String(200)),
        sa.Column("answers", JsonType, nullable=False),
        sa.Column("started_at", UtcDateTime()),
        sa.Column("completed_at", UtcDateTime()),
        sa.UniqueConstraint("support_id", "offset_months", name="uq_checkins_offset"),
    )
    op.create_index("ix_checkins_support_id", "checkins", ["support_id"])


def downgrade() -> None:
    op.drop_index("ix_checkins_support_id", table_name="checkins")
    op.drop_table("checkins")
    op.drop_index("ix_support_records_province", table_name="support_records")
    op.drop_index("ix_support_records_user_id", table_name="support_records")
    op.drop_table("support_records")
