"""Deadlines: the dates the province sets for a year (submitting, appraising, sending the lists)
and the date a team may give a clarification request, which the task lists show and sort by.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deadlines",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("set_by", sa.Integer, sa.ForeignKey("accounts.id"), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("transitions") as batch:
        batch.add_column(sa.Column("due", sa.Date, nullable=True))


def downgrade() -> None:
    raise NotImplementedError("cqtt never removes what a store has recorded: restore a backup instead")
