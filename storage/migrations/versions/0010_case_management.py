"""Case management: assigned case managers (with history), staff gender, sessions, the
reintegration plan in versions, activity progress, the provider directory, referrals,
unmet needs and the questions the bot puts to a returnee about them

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PERSON = "participants.id"


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch_op:
        batch_op.add_column(sa.Column("gender", sa.String(8), nullable=True))
    op.create_table(
        "case_assignments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("staff_pseudonym", sa.String(16), nullable=False),
        sa.Column("assigned_by", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["participant_id"], [_PERSON], ondelete="CASCADE",
                                name="fk_case_assignments_participant_id_participants"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="SET NULL",
                                name="fk_case_assignments_staff_id_staff"),
    )
    op.create_index("ix_case_assignments_participant_id", "case_assignments",
                    ["participant_id"])
    op.create_index("ix_case_assignments_staff_id", "case_assignments", ["staff_id"])
    op.create_index("uq_case_assignments_open", "case_assignments", ["participant_id"],
                    unique=True, sqlite_where=sa.text("ended_at IS NULL"),
                    postgresql_where=sa.text("ended_at IS NULL"))
    op.create_table(
        "case_files",
        sa.Column("participant_id", sa.Integer(), primary_key=True),
        sa.Column("preferred_gender", sa.String(8), nullable=True),
        sa.Column("plan_date", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], [_PERSON], ondelete="CASCADE",
                                name="fk_case_files_participant_id_participants"),
    )
    op.create_table(
        "case_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("staff_pseudonym", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], [_PERSON], ondelete="CASCADE",
                                name="fk_case_sessions_participant_id_participants"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="SET NULL",
                                name="fk_case_sessions_staff_id_staff"),
    )
    op.create_index("ix_case_sessions_participant_id", "case_sessions", ["participant_id"])
    op.create_table(
        "plan_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("plan_date", sa.Date(), nullable=True),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("consent", sa.String(16), nullable=True),
        sa.Column("consent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["participant_id"], [_PERSON], ondelete="CASCADE",
                                name="fk_plan_versions_participant_id_participants"),
    )
    op.create_index("ix_plan_versions_participant_id", "plan_versions", ["participant_id"])
    op.create_index("uq_plan_versions_number", "plan_versions", ["participant_id", "version"],
                    unique=True)
    op.create_table(
        "plan_progress",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("activity", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], [_PERSON], ondelete="CASCADE",
                                name="fk_plan_progress_participant_id_participants"),
    )
    op.create_index("ix_plan_progress_participant_id", "plan_progress", ["participant_id"])
    op.create_table(
        "providers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("contact", sa.String(200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_providers_country", "providers", ["country"])
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("provider_ref", sa.String(40), nullable=False),
        sa.Column("provider_name", sa.String(200), nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("shared", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("consent_version", sa.String(32), nullable=True),
        sa.Column("consent_at", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ask_at", sa.DateTime(), nullable=True),
        sa.Column("reached", sa.Boolean(), nullable=True),
        sa.Column("helped", sa.String(16), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["participant_id"], [_PERSON], ondelete="CASCADE",
                                name="fk_referrals_participant_id_participants"),
    )
    op.create_index("ix_referrals_participant_id", "referrals", ["participant_id"])
    op.create_index("ix_referrals_country", "referrals", ["country"])
    op.create_table(
        "unmet_needs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], [_PERSON], ondelete="CASCADE",
                                name="fk_unmet_needs_participant_id_participants"),
    )
    op.create_index("ix_unmet_needs_participant_id", "unmet_needs", ["participant_id"])
    op.create_index("ix_unmet_needs_country", "unmet_needs", ["country"])
    op.create_table(
        "case_questions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("asked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["participant_id"], [_PERSON], ondelete="CASCADE",
                                name="fk_case_questions_participant_id_participants"),
    )
    op.create_index("ix_case_questions_participant_id", "case_questions", ["participant_id"])
    op.create_index("ix_case_questions_due", "case_questions", ["status", "due_at"])


def downgrade() -> None:
    for table in ("case_questions", "unmet_needs", "referrals", "providers", "plan_progress",
                  "plan_versions", "case_sessions", "case_files", "case_assignments"):
        op.drop_table(table)
    with op.batch_alter_table("staff") as batch_op:
        batch_op.drop_column("gender")
