"""The province's unit list for a year, and the criteria set the year's applications are scored with.

The list is the population of every share and every "chưa nộp" list: a unit that never applied
still counts in the denominator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from engine.clock import now
from engine.errors import CqttError
from engine.hashing import sha256_file
from engine.intake.units import UnitRow, read_units
from engine.portal import audit
from engine.portal.roles import STATES, Account
from engine.rules.loader import LoadedCriteria, load_criteria, load_ref
from engine.store import unitlists
from engine.store.connect import Store, Tx


class UnitsError(CqttError):
    pass


@dataclass(frozen=True)
class Unit:
    year: int
    code: str
    name: str
    district: str


@dataclass(frozen=True)
class Year:
    year: int
    criteria_ref: str
    criteria_sha256: str


@dataclass
class Loaded:
    year: int
    criteria: str
    units: int
    districts: int  # appraisal teams (districts, for a year before the reorganisation)
    dropped_with_applications: list[str]
    unassigned: list[str] = field(default_factory=list)  # official list: units given no team
    province: str = ""  # official list: the province as the list names it


def check_year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise UnitsError(f"năm {year} không hợp lệ (từ 2000 đến 2100)")
    return year


def catalogue_set(criteria: str, year: int) -> LoadedCriteria:
    """The rule set a year is scored with, from the catalogue only (`cqtt criteria list`: the
    bundled sets and the province's folder): a set id (the version in force that year) or
    id@version. A path on the server is never read, and a set every page of the year can find
    again is the only kind a year may hold."""
    import re

    from engine.rules import catalog

    ref = criteria.strip()
    if not re.fullmatch(r"[a-z0-9-]+(@[0-9.]+)?", ref):
        raise UnitsError(
            f"“{criteria[:100]}” không phải mã bộ tiêu chí trong danh mục "
            "(dạng bac-giang hoặc bac-giang@2024)"
        )
    known = {e.set_id for e in catalog.entries()} | {f"{e.set_id}@{e.version}" for e in catalog.entries()}
    if ref not in known:
        raise UnitsError(f"không có bộ tiêu chí “{ref}” trong danh mục (cqtt criteria list)")
    return load_ref(ref, year)


def load(
    store: Store,
    path: Path,
    year: int,
    criteria: str,
    by: Account | None = None,
    address: str = "cli",
    label: str | None = None,
) -> Loaded:
    """Make `path` (CSV: ma_don_vi, ten_don_vi, nhom_tham_dinh) the unit list of `year`, scored
    with `criteria` (a set of the catalogue: an id, the version in force that year, or
    id@version). A list loaded again replaces the year's list; units that already have an
    application are kept in the store's applications and named. A year that has applications
    keeps its rule set: a list loaded with another is refused."""
    check_year(year)
    loaded = catalogue_set(criteria, year)
    rows = read_units(path)
    _check_rows(rows, str(path))
    source = label or f"{path.name} (sha256 {sha256_file(path)[:12]}…)"
    return _replace(store, year, loaded, rows, source, by, address)


def _check_rows(rows: list[UnitRow], named: str) -> None:
    """A unit list has units, each with its team (or district)."""
    if not rows:
        raise UnitsError(f"{named}: danh sách không có đơn vị nào")
    missing = [r.code for r in rows if not r.group]
    if missing:
        raise UnitsError(
            f"{named}: {len(missing)} đơn vị thiếu cột “nhom_tham_dinh” (tổ thẩm định, hay huyện với các "
            f"năm trước 2025), ví dụ {', '.join(missing[:3])}"
        )


@dataclass
class Preview:
    """What loading a list would do, shown before anything is replaced."""

    year: int
    criteria: str
    units: list[UnitRow]
    groups: list[tuple[str, int]]  # each team (or district) and its number of units
    replaces: int  # units of the year's list now (0: a new year)
    added: list[str]  # codes not in the year's list now
    removed: list[str]  # codes of the list now that the new one leaves out
    dropped_with_applications: list[str]  # of those, units with an application
    unassigned: list[str] = field(default_factory=list)
    source: str = ""


def preview(
    store: Store,
    year: int,
    criteria: str,
    rows: list[UnitRow],
    source: str,
    unassigned: list[str] | None = None,
) -> Preview:
    """What `rows` would change in `year`'s list, checked as a load checks it, nothing written."""
    from collections import Counter

    from engine.store import dossiers as dossier_rows

    check_year(year)
    loaded = catalogue_set(criteria, year)
    _check_rows(rows, source)
    with store.read() as conn:
        _refuse_criteria_change(conn, year, loaded)
        now_listed = {r.code for r in unitlists.of_year(conn, year)}
        applied = set(dossier_rows.codes_in_states(conn, year, STATES))
    codes = {r.code for r in rows}
    removed = sorted(now_listed - codes)
    applied &= set(removed)
    return Preview(
        year,
        loaded.model.ref,
        rows,
        sorted(Counter(r.group for r in rows).items()),
        len(now_listed),
        sorted(codes - now_listed),
        removed,
        sorted(applied),
        unassigned or [],
        source,
    )


def keep_pending(folder: Path, shown: Preview) -> str:
    """Keep a previewed list until it is confirmed (a file of the data folder, the owner's only);
    the token names it."""
    import json
    import os
    import secrets

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = secrets.token_hex(16)
    data = {
        "year": shown.year, "criteria": shown.criteria, "source": shown.source,
        "rows": [[r.code, r.name, r.group] for r in shown.units],
    }  # fmt: skip
    fd = os.open(folder / f"{token}.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False)
    return token


PENDING_HOURS = 24  # a previewed list not confirmed within a day is forgotten


def forget_pending(folder: Path, hours: float = PENDING_HOURS) -> int:
    """Remove the previewed lists nobody confirmed in time; how many were removed."""
    import time

    if not folder.is_dir():
        return 0
    limit = time.time() - hours * 3600
    gone = 0
    for path in folder.glob("*.json"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                gone += 1
        except FileNotFoundError:  # taken (confirmed) meanwhile
            continue
    return gone


def take_pending(folder: Path, token: str) -> tuple[int, str, str, list[UnitRow]]:
    """A kept list (year, criteria, source, rows), removed as it is taken: confirmed once."""
    import json
    import re

    if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
        raise UnitsError("danh sách xem trước không còn; tải lên lại")
    path = folder / f"{token}.json"
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise UnitsError("danh sách xem trước không còn (đã nạp hoặc đã bỏ); tải lên lại") from None
    path.unlink(missing_ok=True)
    rows = [UnitRow(c, n, g) for c, n, g in data["rows"]]
    return int(data["year"]), str(data["criteria"]), str(data["source"]), rows


def load_rows(
    store: Store, year: int, criteria: str, rows: list[UnitRow], source: str, by: Account | None, address: str
) -> Loaded:
    """Make `rows` (a list shown in a preview) the unit list of `year`."""
    check_year(year)
    return _replace(store, year, catalogue_set(criteria, year), rows, source, by, address)


def load_official(
    store: Store,
    province: str,
    year: int,
    criteria: str,
    teams: Path | None = None,
    by: Account | None = None,
    address: str = "cli",
) -> Loaded:
    """Make the official list of `province`'s units (since 1 July 2025) the unit list of `year`,
    each unit with its appraisal team from `teams` (see engine.intake.official); as `load`
    otherwise. Units the teams file leaves out are named in `Loaded.unassigned`."""
    from engine.intake.official import official_list

    check_year(year)
    loaded = catalogue_set(criteria, year)
    listed = official_list(province, teams)
    source = f"{listed.source}: {listed.province}"
    if teams is not None:
        source += f"; tổ thẩm định theo {teams.name} (sha256 {sha256_file(teams)[:12]}…)"
    done = _replace(store, year, loaded, listed.units, source, by, address)
    done.unassigned = listed.unassigned
    done.province = listed.province
    return done


def move_unit(store: Store, by: Account, address: str, year: int, code: str, team: str) -> Unit:
    """Give a unit another of the year's teams, before its appraisal starts (its application not
    submitted yet): the new team appraises it, the old one no longer sees it. Audited."""
    from engine.portal.policy import in_state
    from engine.store import dossiers as dossier_rows

    with store.write() as conn:
        row = unitlists.unit(conn, year, code)
        if row is None:
            raise UnitsError(f"năm {year} không có đơn vị {code}")
        if not unitlists.has_group(conn, year, team):
            raise UnitsError(f"“{team}” không phải tổ thẩm định nào của năm {year}")
        if team == row.district:
            raise UnitsError(f"{row.name} đã thuộc {team}")
        application = dossier_rows.application(conn, year, code)
        state = application.state if application is not None else "chua_nop"
        if not in_state("unit.move", by.role, state):
            raise UnitsError(f"{row.name} đã nộp hồ sơ, việc thẩm định đã bắt đầu: không chuyển tổ được nữa")
        unitlists.move(conn, year, code, team, now())
        audit.record(conn, by, address, "unit_moved", f"{year}/{code}", {"from": row.district, "to": team})
    found = find_unit(store, year, code)
    assert found is not None
    return found


def _refuse_criteria_change(conn: Tx, year: int, loaded: LoadedCriteria) -> None:
    """A year whose applications are scored keeps its rule set: another one is refused."""
    before = next((y for y in unitlists.years(conn) if y.year == year), None)
    if before is not None and before.criteria_sha256 != loaded.sha256:
        started = unitlists.applications_started(conn, year)
        if started:
            raise UnitsError(
                f"năm {year} đã có {started} hồ sơ chấm theo {before.criteria_ref}; không đổi bộ tiêu "
                f"chí giữa năm (sang {loaded.model.ref}): nạp lại danh sách với bộ {before.criteria_ref}"
            )


def _replace(
    store: Store,
    year: int,
    loaded: LoadedCriteria,
    rows: list[UnitRow],
    source: str,
    by: Account | None,
    address: str,
) -> Loaded:
    moment = now()
    codes = {r.code for r in rows}
    common = {"year": year, "source": source, "loaded_at": moment}
    listed = [{**common, "code": r.code, "name": r.name or r.code, "district": r.group} for r in rows]
    with store.write() as conn:
        _refuse_criteria_change(conn, year, loaded)
        applied = unitlists.replace(conn, year, listed, loaded.model.ref, loaded.sha256, moment)
        dropped = sorted(applied - codes)
        audit.record(
            conn,
            by,
            address,
            "units_loaded",
            str(year),
            {"source": source, "units": len(rows), "criteria": loaded.model.ref, "dropped": dropped},
        )
    return Loaded(year, loaded.model.ref, len(rows), len({r.group for r in rows}), dropped)


def years(store: Store) -> list[Year]:
    with store.read() as conn:
        rows = unitlists.years(conn)
    return [Year(r.year, r.criteria_ref, r.criteria_sha256) for r in rows]


def year_of(store: Store, year: int) -> Year | None:
    return next((y for y in years(store) if y.year == year), None)


def criteria_of(store: Store, year: int) -> LoadedCriteria:
    """The criteria set of a programme year, checked against the file the year was set up with."""
    found = year_of(store, year)
    if found is None:
        raise UnitsError(f"năm {year} chưa có danh sách đơn vị (cqtt units load)")
    return _criteria(found.criteria_ref, found.criteria_sha256)


_CACHE: dict[tuple[str, str], LoadedCriteria] = {}


def _criteria(ref: str, sha256: str) -> LoadedCriteria:
    key = (ref, sha256)
    if key not in _CACHE:
        from engine.rules import catalog

        loaded = load_criteria(catalog.resolve(ref))
        if loaded.sha256 != sha256:
            raise UnitsError(
                f"tệp tiêu chí {ref} đã thay đổi sau khi nạp danh sách đơn vị (sha256 {loaded.sha256[:12]}…, "
                f"lúc nạp {sha256[:12]}…); nạp lại danh sách đơn vị để dùng bản mới"
            )
        _CACHE[key] = loaded
    return _CACHE[key]


def unit(conn: Tx, year: int, code: str) -> Unit | None:
    row = unitlists.unit(conn, year, code)
    return Unit(row.year, row.code, row.name, row.district) if row is not None else None


def find_unit(store: Store, year: int, code: str) -> Unit | None:
    with store.read() as conn:
        return unit(conn, year, code)


def of_district(store: Store, year: int, district: str) -> list[Unit]:
    with store.read() as conn:
        rows = unitlists.of_group(conn, year, district)
    return [Unit(r.year, r.code, r.name, r.district) for r in rows]


def all_units(store: Store, year: int) -> list[Unit]:
    with store.read() as conn:
        rows = unitlists.of_year(conn, year)
    return [Unit(r.year, r.code, r.name, r.district) for r in rows]


def districts(store: Store, year: int) -> list[tuple[str, int]]:
    """Each district of the year's list and its number of units."""
    with store.read() as conn:
        return unitlists.groups(conn, year)


def has_district(store: Store, year: int, district: str) -> bool:
    with store.read() as conn:
        return unitlists.has_group(conn, year, district)


def latest_year(store: Store) -> int | None:
    found = years(store)
    return found[-1].year if found else None


def today_year() -> int:
    return dt.date.today().year
