"""Analysis variables a case manager records: sex, birth year, host country, departure date

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch_op:
        batch_op.add_column(sa.Column("sex", sa.String(8), nullable=True))
        batch_op.add_column(sa.Column("birth_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("host_country", sa.String(2), nullable=True))
        batch_op.add_column(sa.Column("departed_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participants") as batch_op:
        for column in ("departed_on", "host_country", "birth_year", "sex"):
            batch_op.drop_column(column)
