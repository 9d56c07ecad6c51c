"""participants.reachable (false once the person blocked the bot); unsent outbox index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch_op:
        batch_op.add_column(
            sa.Column("reachable", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    # The sender takes a chat's oldest unsent message first; this finds it, looking only at
    # unsent rows however long the chat's history.
    unsent = sa.text("status IN ('pending', 'sending')")
    op.create_index("ix_outbox_unsent", "outbox", ["channel", "chat_id", "id"],
                    sqlite_where=unsent, postgresql_where=unsent)


def downgrade() -> None:
    op.drop_index("ix_outbox_unsent", table_name="outbox")
    with op.batch_alter_table("participants") as batch_op:
        batch_op.drop_column("reachable")
