"""Against a hostile account: sign-in attempts counted as they come, one-time passwords that end,
one-time tokens on the public survey form, and every table of records append-only (scores,
results, decisions and runs too), guarded on SQLite against INSERT OR REPLACE as well.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.store.migrations.append_only import append_only, no_replace

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# (table, the keys a row is found by): the records this revision makes append-only, and those
# made so before (their SQLite guard against REPLACE is added here).
NEWLY = {
    "version_scores": (("version_id",),),
    "version_results": (("version_id",),),
    "decisions": (("id",),),
    "runs": (("id",), ("content_hash",)),
    "unit_results": (("run_id", "code"),),
    "criterion_results": (("run_id", "code", "criterion"),),
    "rechecks": (("id",),),
    "recheck_units": (("recheck_id", "unit"),),
}
BEFORE = {
    "audit_log": (("id",),),
    "transitions": (("id",),),
    "evidence_versions": (("id",),),
    "survey_responses": (("id",),),
}


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
    )
    op.create_index("ix_login_attempts_login_address", "login_attempts", ["login", "address", "at"])
    op.create_index("ix_login_attempts_address_at", "login_attempts", ["address", "at"])
    op.create_index("ix_login_attempts_at", "login_attempts", ["at"])
    op.drop_index("ix_login_failures_address_at", "login_failures")
    op.drop_index("ix_login_failures_login_at", "login_failures")
    op.drop_table("login_failures")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")
        batch.add_column(sa.Column("password_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "survey_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_survey_tokens_issued_at", "survey_tokens", ["issued_at"])
    for table in NEWLY:
        append_only(table)
    for table, keys in {**BEFORE, **NEWLY}.items():
        no_replace(table, keys)


def downgrade() -> None:
    raise NotImplementedError("cqtt never removes what a store has recorded: restore a backup instead")
