"""The web console: login links, sessions, case notes, handoff transcripts; a queue index

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status IN ('open', 'acknowledged')")


def _staff_fk(table: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete=ondelete,
                                   name=op.f(f"fk_{table}_staff_id_staff"))


def _participant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["participant_id"], ["participants.id"], ondelete="CASCADE",
                                   name=op.f(f"fk_{table}_participant_id_participants"))


def upgrade() -> None:
    op.create_table(
        "console_login_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        _staff_fk("console_login_tokens"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_login_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_console_login_tokens_token_hash")),
    )
    op.create_index("ix_console_login_tokens_staff_id", "console_login_tokens", ["staff_id"])
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        _staff_fk("console_sessions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sessions")),
        sa.UniqueConstraint("session_hash", name=op.f("uq_console_sessions_session_hash")),
    )
    op.create_index("ix_console_sessions_staff_id", "console_sessions", ["staff_id"])
    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _participant_fk("case_notes"),
        _staff_fk("case_notes", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notes")),
    )
    op.create_index("ix_case_notes_participant_id", "case_notes", ["participant_id"])
    op.create_table(
        "handoff_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("from_staff", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["handoff_id"], ["handoffs.id"], ondelete="CASCADE",
                                name=op.f("fk_handoff_messages_handoff_id_handoffs")),
        _participant_fk("handoff_messages"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_messages")),
    )
    op.create_index("ix_handoff_messages_handoff", "handoff_messages", ["handoff_id", "id"])
    op.create_index("ix_handoff_messages_participant_id", "handoff_messages",
                    ["participant_id"])
    # The console's queue: open escalations by tier and age, without reading the others.
    op.create_index("ix_escalations_queue", "escalations", ["tier", "created_at"],
                    sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    op.drop_index("ix_escalations_queue", "escalations")
    op.drop_table("handoff_messages")
    op.drop_table("case_notes")
    op.drop_table("console_sessions")
    op.drop_table("console_login_tokens")
