"""The jobs behind each command, free of click: the CLI parses options, calls one of these, prints.

Each job returns plain data (or raises a `CqttError`); nothing here prints or exits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from engine.errors import CqttError, EvidenceFileError, OutputError, RuleFileError, RuleIssue
from engine.hashing import sha256_file
from engine.intake.evidence import EvidenceSet, other_years, read_evidence
from engine.intake.units import read_units
from engine.outputs.output import check_target, run_time, write_atomic
from engine.rules import catalog
from engine.rules.checks import check_versions_together
from engine.rules.diff import diff_sets
from engine.rules.loader import LoadedCriteria, load_criteria, load_ref
from engine.scoring.compare import DiffOutcome, missing_fields, unit_changes
from engine.scoring.engine import Engine
from engine.scoring.results import RunResult
from engine.scoring.ruletests import CaseResult, run_tests_file

# Above these, `score` names each phase as it starts (reading, scoring, each sheet, the JSON).
LONG_RUN_UNITS = 500
LONG_INPUT_BYTES = 1_000_000


@dataclass
class ValidationReport:
    files: list[Path]
    errors: list[RuleIssue] = field(default_factory=list)
    warnings: list[RuleIssue] = field(default_factory=list)
    valid: list[LoadedCriteria] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def validate(paths: list[Path], strict: bool = False) -> ValidationReport:
    """Check every rule file under `paths`, collecting all problems of all files. With `strict`,
    warnings (an item without a source, an unused evidence field...) are errors too."""
    files = catalog.rule_files(paths)
    report = ValidationReport(files)
    if not files:
        report.errors.append(
            RuleIssue(", ".join(map(str, paths)), None, "(tệp)", "không tìm thấy tệp tiêu chí .yaml nào")
        )
    for path in files:
        try:
            loaded = load_criteria(path, notify=False)  # validate and test name the file
        except RuleFileError as exc:
            report.errors += exc.errors
            report.warnings += [i for i in exc.issues if i.severity != "error"]
            continue
        report.valid.append(loaded)
        report.warnings += loaded.warnings
    together = check_versions_together(
        [(str(v.path), v.model) for v in report.valid],
        _versions_beside(report.valid),
        {str(v.path): v.yaml for v in report.valid},
    )
    report.errors += [i for i in together if i.severity == "error"]
    report.warnings += [i for i in together if i.severity != "error"]
    if strict and report.warnings:
        from dataclasses import replace

        report.errors += [replace(w, severity="error") for w in report.warnings]
        report.warnings = []
        report.valid = [v for v in report.valid if str(v.path) not in {e.file for e in report.errors}]
    return report


def _versions_beside(valid: list[LoadedCriteria]) -> dict[str, set[str]]:
    """Versions of each set found beside the files checked (their folders) and among the bundled
    sets: what a `supersedes` may name without the file being checked alongside."""
    found: dict[str, set[str]] = {}
    for entry in catalog.entries():
        found.setdefault(entry.set_id, set()).add(entry.version)
    for folder in {v.path.resolve().parent for v in valid}:
        for entry in catalog.entries_in(folder):
            found.setdefault(entry.set_id, set()).add(entry.version)
    return found


@dataclass
class TestReport:
    rule_file: Path
    tests_file: Path | None
    cases: list[CaseResult]
    error: str | None = None


def rule_tests(paths: list[Path]) -> list[TestReport]:
    """Run the tests file beside each rule file; a rule file without one is reported."""
    reports = []
    for path in catalog.rule_files(paths):
        tests = catalog.tests_file_for(path)
        try:
            loaded = load_criteria(path, notify=False)  # validate and test name the file
            if not tests.exists():
                reports.append(TestReport(path, None, [], f"không có tệp kiểm thử {tests.name} bên cạnh"))
                continue
            reports.append(TestReport(path, tests, run_tests_file(loaded, tests)))
        except RuleFileError as exc:
            reports.append(TestReport(path, tests, [], "\n".join(i.format() for i in exc.errors)))
    return reports


@dataclass
class ScoreOutcome:
    run: RunResult
    evidence: EvidenceSet
    loaded: LoadedCriteria
    warnings: list[str] = field(default_factory=list)
    recorded: Any = None  # engine.store.record.RecordedRun when a store was given
    store: str | None = None


def score(
    evidence_paths: list[Path],
    ref: str,
    year: int | None,
    xlsx: Path | None,
    json_path: Path | None,
    force: bool = False,
    progress: Callable[[int], Callable[[int], None] | None] | None = None,
    db: str | None = None,
    phase: Callable[[str], None] | None = None,
    jobs: int = 1,
    units_path: Path | None = None,
) -> ScoreOutcome:
    """Score evidence files, record the run in the history store when `db` is given (see
    `open_store`), and write the requested outputs (all checked before any work). `jobs`
    processes score the units; the outputs are the same whatever it is. With `units_path`, the
    province's unit list is the population: its units missing from the evidence have not applied."""
    _check_targets(
        [xlsx, json_path],
        force,
        [*evidence_paths, *([units_path] if units_path else []), *rule_inputs(ref, year=year), *db_input(db)],
    )
    from engine.allocator import keep_large_buffers_apart

    _once_each(evidence_paths)
    keep_large_buffers_apart()  # a long run frees many large buffers (see engine.allocator)
    store = open_store(db) if db is not None else None
    try:
        return _score(evidence_paths, ref, year, xlsx, json_path, progress, store, phase, jobs, units_path)
    finally:
        if store is not None:
            store.close()


def _score(
    evidence_paths: list[Path],
    ref: str,
    year: int | None,
    xlsx: Path | None,
    json_path: Path | None,
    progress: Callable[[int], Callable[[int], None] | None] | None,
    store: Any,
    phase: Callable[[str], None] | None = None,
    jobs: int = 1,
    units_path: Path | None = None,
) -> ScoreOutcome:
    loaded = load_ref(ref, year)
    listed = read_units(units_path) if units_path is not None else None
    size = sum(p.stat().st_size for p in evidence_paths if p.is_file())
    reading = phase if size >= LONG_INPUT_BYTES else None
    if reading is not None:
        reading(f"Đang đọc minh chứng ({size / 1e6:.1f} MB)…".replace(".", ",", 1))
    evidence = read_evidence(evidence_paths, loaded.model, phase=reading, spooled=True, processes=jobs)
    if year is not None and (refusal := other_years(evidence, year)) is not None:
        raise refusal  # rows that say another year are never scored as this one
    long_run = len(evidence.applications) >= LONG_RUN_UNITS

    def say(text: str) -> None:
        if phase is not None and long_run:
            phase(text)

    warnings = _year_warnings(loaded, evidence)
    warnings += _template_warnings(loaded, evidence)
    if listed is not None and units_path is not None:
        warnings += _against_unit_list(evidence, listed, units_path)
    engine = Engine(loaded)
    step = progress(len(evidence.applications)) if progress else None
    run = engine.run(evidence, step, jobs)
    _tallies_effect(engine, evidence, run)
    run.inputs = [{"file": str(p), "sha256": sha256_file(p)} for p in evidence_paths]  # paths as given
    run.criteria.file = ref  # as given (REF or path): the sha256 identifies the file, not where it was
    generated = run_time()
    run.generated_at = generated
    recorded = None
    if store is not None:
        from engine.store.history import prior_years

        say("Đang đối chiếu với các năm trước…")
        run.history = prior_years(store, run)  # read before this run is added
    _write_outputs(
        loaded, run, xlsx, json_path, generated, say, jobs if long_run else 1, ref, year, evidence_paths
    )
    if store is not None:  # recorded once its outputs are written: a failed run leaves no trace
        from engine.store.record import record_run

        say("Đang lưu vào cơ sở dữ liệu…")
        recorded = record_run(store, run)
    return ScoreOutcome(run, evidence, loaded, warnings, recorded, store.label if store is not None else None)


def _write_outputs(
    loaded: LoadedCriteria,
    run: RunResult,
    xlsx: Path | None,
    json_path: Path | None,
    generated: str,
    say: Callable[[str], None],
    jobs: int,
    ref: str,
    year: int | None,
    evidence_paths: list[Path],
) -> None:
    """The JSON and the workbook; with more than one process, the JSON is written by a forked
    child while this process writes the workbook (the files are the same either way)."""
    from contextlib import nullcontext

    from engine.outputs import alongside
    from engine.outputs.resultsjson import write_json

    def json_file() -> None:
        assert json_path is not None
        write_atomic(json_path, lambda handle: write_json(handle, run, loaded.model))

    if json_path is not None:
        say(f"Đang ghi JSON {json_path}…")
    if xlsx is None:
        if json_path is not None:
            json_file()
        return
    from engine.outputs.workbook import write_results

    options = {"criteria": ref, "year": str(year or ""), "evidence": ", ".join(map(str, evidence_paths))}

    def sheet(text: str) -> None:
        say(f"Đang ghi {xlsx}: {text}…")

    meanwhile: Any = nullcontext()
    if json_path is not None and jobs > 1 and alongside.available():
        meanwhile = alongside.alongside(json_file, f"JSON {json_path}")
    elif json_path is not None:
        json_file()
    with meanwhile:
        write_atomic(xlsx, lambda h: write_results(h, loaded.model, run, generated, options, sheet, jobs))


def _tallies_effect(engine: Engine, evidence: EvidenceSet, run: RunResult) -> None:
    """Which units the survey tallies changed the result of: each unit whose typed survey values
    were replaced is scored again with them, as typed, and the two results compared."""
    import dataclasses

    if not any(i.kind == "replaced" for i in evidence.issues):
        return  # no tally replaced a typed value: no pass over the (spooled) applications
    replaced = [a for a in evidence.applications if a.typed]
    if not replaced:
        return
    counted = {u.code: u.recognised for u in run.units}
    changed = []
    as_typed = run.summary.recognisable
    for app in replaced:
        values = {k: v for k, v in app.values.items() if k not in app.typed}
        values.update({k: v for k, v in app.typed.items() if v is not None})
        invalid = {**app.invalid, **{k: "thiếu giá trị" for k, v in app.typed.items() if v is None}}
        before = engine.score(dataclasses.replace(app, values=values, invalid=invalid, typed={})).recognised
        if before != counted.get(app.code):
            changed.append(app.code)
            as_typed += 1 if before else -1
    run.summary.tallies_changed = sorted(changed)
    run.summary.recognisable_as_typed = as_typed


def _against_unit_list(evidence: EvidenceSet, listed: list[Any], path: Path) -> list[str]:
    """The unit list is the population: its units with no row in the evidence have not applied;
    units of the evidence the list does not have are named (they are scored, but are they the
    province's?)."""
    from engine.intake.evidence import NotSubmitted

    applied = {a.code.casefold() for a in evidence.applications}
    waiting = {w.code.casefold() for w in evidence.not_submitted}
    for unit in listed:
        if unit.code.casefold() not in applied and unit.code.casefold() not in waiting:
            evidence.not_submitted.append(
                NotSubmitted(unit.code, unit.name, unit.group or "(chưa phân nhóm)", f"danh sách {path.name}")
            )
    evidence.unit_list = str(path)
    known = {u.code.casefold() for u in listed}
    strangers = sorted(a.code for a in evidence.applications if a.code.casefold() not in known)
    if not strangers:
        return []
    shown = ", ".join(strangers[:10]) + ("…" if len(strangers) > 10 else "")
    return [
        f"{len(strangers)} đơn vị có trong minh chứng nhưng không có trong danh sách {path.name}: {shown}"
    ]


def _year_warnings(loaded: LoadedCriteria, evidence: EvidenceSet) -> list[str]:
    years = sorted({a.year for a in evidence.applications if a.year is not None})
    eff = loaded.model.effective
    outside = [y for y in years if not eff.covers(y)]
    if outside:
        return [
            f"năm {', '.join(map(str, outside))} trong minh chứng nằm ngoài thời gian hiệu "
            f"lực của {loaded.model.ref}; kiểm tra lại --criteria"
        ]
    return []


def _template_warnings(loaded: LoadedCriteria, evidence: EvidenceSet) -> list[str]:
    found = []
    for file, binding in evidence.bindings.items():
        if (binding.get("criteria"), binding.get("version"), binding.get("sha256")) != (
            loaded.model.id,
            loaded.model.version,
            loaded.sha256,
        ):
            found.append(
                f"{Path(file).name} là mẫu nhập của {binding.get('criteria')}@{binding.get('version')} "
                f"(sha256 {str(binding.get('sha256'))[:12]}…) nhưng đang chấm theo {loaded.model.ref} "
                f"(sha256 {loaded.sha256[:12]}…): kiểm tra các cột và thang điểm"
            )
    return found


def diff(
    old_ref: str,
    new_ref: str,
    evidence_paths: list[Path] | None = None,
    json_path: Path | None = None,
    xlsx: Path | None = None,
    force: bool = False,
) -> DiffOutcome:
    """Compare two versions; with evidence, score it under both and say why each unit changes.
    Renamed evidence fields (`renamed:` in either version) are read under both."""
    _check_targets([json_path, xlsx], force, [*(evidence_paths or []), *rule_inputs(old_ref, new_ref)])
    old, new = load_ref(old_ref), load_ref(new_ref)
    outcome = DiffOutcome(diff_sets(old.model, new.model), sha256=(old.sha256, new.sha256))
    if old.model.ref == new.model.ref:  # a draft against the version it edits: name them by file
        outcome.diff.old, outcome.diff.new = _side_names(old.path, new.path)
    outcome.models = (old.model.status == "model", new.model.status == "model")
    if evidence_paths:
        outcome.foreign = _made_for_another_set(old, new, evidence_paths)
    if evidence_paths and outcome.foreign is None:
        runs, missing = [], []
        for loaded, other in ((old, new), (new, old)):
            ev = read_evidence(evidence_paths, loaded.model, other.model)
            run = Engine(loaded).run(ev)
            runs.append(run)
            missing.append(missing_fields(loaded.model, ev.present, run))
        outcome.units, outcome.effects = unit_changes(runs[0], runs[1])
        outcome.eligible = tuple(
            (r.summary.recognisable, r.summary.units, r.summary.target_share, r.summary.meets_target)
            for r in runs
        )
        outcome.missing = (missing[0], missing[1])
        outcome.scored = len(runs[1].units)
        outcome.evidence = [{"file": str(p), "sha256": sha256_file(p)} for p in evidence_paths]
    if json_path is not None:
        from engine.outputs.diffbook import write_diff_json

        write_atomic(json_path, lambda h: write_diff_json(h, outcome))
    if xlsx is not None:
        from engine.outputs.diffbook import write_diff_workbook

        write_atomic(xlsx, lambda h: write_diff_workbook(h, outcome))
    return outcome


def _side_names(old: Path, new: Path) -> tuple[str, str]:
    """Two files of the same set and version, named so that people can tell them apart."""
    a, b = old.name, new.name
    if a == b:
        a, b = str(old), str(new)
    return a, b


def _made_for_another_set(old: LoadedCriteria, new: LoadedCriteria, paths: list[Path]) -> str | None:
    """Why the evidence cannot say anything about these two versions, if it was made for another
    rule set: a template bound to another set, or most of either version's fields absent."""
    names = ", ".join(p.name for p in paths)
    ev = read_evidence(paths, new.model, old.model)
    ids = {old.model.id, new.model.id}
    for file, binding in ev.bindings.items():
        if binding.get("criteria") not in ids:
            return (
                f"{Path(file).name} là mẫu nhập của {binding.get('criteria')}@{binding.get('version')}, "
                f"không phải của {new.model.id}: so sánh trên minh chứng này không có ý nghĩa; "
                "bỏ qua phần minh chứng"
            )
    shares = []
    for loaded in (old, new):
        fields = {d.id for d in loaded.model.evidence}
        shares.append((len(ev.present & fields), len(fields), loaded.model.ref))
    if all(have * 2 < total for have, total, _ in shares):
        have, total, ref = shares[1]
        return (
            f"minh chứng {names} có vẻ làm cho bộ tiêu chí khác: chỉ có {have}/{total} trường minh chứng "
            f"của {ref}; bỏ qua phần minh chứng"
        )
    return None


# -- the province's re-check ------------------------------------------------------------------------
def recheck(
    results: Path,
    evidence_paths: list[Path] | None,
    ref: str | None,
    field_path: Path | None,
    xlsx: Path | None,
    json_path: Path | None,
    force: bool = False,
    progress: Callable[[int], Callable[[int], None] | None] | None = None,
    db: str | None = None,
) -> Any:
    """Re-score a team's results and write the re-check workbook and JSON (checked first); with
    `db`, keep the province's result per unit in the history store."""
    from engine.review.recheck import recheck as run_recheck
    from engine.review.report import write_recheck

    inputs = [results, *(evidence_paths or []), *([field_path] if field_path else []), *rule_inputs(ref)]
    _check_targets([xlsx, json_path], force, [*inputs, *db_input(db)])
    outcome = run_recheck(results, evidence_paths, ref, field_path, progress)
    if json_path is not None:
        write_atomic(json_path, _json_writer(outcome.result))
    if xlsx is not None:
        write_atomic(xlsx, lambda h: write_recheck(h, outcome.result))
    if db is not None:  # recorded once the outputs are written
        outcome.store = _record_recheck(db, outcome.result)
    return outcome


def _record_recheck(db: str, r: Any) -> str:
    from engine.store.record import RecheckedUnit, record_recheck

    store = open_store(db)
    try:
        record_recheck(
            store,
            {"id": r.criteria.id, "version": r.criteria.version, "sha256": r.criteria.sha256},
            r.team_file["file"],
            r.team_file["sha256"],
            r.field_file["file"] if r.field_file else None,
            r.tool,
            [
                RecheckedUnit(
                    u.code,
                    u.name,
                    u.year,
                    u.team_total,
                    u.team_recognised,
                    u.province_total,
                    u.province_recognised,
                    u.disqualified,
                    u.field_checked,
                    u.blocking,
                )  # fmt: skip
                for u in r.units
            ],
        )
        return str(store.label)
    finally:
        store.close()


def sample(
    results: Path,
    ref: str | None,
    n: int,
    seed: int,
    xlsx: Path,
    json_path: Path | None,
    force: bool = False,
    db: str | None = None,
) -> Any:
    """Draw units for on-site checks and write the field workbook (and the draw as JSON). With a
    history store, units proposed for the first time weigh more."""
    from engine.review.field import sample as draw
    from engine.review.field import write_field

    _check_targets([xlsx, json_path], force, [results, *rule_inputs(ref), *db_input(db)])
    if db is None:
        result, cs, apps = draw(results, ref, n, seed)
    else:
        from functools import partial

        from engine.store.history import proposed_before

        store = open_store(db, create=False)
        try:
            result, cs, apps = draw(results, ref, n, seed, partial(proposed_before, store), store.label)
        finally:
            store.close()
    if json_path is not None:
        write_atomic(json_path, _json_writer(result))
    write_atomic(xlsx, lambda h: write_field(h, result, cs, apps))
    return result


def decisions(recheck_book: Path, json_path: Path, force: bool = False) -> Any:
    """Read and check the filled Quyết định sheet; write the decisions as JSON."""
    from engine.review.decisions import read_decisions

    _check_targets([json_path], force, [recheck_book])
    found = read_decisions(recheck_book)
    write_atomic(json_path, _json_writer(found))
    return found


def _once_each(paths: list[Path]) -> None:
    """The same evidence file given twice (by two spellings or links too) would make every unit a
    duplicate of itself: said in one line instead."""
    from engine.outputs.output import same_file

    for i, a in enumerate(paths):
        for b in paths[i + 1 :]:
            if a.exists() and b.exists() and same_file(a, b):
                raise EvidenceFileError(
                    str(b), f"tệp minh chứng được đưa hai lần (cùng tệp với {a}); bỏ một lần"
                )


def rule_inputs(*refs: str | None, year: int | None = None) -> list[Path]:
    """The rule files (and their tests files) a run reads, as inputs no output may replace. A
    reference that does not resolve is left to the command to report."""
    from engine.errors import CqttError
    from engine.rules import catalog

    found: list[Path] = []
    for ref in refs:
        if ref is None:
            continue
        try:
            path = catalog.resolve(ref, year)
        except CqttError:
            continue
        found += [p for p in (path, catalog.tests_file_for(path)) if p.exists()]
    return found


def db_input(db: str | None) -> list[Path]:
    """The history store, when it is a file: an output must not be it."""
    from engine.store.connect import _is_url

    if db is None or not db or _is_url(db):
        return []
    return [Path(db)]


def _check_targets(targets: list[Path | None], force: bool, inputs: list[Path]) -> None:
    """Refuse before any work: two outputs that are one file (however spelled: relative and
    absolute, through a symbolic or hard link), an output that is an input, an existing file."""
    from engine.outputs.output import same_file

    real = [t for t in targets if t is not None]
    for i, a in enumerate(real):
        for b in real[i + 1 :]:
            if same_file(a, b):
                raise OutputError(f"{a} và {b} là cùng một tệp; hai tệp kết quả cần hai tên khác nhau")
    for target in real:
        check_target(target, force, inputs)


def _json_writer(model: Any) -> Callable[[BinaryIO], None]:
    def write(handle: BinaryIO) -> None:
        handle.write(model.model_dump_json(indent=1).encode())

    return write


# -- the history store ------------------------------------------------------------------------------
# `db` is the --db value: None when the option was not given, "" when given without a value (then
# CQTT_DB or the default file), else a path or URL. engine.store (SQLAlchemy, Alembic) is imported
# only here, when a store is used.
def open_store(db: str | None, create: bool = True, upgrade: bool = False) -> Any:
    from engine.store.connect import open_store as connect

    return connect(db or None, create=create, upgrade=upgrade)


@dataclass
class DecisionsRecorded:
    decisions: Any  # DecisionFile
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    store: str = ""


def read_decision_file(path: Path) -> Any:
    """Decisions from a filled re-check workbook or from the JSON `cqtt decisions` writes."""
    from pydantic import ValidationError

    from engine.errors import CqttError
    from engine.review.decisions import DecisionFile, read_decisions

    if path.suffix.lower() != ".json":
        return read_decisions(path)
    if not path.is_file():
        raise CqttError(f"{path}: không tìm thấy tệp")
    try:
        return DecisionFile.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CqttError(
            f"{path}: không phải tệp quyết định do “cqtt decisions” ghi ({where}: {first['msg']})"
        ) from None


def decisions_to_store(
    source: Path, db: str | None, year: int | None, json_path: Path | None, force: bool = False
) -> DecisionsRecorded:
    """Read decisions, optionally write them as JSON, and record them in the store when asked."""

    from engine.errors import CqttError

    _check_targets([json_path], force, [source])
    found = read_decision_file(source)
    store = open_store(db) if db is not None else None
    try:
        if json_path is not None:
            write_atomic(json_path, _json_writer(found))
        outcome = DecisionsRecorded(found)
        if store is None:
            return outcome
        from engine.store.record import NewDecision, record_decisions

        items = []
        missing = []
        for d in found.decisions:
            unit_year = d.year if d.year is not None else year
            if unit_year is None:
                missing.append(d.unit)
                continue
            items.append(
                NewDecision(
                    d.unit,
                    unit_year,
                    d.decision,
                    d.number,
                    dt.date.fromisoformat(d.date) if d.date else None,
                    d.reason,
                    "tinh" if d.basis_recognised is not None else None,
                    d.basis_total,
                    d.basis_recognised,
                    d.contradiction,
                )
            )
        if missing:
            raise CqttError(
                f"{source}: không rõ năm đánh giá của {len(missing)} đơn vị ({', '.join(missing[:5])}"
                f"{'…' if len(missing) > 5 else ''}); ghi --year NĂM"
            )
        label = (
            found.recheck_file.get("file", str(source)) if source.suffix.lower() == ".json" else str(source)
        )
        counts = record_decisions(
            store, items, label, found.recheck_file.get("sha256") or sha256_file(source), found.criteria
        )
        outcome.added, outcome.replaced, outcome.unchanged = counts.added, counts.replaced, counts.unchanged
        outcome.store = store.label
        return outcome
    finally:
        if store is not None:
            store.close()


def revoke(
    db: str | None, unit: str, year: int, number: str, date: str, reason: str, correct: bool = False
) -> tuple[int, str]:
    """Record the withdrawal of a unit's recognition; returns the new row's id and the store."""
    from engine.errors import CqttError
    from engine.intake.cells import parse_date
    from engine.review.decisions import RevocationFields, check_revocation
    from engine.store.record import record_revocation

    try:
        day = parse_date(date)
    except ValueError:
        raise CqttError(f"--date {date!r}: ngày không hợp lệ (ghi ví dụ 15/12/2024)") from None
    named = RevocationFields("--decision-number", "--date", "--reason")
    number, day, reason = check_revocation(year, number, day, reason, named, date)
    store = open_store(db)
    try:
        row = record_revocation(store, unit.strip(), year, number, day, reason, correct)
        return row, store.label
    finally:
        store.close()


def history(db: str | None, unit: str) -> Any:
    from engine.errors import CqttError
    from engine.store.history import codes_named, unit_history

    store = open_store(db, create=False)
    try:
        found = unit_history(store, unit.strip())
        if not found.years and not found.successors:  # a unit's name, as people call it
            named = codes_named(store, unit)
            if len(named) > 1:
                listed = "; ".join(f"{code} {name}" for code, name in named.items())
                raise CqttError(f"có {len(named)} đơn vị tên “{unit.strip()}”: {listed}; ghi mã đơn vị")
            if named:
                found = unit_history(store, next(iter(named)))
    finally:
        store.close()
    if not found.years and not found.successors:
        raise CqttError(f"{store.label}: không có lịch sử nào của đơn vị {unit}")
    return found


def succession(
    db: str | None, path: Path | None, official: bool = False, province: str | None = None
) -> tuple[int, int, str, list[str]]:
    """Load a succession file, or the bundled table of the 2025 reorganisation (`official`, for
    one `province` or all): refused whole when it closes a chain of mergers on itself (with what
    the store holds); codes the store has never seen are returned to be warned about."""
    from engine.errors import CqttError
    from engine.intake.succession import read_succession
    from engine.store.record import record_succession, succession_cycle, unknown_codes

    if official:
        from engine.intake.official import official_succession

        rows, source = official_succession(province)
        named = "bảng sắp xếp 01/07/2025"
    else:
        assert path is not None
        rows = read_succession(path)
        source, named = f"{path.name} (sha256 {sha256_file(path)[:12]}…)", str(path)
    store = open_store(db)
    try:
        # the official table reuses codes on the same day (an old unit and the new one that kept
        # its code); history follows only earlier reorganisations, so such links never loop
        cycle = None if official else succession_cycle(store, rows)
        if cycle:
            raise CqttError(
                f"{named}: vòng lặp sáp nhập {' → '.join(cycle)} (tính cả các dòng đã nạp trước); "
                "chưa ghi dòng nào"
            )
        strangers = unknown_codes(store, rows)
        added, present = record_succession(store, rows, source)
        return added, present, store.label, strangers
    finally:
        store.close()


def db_upgrade(db: str | None) -> tuple[str | None, str, str, list[str]]:
    """Upgrade an older store to this version's schema, and make again the append-only guards of
    tables that lost them; returns (was, now, store, tables guarded again)."""
    from engine.store.connect import revision

    store = open_store(db, create=False, upgrade=True)
    try:
        now, _head = revision(store)
        was = store.upgraded_from if store.upgraded_from is not None else now
        return was, now or "", store.label, store.guards_restored
    finally:
        store.close()


def db_grant(db: str | None, role: str) -> tuple[list[str], list[str], str]:
    """Grant the portal's PostgreSQL login role what it needs (engine.store.roles)."""
    from engine.store.roles import grant

    store = open_store(db, create=False)
    try:
        appended, others = grant(store, role)
        return appended, others, store.label
    finally:
        store.close()


# -- raw survey responses ----------------------------------------------------------------------------
def survey_tally(
    responses: list[Path],
    ref: str,
    year: int | None,
    units_path: Path | None,
    xlsx: Path | None,
    csv_path: Path | None,
    force: bool = False,
) -> Any:
    """Count raw responses into tallies; write the tallies workbook and/or CSV (checked first)."""
    from engine.errors import CqttError
    from engine.intake.responses import read_responses
    from engine.intake.units import read_units
    from engine.outputs.tallybook import write_tallies, write_tallies_csv
    from engine.scoring.tally import tally

    _check_targets(
        [xlsx, csv_path],
        force,
        [*responses, *([units_path] if units_path else []), *rule_inputs(ref, year=year)],
    )
    loaded = load_ref(ref, year)
    if not loaded.model.surveys:
        raise CqttError(f"bộ tiêu chí {loaded.model.ref} không khai báo mẫu phiếu khảo sát nào (`surveys:`)")
    names = {u.code: u.name for u in read_units(units_path)} if units_path else None
    read = read_responses(responses, loaded.model)
    result = tally(read, loaded, year, names)
    if csv_path is not None:
        write_atomic(csv_path, lambda h: write_tallies_csv(h, result))
    if xlsx is not None:
        write_atomic(xlsx, lambda h: write_tallies(h, result))
    return result


# -- the portal's accounts, unit lists and audit log (the CLI face; web/ is the other) ----------------
def users_add(
    db: str | None,
    login: str,
    role: str,
    unit: str | None,
    district: str | None,
    name: str | None,
    email: str | None = None,
) -> tuple[Any, str, str]:
    """A new account and its one-time password; returns (account, password, store)."""
    from engine.portal import accounts

    store = open_store(db)
    try:
        account, password = accounts.add(store, login, role, unit, district, name, email=email)
        return account, password, store.label
    finally:
        store.close()


def users_list(db: str | None) -> list[Any]:
    from engine.portal import accounts

    store = open_store(db, create=False)
    try:
        return accounts.listing(store)
    finally:
        store.close()


def users_email(db: str | None, login: str, email: str, digest: bool | None = None) -> Any:
    from engine.portal import accounts

    store = open_store(db, create=False)
    try:
        return accounts.set_email(store, login, email, digest=digest)
    finally:
        store.close()


def users_enable(db: str | None, login: str) -> Any:
    from engine.portal import accounts

    store = open_store(db, create=False)
    try:
        return accounts.enable(store, login)
    finally:
        store.close()


def users_disable(db: str | None, login: str) -> Any:
    from engine.portal import accounts

    store = open_store(db, create=False)
    try:
        return accounts.disable(store, login)
    finally:
        store.close()


def users_team(db: str | None, login: str, year: int, team: str) -> Any:
    from engine.portal import accounts

    store = open_store(db, create=False)
    try:
        return accounts.assign_team(store, login, year, team)
    finally:
        store.close()


def users_reset_password(db: str | None, login: str) -> str:
    from engine.portal import accounts

    store = open_store(db, create=False)
    try:
        return accounts.reset_password(store, login)
    finally:
        store.close()


def units_load(
    db: str | None,
    path: Path | None,
    year: int,
    criteria: str | None,
    official: str | None = None,
    teams: Path | None = None,
) -> Any:
    """The province's unit list for a year, from a file or the official list of a province
    (`official`, with its `teams`); the criteria set is kept from an earlier load of the year
    when not given."""
    from engine.errors import CqttError
    from engine.portal import units

    store = open_store(db)
    try:
        if criteria is None:
            known = units.year_of(store, year)
            if known is None:
                raise CqttError(f"năm {year} chưa có bộ tiêu chí; ghi --criteria (ví dụ bac-giang)")
            criteria = known.criteria_ref
        if official is not None:
            return units.load_official(store, official, year, criteria, teams)
        assert path is not None
        return units.load(store, path, year, criteria)
    finally:
        store.close()


def audit_entries(db: str | None, since: dt.datetime | None, login: str | None) -> list[Any]:
    from engine.portal import audit

    store = open_store(db, create=False)
    try:
        return audit.entries(store, since, login)
    finally:
        store.close()


def records(
    source: Path,
    kind: str,
    out_dir: Path,
    ref: str | None,
    templates: Path | None,
    head: Any,
    units: list[str] | None = None,
    force: bool = False,
    one_file: bool = False,
) -> list[Path]:
    """Write the records of one stage (engine.outputs.records.build) into `out_dir`: a file each,
    or (`one_file`) all in one file to print, each record from a new page.

    A results file is scored again from the evidence it carries, with its own rule set: a record
    is signed, so it must never repeat a number typed over in the file; a file that differs from
    its own re-score is refused (the re-check shows where)."""
    from engine.outputs.records import build
    from engine.review.discrepancies import resolve_criteria
    from engine.review.recheck import compare
    from engine.review.sealcheck import check_seal
    from engine.review.teamfile import read_team
    from engine.scoring.engine import Engine
    from engine.scoring.ranked import full_results

    if templates is not None and not templates.is_dir():
        raise CqttError(f"{templates}: không có thư mục mẫu văn bản này")
    if kind == "bien-ban-kiem-tra":
        from engine.review.fieldbook import field_criteria, field_units
        from engine.rules.loader import load_ref

        loaded = load_ref(ref or field_criteria(source))
        year = head.year
        made = [build.field_record(loaded.model, u, year, head) for u in field_units(source, loaded.model)]
    else:
        loaded, changed = resolve_criteria(source, ref)
        cs = loaded.model
        team = read_team(source, cs)
        if not team.applications:
            raise CqttError(f"{source}: không có minh chứng (sheet “Minh chứng”) để lập biên bản từ đó")
        run = Engine(loaded).run(EvidenceSet(team.applications, team.evidence_issues, [source]))
        _, edits = check_seal(cs, team)
        differences = changed + edits + compare(cs, team, run)
        if differences:
            first = differences[0]
            where = f" (đơn vị {first.unit}, {first.label})" if first.unit else ""
            raise CqttError(
                f"{source}: {len(differences)} chỗ khác kết quả chấm lại từ chính minh chứng trong tệp"
                f"{where}; "
                f"biên bản chỉ lập từ kết quả đúng như khi chấm: xem bằng `cqtt recheck {source}`"
            )
        scored = list(full_results(run.units))
        if kind == "bien-ban-tham-dinh":
            made = [build.appraisal(cs, u, head) for u in scored]
        else:
            made = list(build.proposal_lists(cs, scored, head))
    if units:
        wanted = {u.casefold() for u in units}
        picked = [r for r in made if str(r.context.get("ma_don_vi", "")).casefold() in wanted]
        unknown = wanted - {str(r.context.get("ma_don_vi", "")).casefold() for r in picked}
        if unknown:
            raise CqttError(f"không có đơn vị {', '.join(sorted(unknown))} trong {source}")
        made = picked
    inputs = [source, *rule_inputs(ref)]
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: đã có tệp tên này; cần một thư mục để ghi văn bản")
    if made:  # a province's template that does not render is refused before anything is written
        build.render_bytes(made[0], kind, templates)
    out_dir.mkdir(parents=True, exist_ok=True)
    if one_file and made:
        from engine.outputs.output import write_atomic
        from engine.outputs.records.combine import combined

        target = out_dir / f"{kind}-{source.stem}.docx"
        _check_targets([target], force, inputs)
        data = combined([build.render_bytes(r, kind, templates) for r in made])
        write_atomic(target, lambda handle: handle.write(data))  # type: ignore[arg-type]
        return [target]
    targets: list[Path | None] = [out_dir / r.name for r in made]
    _check_targets(targets, force, inputs)
    return build.write_records(made, kind, out_dir, templates)
