"""Outbox delivery: Tier 1 deadlines, bundles of alerts, leases that die with their sender

Revision ID: 0012
Revises: 0008
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("deadline", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("bundle", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("leased_by", sa.String(32), nullable=True))
        batch_op.create_index("ix_outbox_deadline", ["deadline"])
    op.create_table(
        "sender_beats",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("beat_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sender_beats")),
    )


def downgrade() -> None:
    op.drop_table("sender_beats")
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index("ix_outbox_deadline")
        batch_op.drop_column("leased_by")
        batch_op.drop_column("bundle")
        batch_op.drop_column("deadline")
