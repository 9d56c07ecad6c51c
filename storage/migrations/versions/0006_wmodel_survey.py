"""W model details and reflections, provider suggestions, the RSS survey

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op


revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owner(table: str) -> list[Any]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"],
                                name=op.f(f"fk_{table}_participant_id_participants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    with op.batch_alter_table("wmodel_events") as batch_op:
        batch_op.add_column(sa.Column("details", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
    op.create_table(
        "wmodel_reflections", *_owner("wmodel_reflections"),
        sa.Column("hopes", sa.Text(), nullable=True),
        sa.Column("services", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "provider_suggestions", *_owner("provider_suggestions"),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("service", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "surveys", *_owner("surveys"),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("mode", sa.String(12), nullable=False),
        sa.Column("answers", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("weights_version", sa.String(40), nullable=True),
        sa.Column("economic", sa.Float(), nullable=True),
        sa.Column("social", sa.Float(), nullable=True),
        sa.Column("psychosocial", sa.Float(), nullable=True),
        sa.Column("composite", sa.Float(), nullable=True),
        sa.Column("abstentions", sa.Integer(), nullable=True),
    )
    for table in ("wmodel_reflections", "provider_suggestions", "surveys"):
        op.create_index(f"ix_{table}_participant_id", table, ["participant_id"])
    op.create_index("ix_provider_suggestions_country", "provider_suggestions", ["country"])
    op.create_index("ix_surveys_status", "surveys", ["status"])


def downgrade() -> None:
    for table in ("surveys", "provider_suggestions", "wmodel_reflections"):
        op.drop_table(table)
    with op.batch_alter_table("wmodel_events") as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("details")
