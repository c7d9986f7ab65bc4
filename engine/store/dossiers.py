"""The portal's applications (hồ sơ) as rows: one per unit and year with its state, every version of
its evidence with the engine's score and full result, and the timeline of its states. And the
counts a dashboard needs, made by the database.

Only this package writes SQL; engine.portal.dossiers decides (states, who may move them, what a
version needs) and calls these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import String, cast, func, select

from engine.store.connect import Tx, new_id
from engine.store.schema import (
    accounts,
    applications,
    evidence_versions,
    transitions,
    units,
    version_results,
    version_scores,
)


# -- applications -------------------------------------------------------------------------------------
def application(conn: Tx, year: int, code: str) -> Any:
    query = select(applications).where(applications.c.year == year, applications.c.unit_code == code)
    return conn.execute(query).first()


def lock(conn: Tx, application_id: int) -> None:
    """Hold the application's row until the transaction ends: two requests about one application
    (two uploads, two appeals) then take their turns instead of both counting what is there."""
    query = select(applications.c.id).where(applications.c.id == application_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    conn.execute(query)  # on SQLite the write transaction (BEGIN IMMEDIATE) already holds the store


def application_by_id(conn: Tx, application_id: int) -> Any:
    return conn.execute(select(applications).where(applications.c.id == application_id)).one()


def ensure(conn: Tx, year: int, code: str, at: dt.datetime) -> Any:
    """The unit's application of the year, made ("chưa nộp") when it has none."""
    row = application(conn, year, code)
    if row is not None:
        return row
    conn.execute(
        applications.insert().values(
            year=year, unit_code=code, state="chua_nop", scored_version_id=None, created_at=at, updated_at=at
        )
    )
    return application(conn, year, code)


def set_state(conn: Tx, application_id: int, state: str, at: dt.datetime) -> None:
    conn.execute(
        applications.update().where(applications.c.id == application_id).values(state=state, updated_at=at)
    )


def set_scored_version(conn: Tx, application_id: int, version_id: int) -> None:
    """From now on, this version's score is the application's."""
    conn.execute(
        applications.update().where(applications.c.id == application_id).values(scored_version_id=version_id)
    )


def state_of(conn: Tx, application_id: int) -> str:
    query = select(applications.c.state).where(applications.c.id == application_id)
    return str(conn.execute(query).scalar_one())


def of_group(conn: Tx, year: int, group: str) -> list[Any]:
    """The applications of the units an appraisal group has in the year's list."""
    query = (
        select(applications)
        .join(units, (units.c.year == applications.c.year) & (units.c.code == applications.c.unit_code))
        .where(applications.c.year == year, units.c.district == group)
    )
    return list(conn.execute(query).all())


def codes_in_states(conn: Tx, year: int, states: Iterable[str]) -> list[str]:
    query = select(applications.c.unit_code).where(
        applications.c.year == year, applications.c.state.in_(sorted(states))
    )
    return list(conn.execute(query).scalars())


def scored_in_states(conn: Tx, year: int, states: Iterable[str]) -> list[Any]:
    """(unit_code, scored_version_id) of the year's applications in `states` that have a score."""
    query = select(applications.c.unit_code, applications.c.scored_version_id).where(
        applications.c.year == year,
        applications.c.state.in_(sorted(states)),
        applications.c.scored_version_id.is_not(None),
    )
    return list(conn.execute(query).all())


def scored_data(conn: Tx, year: int) -> list[Any]:
    """(unit_code, state, data) of every application of the year with the values its score is on."""
    query = (
        select(applications.c.unit_code, applications.c.state, evidence_versions.c.data)
        .join(evidence_versions, evidence_versions.c.id == applications.c.scored_version_id)
        .where(applications.c.year == year)
    )
    return list(conn.execute(query).all())


def proposed_in_earlier_years(conn: Tx, year: int, codes: list[str]) -> set[str]:
    """The units whose application of an earlier year was proposed, by its current score."""
    query = (
        select(applications.c.unit_code)
        .join(version_scores, version_scores.c.version_id == applications.c.scored_version_id)
        .where(
            applications.c.year < year,
            applications.c.unit_code.in_(codes),
            version_scores.c.proposed.is_(True),
        )
    )
    return set(conn.execute(query).scalars())


# -- versions of the evidence -------------------------------------------------------------------------
def add_version(conn: Tx, **values: Any) -> int:
    return new_id(conn.execute(evidence_versions.insert().values(**values)))


def add_score(conn: Tx, **values: Any) -> None:
    conn.execute(version_scores.insert().values(**values))


def add_result(conn: Tx, **values: Any) -> None:
    conn.execute(version_results.insert().values(**values))


def versions(conn: Tx, application_id: int) -> list[Any]:
    """Every version of an application, oldest first, with its author's login, its score and
    its full result."""
    query = (
        select(
            evidence_versions,
            accounts.c.login,
            accounts.c.full_name,
            version_scores.c.total,
            version_scores.c.recognised,
            version_scores.c.proposed,
            version_scores.c.flags,
            version_scores.c.problems,
            version_results.c.result,
            version_results.c.issues,
        )
        .outerjoin(accounts, accounts.c.id == evidence_versions.c.author_id)
        .outerjoin(version_scores, version_scores.c.version_id == evidence_versions.c.id)
        .outerjoin(version_results, version_results.c.version_id == evidence_versions.c.id)
        .where(evidence_versions.c.application_id == application_id)
        .order_by(evidence_versions.c.id)
    )
    return list(conn.execute(query).all())


def latest_version(conn: Tx, application_id: int, kind: str) -> Any:
    """The latest version of a kind that is not a draft, or None."""
    query = (
        select(evidence_versions)
        .where(
            evidence_versions.c.application_id == application_id,
            evidence_versions.c.kind == kind,
            evidence_versions.c.draft.is_(False),
        )
        .order_by(evidence_versions.c.id.desc())
        .limit(1)
    )
    return conn.execute(query).first()


# -- the timeline -------------------------------------------------------------------------------------
def add_transition(conn: Tx, **values: Any) -> None:
    conn.execute(transitions.insert().values(**values))


def timeline(conn: Tx, application_id: int) -> list[Any]:
    """Every change of state of an application, oldest first, with who made it (login, and the
    name people read: the full name where the account has one)."""
    query = (
        select(transitions, accounts.c.login, accounts.c.full_name)
        .outerjoin(accounts, accounts.c.id == transitions.c.account_id)
        .where(transitions.c.application_id == application_id)
        .order_by(transitions.c.id)
    )
    return list(conn.execute(query).all())


# -- what a list or a dashboard counts ----------------------------------------------------------------
def unit_rows(
    conn: Tx, year: int, group: str | None = None, codes: Collection[str] | None = None
) -> list[Any]:
    """Every unit of the year's list (of one group, or with one of `codes`), with its application's
    state and the score and kind of the version its score is on (None where it has none)."""
    query = (
        select(
            units.c.code,
            units.c.name,
            units.c.district,
            applications.c.state,
            version_scores.c.total,
            version_scores.c.recognised,
            version_scores.c.proposed,
            version_scores.c.flags,
            version_scores.c.problems,
            evidence_versions.c.kind,
        )
        .select_from(units)
        .outerjoin(
            applications, (applications.c.year == units.c.year) & (applications.c.unit_code == units.c.code)
        )
        .outerjoin(version_scores, version_scores.c.version_id == applications.c.scored_version_id)
        .outerjoin(evidence_versions, evidence_versions.c.id == applications.c.scored_version_id)
        .where(units.c.year == year)
        .order_by(units.c.code)
    )
    if group is not None:
        query = query.where(units.c.district == group)
    if codes is not None:
        found: list[Any] = []
        wanted = sorted(set(codes))
        for start in range(0, len(wanted), 500):  # within every database's limit on parameters
            found += conn.execute(query.where(units.c.code.in_(wanted[start : start + 500]))).all()
        return sorted(found, key=lambda r: r.code)
    return list(conn.execute(query).all())


def change_stamp(conn: Tx, year: int) -> tuple[Any, ...]:
    """What changes whenever anything a dashboard counts does: the latest transition and version
    and how many there are (a transaction that took an id first may commit last: its row then
    changes the count, not the latest id), the year's list loaded and its size."""
    return tuple(
        conn.execute(
            select(
                select(func.max(transitions.c.id)).scalar_subquery(),
                select(func.max(evidence_versions.c.id)).scalar_subquery(),
                select(func.max(units.c.loaded_at)).where(units.c.year == year).scalar_subquery(),
                select(func.count()).select_from(units).where(units.c.year == year).scalar_subquery(),
                select(func.count()).select_from(transitions).scalar_subquery(),
                select(func.count()).select_from(evidence_versions).scalar_subquery(),
            )
        ).one()
    )


def changed_since(conn: Tx, year: int, transition: int, version: int) -> tuple[set[str], int, int]:
    """The year's units whose application has a transition or a version after the given ids, and
    how many transitions and versions (of any year) come after them: when those numbers are the
    whole growth of the tables, nothing committed late below the ids was missed."""
    later_t = select(transitions.c.application_id).where(transitions.c.id > transition)
    later_v = select(evidence_versions.c.application_id).where(evidence_versions.c.id > version)
    codes = {
        r.unit_code
        for r in conn.execute(
            select(applications.c.unit_code).where(
                (applications.c.year == year) & (applications.c.id.in_(later_t.union(later_v)))
            )
        ).all()
    }
    after_t = select(func.count()).select_from(transitions).where(transitions.c.id > transition)
    after_v = select(func.count()).select_from(evidence_versions).where(evidence_versions.c.id > version)
    n_t, n_v = conn.execute(select(after_t.scalar_subquery(), after_v.scalar_subquery())).one()
    return codes, int(n_t), int(n_v)


def counted_by_group(conn: Tx, year: int) -> list[tuple[str, str | None, bool | None, bool | None, int]]:
    """(group, state, proposed, recognised, units) for every combination the year's list has: a
    province of 10,000 units is a few hundred groups, not 10,000 rows."""
    joined = (
        select(units.c.district, applications.c.state, version_scores.c.proposed, version_scores.c.recognised)
        .select_from(units)
        .outerjoin(
            applications, (applications.c.year == units.c.year) & (applications.c.unit_code == units.c.code)
        )
        .outerjoin(version_scores, version_scores.c.version_id == applications.c.scored_version_id)
        .where(units.c.year == year)
        .subquery()
    )
    grouped = select(
        joined.c.district, joined.c.state, joined.c.proposed, joined.c.recognised, func.count()
    ).group_by(joined.c.district, joined.c.state, joined.c.proposed, joined.c.recognised)
    return [tuple(r) for r in conn.execute(grouped).all()]


def flag_sets_by_group(conn: Tx, year: int, states: Iterable[str]) -> list[tuple[str, str, int]]:
    """(group, flags as JSON, units) of the year's applications in `states`: each distinct set of
    flags counted once."""
    query = (
        select(units.c.district, version_scores.c.flags, func.count())
        .select_from(applications)
        .join(units, (units.c.year == applications.c.year) & (units.c.code == applications.c.unit_code))
        .join(version_scores, version_scores.c.version_id == applications.c.scored_version_id)
        .where(applications.c.year == year, applications.c.state.in_(sorted(states)))
        .group_by(units.c.district, version_scores.c.flags)
    )
    return [tuple(r) for r in conn.execute(query).all()]


def first_reached(conn: Tx, year: int) -> list[tuple[str, str, int]]:
    """(day as YYYY-MM-DD, state, applications that first reached the state that day)."""
    day = func.substr(cast(transitions.c.at, String), 1, 10)
    first = (
        select(transitions.c.application_id, transitions.c.to_state, func.min(day).label("day"))
        .join(applications, applications.c.id == transitions.c.application_id)
        .where(applications.c.year == year)
        .group_by(transitions.c.application_id, transitions.c.to_state)
        .subquery()
    )
    query = select(first.c.day, first.c.to_state, func.count()).group_by(first.c.day, first.c.to_state)
    return [tuple(r) for r in conn.execute(query).all()]
