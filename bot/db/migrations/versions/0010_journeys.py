"""The owner's sector on the user, learnt from the eligibility check or the intake, so that
deadlines and broadcasts for a sector (audience `nganh:`) reach them.

Revision ID: 0010_journeys
Revises: 0007_effectiveness
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_journeys"
down_revision = "0007_effectiveness"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("sector", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("sector")
