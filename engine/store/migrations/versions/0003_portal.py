"""The portal: programme years and unit lists, accounts and sessions, applications with their
evidence versions, scores, timeline and attachments, and the append-only audit log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.store.migrations.append_only import append_only

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Tables whose rows are never changed or removed once written: the database refuses it.
APPEND_ONLY = ("audit_log", "transitions", "evidence_versions")


def upgrade() -> None:
    op.create_table(
        "portal_years",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("criteria_ref", sa.String(150), nullable=False),
        sa.Column("criteria_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "units",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("code", sa.String(20), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("district", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("login", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("unit_code", sa.String(20), nullable=True),
        sa.Column("district", sa.Text, nullable=True),
        sa.Column("full_name", sa.Text, nullable=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("must_change", sa.Boolean, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("unit_code", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("scored_version_id", sa.Integer, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "evidence_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("draft", sa.Boolean, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "version_scores",
        sa.Column("version_id", sa.Integer, sa.ForeignKey("evidence_versions.id"), primary_key=True),
        sa.Column("criteria_sha256", sa.String(64), nullable=False),
        sa.Column("total", sa.Float, nullable=False),
        sa.Column("recognised", sa.Boolean, nullable=False),
        sa.Column("proposed", sa.Boolean, nullable=True),
        sa.Column("flags", sa.Text, nullable=False),
        sa.Column("problems", sa.Integer, nullable=False),
    )
    op.create_table(
        "version_results",
        sa.Column("version_id", sa.Integer, sa.ForeignKey("evidence_versions.id"), primary_key=True),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("issues", sa.Text, nullable=False),
    )
    op.create_table(
        "transitions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=False),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("items", sa.Text, nullable=False),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("slot", sa.String(120), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("media_type", sa.String(50), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("uploaded_by", sa.Integer, sa.ForeignKey("accounts.id"), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer, nullable=True),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
    )
    op.create_index("ix_units_year_district", "units", ["year", "district"])
    op.create_index("ix_web_sessions_account", "web_sessions", ["account_id"])
    op.create_index("ix_login_failures_address_at", "login_failures", ["address", "at"])
    op.create_index("ix_login_failures_login_at", "login_failures", ["login", "at"])
    op.create_index("ix_applications_year_unit", "applications", ["year", "unit_code"], unique=True)
    op.create_index("ix_evidence_versions_application", "evidence_versions", ["application_id", "kind"])
    op.create_index("ix_transitions_application", "transitions", ["application_id"])
    op.create_index("ix_attachments_application", "attachments", ["application_id"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    for table in APPEND_ONLY:
        append_only(table)


def downgrade() -> None:
    for table in reversed(
        [
            "portal_years",
            "units",
            "accounts",
            "web_sessions",
            "login_failures",
            "applications",
            "evidence_versions",
            "version_scores",
            "version_results",
            "transitions",
            "attachments",
            "audit_log",
        ]
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS cqtt_append_only()")
