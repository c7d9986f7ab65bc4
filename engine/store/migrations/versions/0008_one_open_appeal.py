"""One open appeal per decision, held by the database: two appeals sent at once against one
decision could both be filed. Appeals that a store already holds twice (filed before this
revision) keep the first open; each later one is closed with an answer that says why.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, decision_id FROM appeals WHERE state = 'open' ORDER BY decision_id, id")
    ).all()
    first: dict[int, int] = {}
    for appeal_id, decision_id in rows:
        if decision_id not in first:
            first[decision_id] = appeal_id
            continue
        conn.execute(
            sa.text(
                "UPDATE appeals SET state = 'rejected', answer = :answer, answered_at = :at WHERE id = :id"
            ),
            {
                "answer": f"Kiến nghị trùng với kiến nghị số {first[decision_id]} (gửi cùng lúc); "
                "đóng khi nâng cấp cơ sở dữ liệu, kiến nghị số đó vẫn được xem xét.",
                "at": dt.datetime.now(dt.UTC),
                "id": appeal_id,
            },
        )
    op.create_index(
        "ux_appeals_one_open",
        "appeals",
        ["decision_id"],
        unique=True,
        sqlite_where=sa.text("state = 'open'"),
        postgresql_where=sa.text("state = 'open'"),
    )


def downgrade() -> None:
    raise NotImplementedError("cqtt never removes what a store has recorded: restore a backup instead")
