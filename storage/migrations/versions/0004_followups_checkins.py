"""Follow-ups, check-ins, W-model points; participants' profile and last mood

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch_op:
        batch_op.add_column(sa.Column("profile", sa.String(16), nullable=False,
                                      server_default="standard"))
        batch_op.add_column(sa.Column("last_mood", sa.Integer(), nullable=True))
    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("next_reminder_at", sa.DateTime(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"],
                                name=op.f("fk_followups_participant_id_participants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followups")),
    )
    op.create_index("ix_followups_participant_id", "followups", ["participant_id"])
    op.create_index("ix_followups_due", "followups", ["status", "due_at"])
    op.create_index("ix_followups_reminder", "followups", ["status", "next_reminder_at"])
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("followup_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("mood", sa.Integer(), nullable=True),
        sa.Column("events", sa.Text(), nullable=True),
        sa.Column("needs", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"],
                                name=op.f("fk_checkins_participant_id_participants"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["followup_id"], ["followups.id"],
                                name=op.f("fk_checkins_followup_id_followups"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
    )
    op.create_index("ix_checkins_participant_id", "checkins", ["participant_id"])
    op.create_table(
        "wmodel_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("months_since_return", sa.Float(), nullable=True),
        sa.Column("dimension", sa.String(16), nullable=True),
        sa.Column("intensity", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"],
                                name=op.f("fk_wmodel_events_participant_id_participants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wmodel_events")),
    )
    op.create_index("ix_wmodel_events_participant_id", "wmodel_events", ["participant_id"])


def downgrade() -> None:
    op.drop_table("wmodel_events")
    op.drop_table("checkins")
    op.drop_table("followups")
    with op.batch_alter_table("participants") as batch_op:
        batch_op.drop_column("last_mood")
        batch_op.drop_column("profile")
