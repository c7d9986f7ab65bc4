"""The province's review: re-checks stored per unit, what a decision was taken against and why it
contradicts it, units drawn for field checks, and appeals.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("basis", sa.String(20), nullable=True))
        batch.add_column(sa.Column("basis_total", sa.Float, nullable=True))
        batch.add_column(sa.Column("basis_recognised", sa.Boolean, nullable=True))
        batch.add_column(sa.Column("contradiction", sa.Text, nullable=True))
    op.create_table(
        "rechecks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("year", sa.Integer, nullable=True),
        sa.Column("criteria_id", sa.String(100), nullable=False),
        sa.Column("criteria_version", sa.String(50), nullable=False),
        sa.Column("criteria_sha256", sa.String(64), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=True),
        sa.Column("field_file", sa.Text, nullable=True),
        sa.Column("tool", sa.String(50), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "recheck_units",
        sa.Column("recheck_id", sa.Integer, sa.ForeignKey("rechecks.id"), primary_key=True),
        sa.Column("unit", sa.String(20), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("year", sa.Integer, nullable=True),
        sa.Column("team_total", sa.Float, nullable=True),
        sa.Column("team_recognised", sa.Boolean, nullable=True),
        sa.Column("province_total", sa.Float, nullable=True),
        sa.Column("province_recognised", sa.Boolean, nullable=True),
        sa.Column("disqualified", sa.Boolean, nullable=False),
        sa.Column("field_checked", sa.Boolean, nullable=False),
        sa.Column("blocking", sa.Text, nullable=False),
    )
    op.create_index("ix_recheck_units_unit_year", "recheck_units", ["unit", "year"])
    op.create_table(
        "field_checks",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("unit_code", sa.String(20), primary_key=True),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        sa.Column("risks", sa.Text, nullable=False),
        sa.Column("drawn_by", sa.Integer, sa.ForeignKey("accounts.id"), nullable=True),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checker_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("unit_code", sa.String(20), nullable=False),
        sa.Column("decision_id", sa.Integer, sa.ForeignKey("decisions.id"), nullable=False),
        sa.Column("grounds", sa.Text, nullable=False),
        sa.Column("filed_by", sa.Integer, sa.ForeignKey("accounts.id"), nullable=True),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("answer", sa.Text, nullable=True),
        sa.Column("answered_by", sa.Integer, sa.ForeignKey("accounts.id"), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("new_decision_id", sa.Integer, sa.ForeignKey("decisions.id"), nullable=True),
    )
    op.create_index("ix_appeals_year_unit", "appeals", ["year", "unit_code"])


def downgrade() -> None:
    op.drop_index("ix_appeals_year_unit", "appeals")
    op.drop_table("appeals")
    op.drop_table("field_checks")
    op.drop_index("ix_recheck_units_unit_year", "recheck_units")
    op.drop_table("recheck_units")
    op.drop_table("rechecks")
    with op.batch_alter_table("decisions") as batch:
        for column in ("contradiction", "basis_recognised", "basis_total", "basis"):
            batch.drop_column(column)
