"""Officers' workspace: hand-off tickets and messages, web sign-in codes, sessions, audit log,
officer-assigned example questions.

Revision ID: 0012_officer
Revises: 0010_journeys
"""

import sqlalchemy as sa
from alembic import op

from bot.db.models import IdType
from bot.db.types import JsonType, UtcDateTime

revision = "0012_officer"
down_revision = "0010_journeys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "officer_tickets",
        sa.Column("id", IdType, primary_key=True, autoincrement=True),
        sa.Column(
            "user_id", IdType, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("owner_target", sa.String(100), nullable=False),
        sa.Column("owner_name", sa.String(128)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("context", sa.Text, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_officer_tickets_user_id", "officer_tickets", ["user_id"])
    op.create_index("ix_officer_tickets_status", "officer_tickets", ["status"])
    op.create_table(
        "officer_ticket_messages",
        sa.Column("id", IdType, primary_key=True, autoincrement=True),
        sa.Column(
            "ticket_id",
            IdType,
            sa.ForeignKey("officer_tickets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("attachment", JsonType),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index(
        "ix_officer_ticket_messages_ticket_id", "officer_ticket_messages", ["ticket_id"]
    )
    op.create_table(
        "officer_login_codes",
        sa.Column("id", IdType, primary_key=True, autoincrement=True),
        sa.Column("officer_id", sa.String(100), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime()),
    )
    op.create_index("ix_officer_login_codes_officer_id", "officer_login_codes", ["officer_id"])
    op.create_index("ix_officer_login_codes_created_at", "officer_login_codes", ["created_at"])
    op.create_table(
        "officer_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("officer_id", sa.String(100), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime()),
    )
    op.create_index("ix_officer_sessions_officer_id", "officer_sessions", ["officer_id"])
    op.create_table(
        "officer_audit",
        sa.Column("id", IdType, primary_key=True, autoincrement=True),
        sa.Column("officer_id", sa.String(100), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_officer_audit_officer_id", "officer_audit", ["officer_id"])
    op.create_index("ix_officer_audit_at", "officer_audit", ["at"])
    op.create_table(
        "officer_examples",
        sa.Column("id", IdType, primary_key=True, autoincrement=True),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("text", sa.String(300), nullable=False),
        sa.Column("officer_id", sa.String(100), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_officer_examples_topic", "officer_examples", ["topic"])


def downgrade() -> None:
    op.drop_table("officer_examples")
    op.drop_table("officer_audit")
    op.drop_table("officer_sessions")
    op.drop_table("officer_login_codes")
    op.drop_table("officer_ticket_messages")
    op.drop_table("officer_tickets")
