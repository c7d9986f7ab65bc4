"""Unit succession: new codes and the codes they replaced (mergers since July 2025).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "succession",
        sa.Column("new_code", sa.String(20), primary_key=True),
        sa.Column("old_code", sa.String(20), primary_key=True),
        sa.Column("effective", sa.Date, primary_key=True),
        sa.Column("new_name", sa.Text, nullable=True),
        sa.Column("old_name", sa.Text, nullable=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_succession_old_code", "succession", ["old_code"])


def downgrade() -> None:
    op.drop_index("ix_succession_old_code", "succession")
    op.drop_table("succession")
