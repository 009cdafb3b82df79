"""Outbound durability: when a row was handed to the platform, and the platform's message ids.

A row is now marked `claimed` by a dispatch pass and `sending` in its own committed write just
before the platform call (`attempted_at`); `sent` keeps the platform's ids. Statuses are plain
strings, so the new `claimed` and `uncertain` need no schema change (issue 17).

Revision ID: 0017_outbox_sending
Revises: 0016_officer2
"""

import sqlalchemy as sa
from alembic import op

from bot.db.types import UtcDateTime

revision = "0017_outbox_sending"
down_revision = "0016_officer2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("attempted_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("platform_message_id", sa.Text(), nullable=True))
    # Rows a pass had claimed under the old vocabulary ("sending" meant claimed, nothing sent
    # yet as far as the row knows) are claimed rows now: reclaimed after the claim timeout.
    op.execute("UPDATE outbox SET status = 'claimed' WHERE status = 'sending'")


def downgrade() -> None:
    op.execute("UPDATE outbox SET status = 'sending' WHERE status IN ('claimed')")
    op.execute("UPDATE outbox SET status = 'sent' WHERE status = 'uncertain'")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("platform_message_id")
        batch.drop_column("attempted_at")
