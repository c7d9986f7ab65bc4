"""Deadlines and notifications: the dates the province sets for a year (submitting, appraising,
sending the lists) and the date a team may give a clarification request, which the task lists
show and sort by; an e-mail address per account and the outbox of messages to send (written in
the same transaction as what they tell, sent by the portal's mailer, never lost if the mail
server is down).

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
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("email", sa.Text, nullable=True))
        batch.add_column(sa.Column("digest", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "digests",
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.create_index("ix_outbox_unsent", "outbox", ["sent_at", "id"])


def downgrade() -> None:
    raise NotImplementedError("cqtt never removes what a store has recorded: restore a backup instead")
