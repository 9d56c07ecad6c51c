"""Information: pre-departure checklist per participant, "was this useful?" feedback

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch_op:
        batch_op.add_column(sa.Column("checklist", sa.JSON(), nullable=False,
                                      server_default="{}"))
    op.create_table(
        "info_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("topic", sa.String(16), nullable=False),
        sa.Column("useful", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"],
                                name=op.f("fk_info_feedback_participant_id_participants"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_info_feedback")),
    )
    op.create_index("ix_info_feedback_participant_id", "info_feedback", ["participant_id"])


def downgrade() -> None:
    op.drop_table("info_feedback")
    with op.batch_alter_table("participants") as batch_op:
        batch_op.drop_column("checklist")
