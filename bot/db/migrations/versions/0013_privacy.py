"""Erasure: who last typed an abstained question, so /xoadulieu can remove their wording.

Revision ID: 0013_privacy
Revises: 0012_officer
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_privacy"
down_revision = "0012_officer"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("abstained_questions") as batch:
        batch.add_column(
            sa.Column("asked_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"))
        )


def downgrade() -> None:
    with op.batch_alter_table("abstained_questions") as batch:
        batch.drop_column("asked_by")
