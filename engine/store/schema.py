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
    false,
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
    # Which result the decision was taken against (the province's re-check, else the team's), and,
    # when the decision contradicts that result, why: the written reason is required then.
    Column("basis", String(20), nullable=True),  # "tinh" | "to"
    Column("basis_total", Float, nullable=True),
    Column("basis_recognised", Boolean, nullable=True),
    Column("contradiction", Text, nullable=True),
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

# -- the portal (cqtt web) ---------------------------------------------------------------------------
# A programme year: the province's unit list for the year and the criteria set its applications
# are scored with. The unit list is the population of every share and every "chưa nộp" list.
portal_years = Table(
    "portal_years",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("criteria_ref", String(150), nullable=False),  # id@version
    Column("criteria_sha256", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

units = Table(
    "units",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("code", String(20), primary_key=True),
    Column("name", Text, nullable=False),
    Column("district", Text, nullable=False),  # the appraisal group (a district before 2025)
    Column("source", Text, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)
Index("ix_units_year_district", units.c.year, units.c.district)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("login", String(64), nullable=False, unique=True),
    Column("role", String(20), nullable=False),  # xa, huyen, tinh, chinh-sach, quan-tri
    Column("unit_code", String(20), nullable=True),  # role xa
    Column("district", Text, nullable=True),  # role huyen
    Column("full_name", Text, nullable=True),
    Column("password_hash", Text, nullable=False),  # argon2id
    Column("must_change", Boolean, nullable=False),  # a one-time password was given
    Column("disabled", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=True),
    Column("password_expires_at", DateTime(timezone=True), nullable=True),  # a one-time password's end
    Column("email", Text, nullable=True),  # where notifications go (none: the task list alone)
    Column("digest", Boolean, nullable=False, server_default=false()),  # a daily list of its tasks
)

# the days an account's daily digest was queued (one a day, however many processes serve)
digests = Table(
    "digests",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("day", Date, primary_key=True),
)

# Server-side sessions: the cookie holds a random token, the store only its SHA-256.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=True),  # None before login
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),  # absolute limit
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("address", String(64), nullable=False),
    Column("data", Text, nullable=False),  # JSON: the CSRF secret and little else
)
Index("ix_web_sessions_account", web_sessions.c.account_id)

# A team account's team in a year (a person may sit on different teams in different years); a
# year without a row: the account's district.
team_members = Table(
    "team_members",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("team", Text, nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False),
)

# Every sign-in attempt (and every check of a current password), recorded before the password is
# verified: throttling counts these rows, so parallel guesses are counted as they come, whatever
# their timing. Outcome: pending, failed, ok, refused (throttled), expired (a stale one-time
# password), cleared (forgiven by a password reset).
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("login", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(10), nullable=False),
)
Index(
    "ix_login_attempts_login_address", login_attempts.c.login, login_attempts.c.address, login_attempts.c.at
)
Index("ix_login_attempts_address_at", login_attempts.c.address, login_attempts.c.at)
Index("ix_login_attempts_at", login_attempts.c.at)

# One application (hồ sơ đề nghị) per unit and year, and its state.
applications = Table(
    "applications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("unit_code", String(20), nullable=False),
    Column("state", String(20), nullable=False),
    # the evidence version whose score counts now: the district's verified one once made, else the
    # commune's last submitted one (a denormalised pointer, so that dashboards need no search)
    Column("scored_version_id", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_applications_year_unit", applications.c.year, applications.c.unit_code, unique=True)

# Every version of an application's evidence, never changed once written: the commune's declared
# values ("declared"), the district's verified ones ("verified"). Values are kept as typed by
# people (text), and read by the same code as an evidence file.
evidence_versions = Table(
    "evidence_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("application_id", Integer, ForeignKey("applications.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("draft", Boolean, nullable=False),
    Column("data", Text, nullable=False),  # JSON: {column key: text as typed}
    Column("notes", Text, nullable=False),  # JSON: {field: reason for a correction}
    Column("source", Text, nullable=False),  # the form, or an uploaded workbook and its SHA-256
    Column("author_id", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_evidence_versions_application", evidence_versions.c.application_id, evidence_versions.c.kind)

# The engine's result for one evidence version (made when the version is written).
version_scores = Table(
    "version_scores",
    metadata,
    Column("version_id", Integer, ForeignKey("evidence_versions.id"), primary_key=True),
    Column("criteria_sha256", String(64), nullable=False),
    Column("total", Float, nullable=False),
    Column("recognised", Boolean, nullable=False),
    Column("proposed", Boolean, nullable=True),  # None: the Đề nghị cell could not be read
    Column("flags", Text, nullable=False),  # JSON: [flag code]
    Column("problems", Integer, nullable=False),  # evidence cells that could not be read
)

# The full result of a version (every criterion with its explanation) and the cells that could not
# be read: kept apart from version_scores so that counting a province reads only narrow rows.
version_results = Table(
    "version_results",
    metadata,
    Column("version_id", Integer, ForeignKey("evidence_versions.id"), primary_key=True),
    Column("result", Text, nullable=False),  # the unit's full result (JSON)
    Column("issues", Text, nullable=False),  # JSON: [{field, value, message}]
)

# The timeline: every change of state, who, when and why (append-only).
transitions = Table(
    "transitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("application_id", Integer, ForeignKey("applications.id"), nullable=False),
    Column("from_state", String(20), nullable=False),
    Column("to_state", String(20), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("comment", Text, nullable=False),
    Column("items", Text, nullable=False),  # JSON: criteria or fields a request names
    Column("due", Date, nullable=True),  # a clarification request's answer date, when the team gives one
)
Index("ix_transitions_application", transitions.c.application_id)

attachments = Table(
    "attachments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("application_id", Integer, ForeignKey("applications.id"), nullable=False),
    Column("slot", String(120), nullable=False),  # "doc:<document>" or "field:<evidence id>"
    Column("sha256", String(64), nullable=False),  # the file under the data folder
    Column("size", Integer, nullable=False),
    Column("media_type", String(50), nullable=False),  # from the content, not the name
    Column("name", Text, nullable=False),  # as uploaded, shown only (never used as a path)
    Column("uploaded_by", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    Column("withdrawn_at", DateTime(timezone=True), nullable=True),
)
Index("ix_attachments_application", attachments.c.application_id)

# Append-only: the migration adds triggers that refuse UPDATE and DELETE on this table.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("account_id", Integer, nullable=True),
    Column("login", String(64), nullable=False),  # "" for an anonymous request
    Column("address", String(64), nullable=False),
    Column("action", String(50), nullable=False),
    Column("target", Text, nullable=False),
    Column("details", Text, nullable=False),  # JSON
)
Index("ix_audit_log_at", audit_log.c.at)

# -- the province's review -----------------------------------------------------------------------
# A re-check of a team's results (`cqtt recheck --db`, or the portal's field checks): per unit the
# team's score and the province's, so that history says which one a decision used.
rechecks = Table(
    "rechecks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=True),
    Column("criteria_id", String(100), nullable=False),
    Column("criteria_version", String(50), nullable=False),
    Column("criteria_sha256", String(64), nullable=False),
    Column("source", Text, nullable=False),  # the team's file, or the portal
    Column("source_sha256", String(64), nullable=True),
    Column("field_file", Text, nullable=True),
    Column("tool", String(50), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

recheck_units = Table(
    "recheck_units",
    metadata,
    Column("recheck_id", Integer, ForeignKey("rechecks.id"), primary_key=True),
    Column("unit", String(20), primary_key=True),
    Column("name", Text, nullable=False),
    Column("year", Integer, nullable=True),
    Column("team_total", Float, nullable=True),
    Column("team_recognised", Boolean, nullable=True),
    Column("province_total", Float, nullable=True),
    Column("province_recognised", Boolean, nullable=True),
    Column("disqualified", Boolean, nullable=False),  # a disqualifier in the province's result
    Column("field_checked", Boolean, nullable=False),
    Column("blocking", Text, nullable=False),  # JSON: what blocks recognition, province's result
)
Index("ix_recheck_units_unit_year", recheck_units.c.unit, recheck_units.c.year)

# Units drawn for a field check in the portal, and who checks each.
field_checks = Table(
    "field_checks",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("unit_code", String(20), primary_key=True),
    Column("seed", Integer, nullable=False),
    Column("weight", Float, nullable=False),
    Column("risks", Text, nullable=False),  # JSON: [risk]
    Column("drawn_by", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("drawn_at", DateTime(timezone=True), nullable=False),
    Column("checker_id", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("assigned_at", DateTime(timezone=True), nullable=True),
)

# A commune's appeal (kiến nghị) against a published decision, and the province's answer.
appeals = Table(
    "appeals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("unit_code", String(20), nullable=False),
    Column("decision_id", Integer, ForeignKey("decisions.id"), nullable=False),
    Column("grounds", Text, nullable=False),
    Column("filed_by", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("filed_at", DateTime(timezone=True), nullable=False),
    Column("deadline", Date, nullable=False),
    Column("state", String(20), nullable=False),  # open, accepted, rejected
    Column("answer", Text, nullable=True),
    Column("answered_by", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("answered_at", DateTime(timezone=True), nullable=True),
    Column("new_decision_id", Integer, ForeignKey("decisions.id"), nullable=True),
)
Index("ix_appeals_year_unit", appeals.c.year, appeals.c.unit_code)
# one open appeal per decision, whatever arrives at once (migration 0008)
Index(
    "ux_appeals_one_open",
    appeals.c.decision_id,
    unique=True,
    sqlite_where=appeals.c.state == "open",
    postgresql_where=appeals.c.state == "open",
)

# Citizens' satisfaction surveys answered online (the public form of each unit and survey form):
# the collection window the province sets for a form and a year,
# the dates the province sets for a year: kind "nop" (submitting), "tham_dinh" (appraising),
# "gui_tinh" (sending the lists)
deadlines = Table(
    "deadlines",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(20), primary_key=True),
    Column("due", Date, nullable=False),
    Column("set_by", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("set_at", DateTime(timezone=True), nullable=False),
)

# messages to send, written with what they tell (engine.portal.mail); a mailer claims, sends and
# marks each, so that a mail server that is down loses nothing and two processes send once
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("recipient", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("path", Text, nullable=False),  # the page it links to, under the portal's public address
    Column("claimed_at", DateTime(timezone=True), nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
)
Index("ix_outbox_unsent", outbox.c.sent_at, outbox.c.id)

survey_windows = Table(
    "survey_windows",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("form_id", String(50), primary_key=True),
    Column("opens_on", Date, nullable=False),  # Vietnam dates, both days included
    Column("closes_on", Date, nullable=False),
    Column("set_by", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("set_at", DateTime(timezone=True), nullable=False),
)

# every response as it came (append-only): answers as levels, the contact only as a keyed hash,
survey_responses = Table(
    "survey_responses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("unit_code", String(20), nullable=False),
    Column("form_id", String(50), nullable=False),
    Column("answered_at", DateTime(timezone=True), nullable=False),
    Column("answers", Text, nullable=False),  # JSON: {question id: level 1..n}
    Column("respondent", String(64), nullable=True),  # keyed hash of the contact, when given
)
Index(
    "ix_survey_responses_unit",
    survey_responses.c.year,
    survey_responses.c.unit_code,
    survey_responses.c.form_id,
)
Index(
    "ix_survey_responses_respondent",
    survey_responses.c.year,
    survey_responses.c.form_id,
    survey_responses.c.respondent,
)

# and the recent submissions rate limiting counts (by keyed hash of the address, or by form),
# deleted as soon as they fall out of the limiting window.
survey_hits = Table(
    "survey_hits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(100), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
Index("ix_survey_hits_key_at", survey_hits.c.key, survey_hits.c.at)
Index("ix_survey_hits_at", survey_hits.c.at)

# The one-time tokens of the public survey form: each form shown carries one, a response is
# taken once per token (a replayed post finds it used), and tokens lapse after a few hours.
survey_tokens = Table(
    "survey_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
)
Index("ix_survey_tokens_issued_at", survey_tokens.c.issued_at)

# Tables whose rows are never changed or removed once written, with the keys a row is found by
# (an INSERT OR REPLACE on SQLite would remove the row holding the key): the database refuses
# both, and the store checks at start that its guards are there.
APPEND_ONLY: dict[str, tuple[tuple[str, ...], ...]] = {
    "audit_log": (("id",),),
    "transitions": (("id",),),
    "evidence_versions": (("id",),),
    "version_scores": (("version_id",),),
    "version_results": (("version_id",),),
    "survey_responses": (("id",),),
    "decisions": (("id",),),
    "runs": (("id",), ("content_hash",)),
    "unit_results": (("run_id", "code"),),
    "criterion_results": (("run_id", "code", "criterion"),),
    "rechecks": (("id",),),
    "recheck_units": (("recheck_id", "unit"),),
}
