"""The store's tables (SQLAlchemy Core). Alembic migrations in `migrations/` create them; this
module is what the code reads and writes through, and a test checks that both agree."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# Marks a database as a cqtt store (with Alembic's `alembic_version`): a database holding other
# tables but not these is someone else's and is never touched.
store_info = Table(
    "cqtt_store",
    metadata,
    Column("key", String(50), primary_key=True),
    Column("value", Text, nullable=False),
)

# One scoring run as recorded by `cqtt score --db`. `content_hash` is the run's seal bound to the
# criteria file: recording the same results again finds it and adds nothing.
runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("content_hash", String(64), nullable=False, unique=True),
    Column("criteria_id", String(100), nullable=False),
    Column("criteria_version", String(50), nullable=False),
    Column("criteria_title", Text, nullable=False),
    Column("criteria_sha256", String(64), nullable=False),
    Column("year", Integer, nullable=True),  # the assessment year when every unit has the same
    Column("tool", String(50), nullable=False),
    Column("scored_at", Text, nullable=True),  # as the run itself recorded it (ISO 8601)
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("inputs", Text, nullable=False),  # JSON: [{"file", "sha256"}]
    Column("units", Integer, nullable=False),
)

unit_results = Table(
    "unit_results",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id"), primary_key=True),
    Column("code", String(20), primary_key=True),
    Column("name", Text, nullable=False),
    Column("appraisal_group", Text, nullable=False),
    Column("year", Integer, nullable=True),
    Column("proposed", Boolean, nullable=False),
    Column("self_score", Float, nullable=True),
    Column("total", Float, nullable=False),
    Column("max_total", Float, nullable=False),
    Column("recognised", Boolean, nullable=False),  # recognisable as computed, not the decision
    Column("rank", Integer, nullable=False),
    Column("groups", Text, nullable=False),  # JSON: {group id: points}
    Column("blocking", Text, nullable=False),  # JSON: [reason]
    Column("flags", Text, nullable=False),  # JSON: [flag code]
    Column("failed_gates", Text, nullable=False),  # JSON: [{"id", "kind"}] not met
    Column("seal", Text, nullable=False),  # JSON: {part: digest}
)
Index("ix_unit_results_code_year", unit_results.c.code, unit_results.c.year)

criterion_results = Table(
    "criterion_results",
    metadata,
    Column("run_id", Integer, primary_key=True),
    Column("code", String(20), primary_key=True),
    Column("criterion", String(100), primary_key=True),
    Column("points", Float, nullable=False),
    Column("max_points", Float, nullable=False),
    Column("status", String(20), nullable=False),
    ForeignKeyConstraint(["run_id", "code"], ["unit_results.run_id", "unit_results.code"]),
)

# The province's decisions and withdrawals ("revoked"). The current decision for a unit and year is
# the last row; a row that changes an earlier one names it in `replaces`.
decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("unit", String(20), nullable=False),
    Column("year", Integer, nullable=False),
    Column("decision", String(20), nullable=False),  # recognised, not_recognised, deferred, revoked
    Column("number", Text, nullable=True),
    Column("date", Date, nullable=True),
    Column("reason", Text, nullable=True),
    Column("criteria_id", String(100), nullable=True),
    Column("criteria_version", String(50), nullable=True),
    Column("criteria_sha256", String(64), nullable=True),
    Column("source", Text, nullable=False),  # the file it came from, or the command
    Column("source_sha256", String(64), nullable=True),
    Column("replaces", Integer, ForeignKey("decisions.id"), nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
Index("ix_decisions_unit_year", decisions.c.unit, decisions.c.year)

# Codes that replaced others (the July 2025 mergers): history follows a new code to its old ones.
succession = Table(
    "succession",
    metadata,
    Column("new_code", String(20), primary_key=True),
    Column("old_code", String(20), primary_key=True),
    Column("effective", Date, primary_key=True),
    Column("new_name", Text, nullable=True),
    Column("old_name", Text, nullable=True),
    Column("source", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
Index("ix_succession_old_code", succession.c.old_code)
