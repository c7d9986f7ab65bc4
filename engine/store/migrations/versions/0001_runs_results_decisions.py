"""Runs, unit and criterion results, decisions.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cqtt_store",
        sa.Column("key", sa.String(50), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("criteria_id", sa.String(100), nullable=False),
        sa.Column("criteria_version", sa.String(50), nullable=False),
        sa.Column("criteria_title", sa.Text, nullable=False),
        sa.Column("criteria_sha256", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=True),
        sa.Column("tool", sa.String(50), nullable=False),
        sa.Column("scored_at", sa.Text, nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("inputs", sa.Text, nullable=False),
        sa.Column("units", sa.Integer, nullable=False),
    )
    op.create_table(
        "unit_results",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("code", sa.String(20), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("appraisal_group", sa.Text, nullable=False),
        sa.Column("year", sa.Integer, nullable=True),
        sa.Column("proposed", sa.Boolean, nullable=False),
        sa.Column("self_score", sa.Float, nullable=True),
        sa.Column("total", sa.Float, nullable=False),
        sa.Column("max_total", sa.Float, nullable=False),
        sa.Column("recognised", sa.Boolean, nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("groups", sa.Text, nullable=False),
        sa.Column("blocking", sa.Text, nullable=False),
        sa.Column("flags", sa.Text, nullable=False),
        sa.Column("failed_gates", sa.Text, nullable=False),
        sa.Column("seal", sa.Text, nullable=False),
    )
    op.create_index("ix_unit_results_code_year", "unit_results", ["code", "year"])
    op.create_table(
        "criterion_results",
        sa.Column("run_id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(20), primary_key=True),
        sa.Column("criterion", sa.String(100), primary_key=True),
        sa.Column("points", sa.Float, nullable=False),
        sa.Column("max_points", sa.Float, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.ForeignKeyConstraint(["run_id", "code"], ["unit_results.run_id", "unit_results.code"]),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("number", sa.Text, nullable=True),
        sa.Column("date", sa.Date, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("criteria_id", sa.String(100), nullable=True),
        sa.Column("criteria_version", sa.String(50), nullable=True),
        sa.Column("criteria_sha256", sa.String(64), nullable=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=True),
        sa.Column("replaces", sa.Integer, sa.ForeignKey("decisions.id"), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_decisions_unit_year", "decisions", ["unit", "year"])


def downgrade() -> None:
    op.drop_index("ix_decisions_unit_year", "decisions")
    op.drop_table("decisions")
    op.drop_table("criterion_results")
    op.drop_index("ix_unit_results_code_year", "unit_results")
    op.drop_table("unit_results")
    op.drop_table("runs")
    op.drop_table("cqtt_store")
