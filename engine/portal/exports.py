"""Downloads: the ranked results workbook and JSON for a scope (a unit, a district, the province),
written by the same code as `cqtt score`; the evidence template, blank or filled with the values
the scores are on (what `cqtt score` would read to give the same results)."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from typing import Any

from engine.intake.units import UnitRow
from engine.outputs.output import run_time
from engine.outputs.resultsjson import write_json
from engine.outputs.template import write_template
from engine.outputs.workbook import write_results
from engine.portal.roles import APPRAISED, SUBMITTED
from engine.portal.scoring import UnitValues, engine_for, read
from engine.portal.units import Unit, all_units, criteria_of, of_district
from engine.scoring.results import RunResult
from engine.store import dossiers as dossier_rows
from engine.store import reviews as review_rows
from engine.store.connect import Store

AWAITING = "đã nộp, chưa thẩm định xong"


@dataclass(frozen=True)
class Scope:
    """A unit, a district, or the whole province (neither)."""

    unit: str | None = None
    district: str | None = None

    def label(self) -> str:
        if self.unit:
            return f"đơn vị {self.unit}"
        if self.district:
            return self.district
        return "toàn tỉnh"

    def slug(self) -> str:
        from engine.suggest import slug

        return slug(self.unit or self.district or "toan-tinh")


def _units(store: Store, year: int, scope: Scope) -> list[Unit]:
    if scope.unit:
        return [u for u in all_units(store, year) if u.code == scope.unit]
    if scope.district:
        return of_district(store, year, scope.district)
    return all_units(store, year)


def scored_values(
    store: Store, year: int, scope: Scope, pending: bool = False
) -> tuple[list[Unit], list[UnitValues]]:
    """The scope's units, and the values each appraised application's score is on (an
    application still under appraisal has values nobody has finished checking: it is counted apart,
    as on the dashboard, never among the results). `pending`: those under appraisal too, as they
    stand (a draft rule file tried on every application, a what-if that counts nothing)."""
    listed, values, waiting = _split(store, year, scope, pending)
    return listed, values


def _split(
    store: Store, year: int, scope: Scope, pending: bool = False
) -> tuple[list[Unit], list[UnitValues], list[Unit]]:
    """The scope's units; the values of its appraised applications (`pending`: of every submitted
    one); its units submitted but not yet appraised (`pending`: none)."""
    listed = _units(store, year, scope)
    wanted = {u.code: u for u in listed}
    with store.read() as conn:
        found = dossier_rows.scored_data(conn, year)
    values, waiting = [], []
    for r in sorted(found, key=lambda r: r.unit_code):
        u = wanted.get(r.unit_code)
        if u is None or r.state not in SUBMITTED:
            continue
        if r.state in APPRAISED or pending:
            values.append(UnitValues(u.code, u.name, u.district, year, json.loads(r.data)))
        else:
            waiting.append(u)
    return listed, values, waiting


def _run(store: Store, year: int, scope: Scope) -> tuple[Any, RunResult, str]:
    from engine.intake.evidence import NotSubmitted

    loaded = criteria_of(store, year)
    listed, values, waiting = _split(store, year, scope)
    label = f"cổng cqtt, năm {year}, {scope.label()}"
    evidence = read(loaded, values, label)
    # the year's unit list is the population, as on the dashboard and in `cqtt score --units`:
    # a unit that has not applied, or whose appraisal is not finished, counts in every share's
    # denominator and is never counted eligible
    applied = {v.code for v in values}
    pending = {u.code for u in waiting}
    evidence.not_submitted = [
        NotSubmitted(
            u.code,
            u.name,
            u.district,
            AWAITING if u.code in pending else f"danh sách đơn vị năm {year}",
        )
        for u in listed
        if u.code not in applied
    ]
    evidence.unit_list = f"danh sách đơn vị năm {year} của cổng"
    with engine_for(loaded) as engine:
        run = engine.run(evidence)
    digest = hashlib.sha256(json.dumps([v.__dict__ for v in values], ensure_ascii=False).encode()).hexdigest()
    run.summary.awaiting_appraisal = len(pending) or None  # as `cqtt score` says it: none
    run.inputs = [{"file": label, "sha256": digest}]
    run.criteria.file = loaded.model.ref
    run.generated_at = run_time()
    return loaded, run, label


def results_workbook(store: Store, year: int, scope: Scope) -> bytes:
    loaded, run, label = _run(store, year, scope)
    options = {"criteria": loaded.model.ref, "year": str(year), "evidence": label}
    out = io.BytesIO()
    write_results(out, loaded.model, run, run.generated_at or run_time(), options)
    return out.getvalue()


def results_json(store: Store, year: int, scope: Scope) -> bytes:
    loaded, run, _ = _run(store, year, scope)
    out = io.BytesIO()
    write_json(out, run, loaded.model)
    return out.getvalue()


def template(store: Store, year: int, scope: Scope, filled: bool, pending: bool = False) -> bytes:
    """The evidence template of the scope's units; `filled`, the rows of the appraised units with
    the values their scores are on (what `cqtt score` reads to give the same results; `pending`:
    the units under appraisal too, with their values as they stand)."""
    loaded = criteria_of(store, year)
    listed, values = scored_values(store, year, scope, pending)
    if filled:
        rows = [UnitRow(v.code, v.name, v.district) for v in values]
        cells: dict[str, dict[str, Any]] | None = {v.code: dict(v.data) for v in values}
    else:
        rows, cells = [UnitRow(u.code, u.name, u.district) for u in listed], None
    out = io.BytesIO()
    write_template(out, loaded, rows, year, cells)
    return out.getvalue()


def records(
    store: Store, year: int, scope: Scope, kind: str, head: Any, templates: Any = None
) -> list[tuple[str, bytes]]:
    """The records `cqtt records` writes (biên bản thẩm định per unit, or the district's danh
    sách đề nghị), made from the same scores as the downloads: (file name, .docx bytes)."""
    from engine.outputs.records.build import appraisal, proposal_lists, render_bytes
    from engine.scoring.ranked import full_results

    loaded, run, _ = _run(store, year, scope)
    scored = list(full_results(run.units))
    if kind == "bien-ban-tham-dinh":
        made = [appraisal(loaded.model, u, head, _corrected(store, year, u.code)) for u in scored]
    else:
        made = list(proposal_lists(loaded.model, scored, head))
    return [(record.name, render_bytes(record, kind, templates)) for record in made]


def _corrected(store: Store, year: int, code: str) -> dict[str, tuple[str, str]]:
    """The values the district changed from the commune's, with its reasons: {field: (declared, reason)}."""
    from engine.portal import dossiers

    d = dossiers.dossier(store, year, code)
    if d is None:
        return {}
    found = dossiers.versions(store, d.id)
    declared, verified = dossiers.latest(found, "declared"), dossiers.latest(found, "verified")
    if declared is None or verified is None:
        return {}
    return {k: (declared.data.get(k, ""), reason) for k, reason in verified.notes.items()}


def zipped(files: list[tuple[str, bytes]]) -> bytes:
    """Several records in one .zip (entries dated alike: the same records give the same bytes)."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)
    return out.getvalue()


def field_record(
    store: Store, year: int, code: str, head: Any, templates: Any = None
) -> tuple[str, bytes] | None:
    """The biên bản kiểm tra thực địa of a unit checked on site through the portal: each value the
    district used beside the one found, with the checker's reason (None before any check)."""
    from engine.outputs.records.build import FieldRow, FieldUnit, render_bytes
    from engine.outputs.records.build import field_record as make
    from engine.portal import dossiers
    from engine.review.field import RISK_LABELS

    d = dossiers.dossier(store, year, code)
    if d is None:
        return None
    found = dossiers.versions(store, d.id)
    team = dossiers.latest(found, "verified") or dossiers.latest(found, "declared")
    checked = dossiers.latest(found, "field")
    if team is None or checked is None:
        return None
    with store.read() as conn:
        drawn = review_rows.field_check(conn, year, code)
    risks = drawn.risks if drawn is not None else None
    reason = ", ".join(RISK_LABELS.get(r, r) for r in json.loads(risks)) if risks else ""
    loaded = criteria_of(store, year)
    rows = [
        FieldRow(
            decl.label,
            team.data.get(decl.id, ""),
            checked.data.get(decl.id, ""),
            checked.notes.get(decl.id, ""),
        )
        for decl in loaded.model.evidence
    ]
    unit = FieldUnit(code, d.unit.name, d.unit.district, reason or "chọn theo quyết định của tỉnh", rows)
    record = make(loaded.model, unit, year, head)
    return record.name, render_bytes(record, "bien-ban-kiem-tra", templates)
