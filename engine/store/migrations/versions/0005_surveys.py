"""Citizens' surveys answered online: collection windows, responses (append-only), and the recent
submissions that rate limiting counts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.store.migrations.append_only import append_only

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_windows",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("form_id", sa.String(50), primary_key=True),
        sa.Column("opens_on", sa.Date, nullable=False),
        sa.Column("closes_on", sa.Date, nullable=False),
        sa.Column("set_by", sa.Integer, sa.ForeignKey("accounts.id"), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("unit_code", sa.String(20), nullable=False),
        sa.Column("form_id", sa.String(50), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answers", sa.Text, nullable=False),
        sa.Column("respondent", sa.String(64), nullable=True),
    )
    op.create_index("ix_survey_responses_unit", "survey_responses", ["year", "unit_code", "form_id"])
    op.create_index("ix_survey_responses_respondent", "survey_responses", ["year", "form_id", "respondent"])
    append_only("survey_responses")
    op.create_table(
        "survey_hits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_survey_hits_key_at", "survey_hits", ["key", "at"])
    op.create_index("ix_survey_hits_at", "survey_hits", ["at"])


def downgrade() -> None:
    op.drop_index("ix_survey_hits_at", "survey_hits")
    op.drop_index("ix_survey_hits_key_at", "survey_hits")
    op.drop_table("survey_hits")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS survey_responses_append_only ON survey_responses")
        op.execute("DROP TRIGGER IF EXISTS survey_responses_no_truncate ON survey_responses")
    op.drop_index("ix_survey_responses_respondent", "survey_responses")
    op.drop_index("ix_survey_responses_unit", "survey_responses")
    op.drop_table("survey_responses")
    op.drop_table("survey_windows")
