"""Whole-file checks of a criteria set, beyond what the schema can say.

Points add up to the scale; ids are unique; every evidence field used is declared and of a type the
comparison or method can read (unused ones are warned about); each method's own settings hold
(tiers ordered, touching, covering the range); the recognition rule can be met and failed; version
and dates agree; and the compiled rules fit the rules engine's limits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from engine.errors import RuleIssue
from engine.numbers import exact
from engine.rules.compiler import CompileError, compile_set
from engine.rules.conditions import Compare, Node
from engine.rules.declarations import NUMERIC_TYPES, EvidenceDecl
from engine.rules.model import CriteriaSet
from engine.rules.yamlfile import LoadedYaml, Path_, format_path
from engine.suggest import did_you_mean
from engine.text import short_number


class _Report:
    def __init__(self, file: str, loaded: LoadedYaml | None) -> None:
        self.file = file
        self.loaded = loaded
        self.issues: list[RuleIssue] = []

    def add(self, path: Path_, message: str, suggestion: str | None = None, severity: str = "error") -> None:
        line = self.loaded.line_of(path) if self.loaded else None
        self.issues.append(RuleIssue(self.file, line, format_path(path), message, suggestion, severity))


def _fmt(x: float | Fraction) -> str:
    return short_number(float(x))


def check_criteria(cs: CriteriaSet, file: str, loaded: LoadedYaml | None = None) -> list[RuleIssue]:
    report = _Report(file, loaded)
    _check_points(cs, report)
    _check_unique_ids(cs, report)
    used = _check_references(cs, report)
    for index, decl in enumerate(cs.evidence):
        if decl.id not in used:
            report.add(
                ("evidence", index, "id"),
                f"trường minh chứng “{decl.id}” được khai báo nhưng không tiêu chí nào dùng",
                "xóa khai báo hoặc dùng nó trong một tiêu chí",
                severity="warning",
            )
    _check_methods(cs, report)
    _check_recognition(cs, report)
    _check_provenance(cs, report)
    _check_renamed(cs, report)
    _check_surveys(cs, report)
    _check_versions(cs, report)
    if not any(i.severity == "error" for i in report.issues):
        _check_compiles(cs, report)
    return report.issues


def _check_points(cs: CriteriaSet, report: _Report) -> None:
    total = sum((exact(g.points) for g in cs.groups), Fraction(0))
    if total != exact(cs.scale):
        report.add(
            ("scale",),
            f"tổng điểm các nhóm ({_fmt(total)}) khác thang điểm ({_fmt(cs.scale)})",
            "sửa điểm các nhóm cho cộng lại bằng thang điểm",
        )
    for gi, group in enumerate(cs.groups):
        inside = sum((exact(c.points) for c in group.criteria), Fraction(0))
        if inside != exact(group.points):
            report.add(
                ("groups", gi, "points"),
                f"nhóm “{group.id}”: tổng điểm các tiêu chí ({_fmt(inside)}) khác điểm "
                f"của nhóm ({_fmt(group.points)})",
                "sửa điểm tiêu chí hoặc điểm nhóm",
            )


def _duplicates(ids: Iterable[tuple[Path_, str]], what: str, report: _Report) -> None:
    seen: Counter[str] = Counter()
    for path, ident in ids:
        seen[ident] += 1
        if seen[ident] == 2:
            report.add(path, f"mã {what} “{ident}” bị trùng", "mỗi mã chỉ dùng một lần")


def _check_unique_ids(cs: CriteriaSet, report: _Report) -> None:
    _duplicates(
        ((("evidence", i, "id"), e.id) for i, e in enumerate(cs.evidence)), "trường minh chứng", report
    )
    _duplicates(((("groups", i, "id"), g.id) for i, g in enumerate(cs.groups)), "nhóm", report)
    _duplicates(
        (
            (("groups", gi, "criteria", ci, "id"), c.id)
            for gi, g in enumerate(cs.groups)
            for ci, c in enumerate(g.criteria)
        ),
        "tiêu chí",
        report,
    )
    _duplicates(
        ((("disqualifiers", i, "id"), d.id) for i, d in enumerate(cs.disqualifiers)), "điểm liệt", report
    )
    _duplicates(
        ((("recognition", "requirements", i, "id"), r.id) for i, r in enumerate(cs.recognition.requirements)),
        "yêu cầu",
        report,
    )
    for ei, decl in enumerate(cs.evidence):
        _duplicates(
            ((("evidence", ei, "choices", i, "id"), c.id) for i, c in enumerate(decl.choices or [])),
            f"lựa chọn của “{decl.id}”",
            report,
        )


def _conditions(cs: CriteriaSet) -> list[tuple[Path_, Node]]:
    """Every condition written in the file, with its path."""
    from scorers.check import CheckMethod
    from scorers.per_item import PerItemMethod

    found: list[tuple[Path_, Node]] = []
    for gi, group in enumerate(cs.groups):
        for ci, c in enumerate(group.criteria):
            base: Path_ = ("groups", gi, "criteria", ci)
            if c.applies_when is not None:
                found.append(((*base, "applies_when"), c.applies_when))
            if isinstance(c.method, CheckMethod):
                found.append(((*base, "method", "when"), c.method.when))
            if isinstance(c.method, PerItemMethod):
                for ii, item in enumerate(c.method.items or []):
                    found.append(((*base, "method", "items", ii, "when"), item.when))
    for i, d in enumerate(cs.disqualifiers):
        found.append((("disqualifiers", i, "when"), d.when))
    for i, r in enumerate(cs.recognition.requirements):
        found.append((("recognition", "requirements", i, "when"), r.when))
    return found


def _leaf_paths(path: Path_, cond: Node) -> list[tuple[Path_, Compare]]:
    from engine.rules.conditions import All, AnyOf, Not

    if isinstance(cond, Compare):
        return [(path, cond)]
    if isinstance(cond, All):
        return [x for i, c in enumerate(cond.all) for x in _leaf_paths((*path, "all", i), c)]
    if isinstance(cond, AnyOf):
        return [x for i, c in enumerate(cond.any) for x in _leaf_paths((*path, "any", i), c)]
    if isinstance(cond, Not):
        return _leaf_paths((*path, "not"), cond.not_)
    return []


def _check_references(cs: CriteriaSet, report: _Report) -> set[str]:
    declared = cs.evidence_by_id()
    used: set[str] = set()
    for path, cond in _conditions(cs):
        for leaf_path, leaf in _leaf_paths(path, cond):
            used.add(leaf.field)
            decl = declared.get(leaf.field)
            if decl is None:
                report.add(
                    (*leaf_path, "field"),
                    f"trường minh chứng “{leaf.field}” chưa được khai báo trong `evidence`",
                    did_you_mean(leaf.field, declared) or "khai báo trường này trong `evidence`",
                )
                continue
            problem = _type_problem(decl, leaf)
            if problem:
                report.add((*leaf_path, leaf.op if leaf.op != "in" else "in"), *problem)
    for gi, group in enumerate(cs.groups):
        for ci, c in enumerate(group.criteria):
            for where, ev in c.scorer.direct_evidence(c.method):
                used.add(ev)
                if ev not in declared:
                    report.add(
                        ("groups", gi, "criteria", ci, "method", *where),
                        f"trường minh chứng “{ev}” chưa được khai báo trong `evidence`",
                        did_you_mean(ev, declared) or "khai báo trường này trong `evidence`",
                    )
    return used


def _type_problem(decl: EvidenceDecl, leaf: Compare) -> tuple[str, str | None] | None:
    op, value = leaf.op, leaf.value
    if decl.type == "survey":
        return (
            f"không dùng trường phiếu khảo sát “{decl.id}” trong điều kiện",
            "dùng phương pháp `survey` để chấm tỷ lệ hài lòng",
        )
    if op == "contains":
        if decl.type != "items":
            return (
                f"`contains` chỉ dùng với trường kiểu items; “{decl.id}” là kiểu {decl.type}",
                "dùng `eq`" if decl.type in ("choice", "yes_no") else None,
            )
        if value not in decl.choice_ids():
            return (
                f"“{value}” không phải lựa chọn của “{decl.id}”",
                did_you_mean(str(value), decl.choice_ids()),
            )
        return None
    if decl.type == "items":
        return (
            f"trường kiểu items “{decl.id}” chỉ so sánh bằng `contains`",
            f"viết `{{field: {decl.id}, contains: ...}}`",
        )
    values = value if op == "in" else [value]
    for v in values:
        if decl.type == "yes_no" and (op not in ("eq", "ne", "in") or not isinstance(v, bool)):
            return (
                f"trường có/không “{decl.id}” chỉ so sánh `eq`/`ne` với true hoặc false",
                f"viết `{{field: {decl.id}, eq: true}}`",
            )
        if decl.type == "choice":
            if op not in ("eq", "ne", "in"):
                return (f"trường lựa chọn “{decl.id}” chỉ so sánh `eq`, `ne` hoặc `in`", None)
            if v not in decl.choice_ids():
                return (f"“{v}” không phải lựa chọn của “{decl.id}”", did_you_mean(str(v), decl.choice_ids()))
        if decl.type in NUMERIC_TYPES and (isinstance(v, (bool, str))):
            return (f"trường số “{decl.id}” phải so sánh với một số, không phải “{v}”", None)
        if decl.type == "percent" and isinstance(v, (int, float)) and 0 < v < 1:
            return (
                f"ngưỡng {v} của trường tỷ lệ “{decl.id}” trông như một tỷ số",
                f"tỷ lệ ghi theo %, ví dụ {_fmt(v * 100)} thay vì {_fmt(v)}",
            )
        if decl.type in NUMERIC_TYPES and not isinstance(v, (bool, str)):
            low, high = decl.low, decl.high
            if (low is not None and v < low) or (high is not None and v > high):
                return (
                    f"ngưỡng {_fmt(v)} nằm ngoài khoảng cho phép của “{decl.id}”",
                    "kiểm tra đơn vị (tỷ lệ ghi theo %, ví dụ 95 thay vì 0,95)",
                )
    return None


def _check_methods(cs: CriteriaSet, report: _Report) -> None:
    evidence = cs.evidence_by_id()
    for gi, group in enumerate(cs.groups):
        for ci, c in enumerate(group.criteria):
            base: Path_ = ("groups", gi, "criteria", ci)
            for problem in c.scorer.check(c.method, c.points, evidence):
                report.add(
                    (*base, "method", *problem.path),
                    f"tiêu chí “{c.id}”: {problem.message}",
                    problem.suggestion,
                    problem.severity,
                )
            need = c.mandatory_min_points
            if need is not None and need > c.points:
                report.add(
                    (*base, "mandatory", "min_points"),
                    f"tiêu chí bắt buộc “{c.id}” cần {_fmt(need)} điểm nhưng tối đa chỉ {_fmt(c.points)}",
                    f"đặt `min_points` ≤ {_fmt(c.points)}",
                )
            if c.scorer.direction(c.method) == 0 and c.method.type in ("tiers", "survey"):
                report.add(
                    (*base, "method", "tiers"),
                    f"tiêu chí “{c.id}”: điểm các bậc không tăng (hoặc giảm) đều theo giá trị",
                    "kiểm tra lại điểm từng bậc",
                    severity="warning",
                )


def _check_recognition(cs: CriteriaSet, report: _Report) -> None:
    rec = cs.recognition
    if rec.min_total > cs.scale:
        report.add(
            ("recognition", "min_total"),
            f"ngưỡng công nhận {_fmt(rec.min_total)} vượt thang điểm {_fmt(cs.scale)}: "
            "không đơn vị nào có thể đạt chuẩn",
            f"đặt `min_total` ≤ {_fmt(cs.scale)}",
        )
    for i, req in enumerate(rec.requirements):
        for di, dq in enumerate(cs.disqualifiers):
            if req.when == dq.when:
                report.add(
                    ("recognition", "requirements", i, "when"),
                    f"yêu cầu “{req.id}” trùng điều kiện với điểm liệt “{dq.id}”: không "
                    "đơn vị nào có thể đạt chuẩn",
                    f"xem lại điều kiện tại disqualifiers[{di}]",
                )
    declared = cs.evidence_by_id()
    for i, dq in enumerate(cs.disqualifiers):
        if isinstance(dq.when, Compare) and _always(dq.when, declared.get(dq.when.field), True):
            report.add(
                ("disqualifiers", i, "when"),
                f"điểm liệt “{dq.id}” luôn xảy ra với mọi giá trị cho phép của “{dq.when.field}”: "
                "không đơn vị nào có thể đạt chuẩn",
                "kiểm tra phép so sánh và ngưỡng",
            )
    for i, req in enumerate(rec.requirements):
        if isinstance(req.when, Compare) and _always(req.when, declared.get(req.when.field), False):
            report.add(
                ("recognition", "requirements", i, "when"),
                f"yêu cầu “{req.id}” không bao giờ đạt với các giá trị cho phép của "
                f"“{req.when.field}”: không đơn vị nào có thể đạt chuẩn",
                "kiểm tra phép so sánh và ngưỡng",
            )


def _always(leaf: Compare, decl: EvidenceDecl | None, outcome: bool) -> bool:
    """Whether a numeric comparison has the same `outcome` for every value the field allows."""
    if decl is None or decl.type not in NUMERIC_TYPES or leaf.op not in ("gt", "gte", "lt", "lte"):
        return False
    low, high, v = decl.low, decl.high, leaf.value
    holds_for_all = {
        "gte": low is not None and low >= v,
        "gt": low is not None and low > v,
        "lte": high is not None and high <= v,
        "lt": high is not None and high < v,
    }[leaf.op]
    fails_for_all = {
        "gte": high is not None and high < v,
        "gt": high is not None and high <= v,
        "lte": low is not None and low > v,
        "lt": low is not None and low >= v,
    }[leaf.op]
    return holds_for_all if outcome else fails_for_all


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def _check_versions(cs: CriteriaSet, report: _Report) -> None:
    year = int(cs.version.split(".")[0])
    eff = cs.effective
    if eff.to is not None and eff.to < eff.from_:
        report.add(
            ("effective", "to"),
            f"ngày hết hiệu lực {eff.to} trước ngày có hiệu lực {eff.from_}",
            "kiểm tra lại `effective`",
        )
    if not eff.covers(year):
        report.add(
            ("effective", "from"),
            f"phiên bản {cs.version} nhưng thời gian hiệu lực ({eff.from_} – "
            f"{eff.to or '…'}) không bao gồm năm {year}",
            "sửa `version` hoặc `effective`",
        )
    if cs.supersedes is not None and _version_key(cs.supersedes) >= _version_key(cs.version):
        report.add(
            ("supersedes",),
            f"phiên bản {cs.version} không thể thay thế phiên bản {cs.supersedes} mới hơn hoặc bằng nó",
            "`supersedes` phải là một phiên bản cũ hơn",
        )


def _check_compiles(cs: CriteriaSet, report: _Report) -> None:
    try:
        compile_set(cs, "0" * 12)
    except CompileError as exc:
        for gi, group in enumerate(cs.groups):
            for ci, c in enumerate(group.criteria):
                if c.id == exc.owner:
                    report.add(("groups", gi, "criteria", ci), str(exc), "tách thành nhiều tiêu chí nhỏ hơn")
                    return
        report.add((), str(exc))


def check_versions_together(
    loaded: list[tuple[str, CriteriaSet]],
    elsewhere: dict[str, set[str]] | None = None,
    lines: dict[str, LoadedYaml] | None = None,
) -> list[RuleIssue]:
    """Checks across the versions of one set: versions unique, `supersedes` known, periods apart.
    A superseded version that is not among the files checked may be one of `elsewhere` (set id ->
    versions found beside the file or bundled); when it is nowhere, that is a warning at the line
    of `supersedes`, not an error: the file itself may be right."""
    issues: list[RuleIssue] = []
    by_set: dict[str, list[tuple[str, CriteriaSet]]] = {}
    for file, cs in loaded:
        by_set.setdefault(cs.id, []).append((file, cs))
    for set_id, versions in by_set.items():
        known = {cs.version for _, cs in versions}
        seen: dict[str, str] = {}
        for file, cs in versions:
            if cs.version in seen:
                issues.append(
                    RuleIssue(
                        file,
                        None,
                        "version",
                        f"bộ “{set_id}” phiên bản {cs.version} đã có ở {seen[cs.version]}",
                        "đặt số phiên bản mới",
                    )
                )
            seen[cs.version] = file
            found_elsewhere = (elsewhere or {}).get(set_id, set())
            if cs.supersedes and cs.supersedes not in known | found_elsewhere:
                others = sorted((known | found_elsewhere) - {cs.version})
                where = (lines or {}).get(file)
                issues.append(
                    RuleIssue(
                        file,
                        where.line_of(("supersedes",)) if where is not None else None,
                        "supersedes",
                        f"phiên bản bị thay thế {cs.supersedes} không có trong các tệp của bộ “{set_id}” "
                        "(cùng thư mục hoặc có sẵn trong cqtt)",
                        (did_you_mean(cs.supersedes, others) or f"các phiên bản có: {', '.join(others)}")
                        if others
                        else None,
                        severity="warning" if elsewhere is not None else "error",
                    )
                )
        ordered = sorted(versions, key=lambda fv: fv[1].effective.from_)
        for (f1, a), (f2, b) in zip(ordered, ordered[1:], strict=False):
            if a.effective.to is None or a.effective.to >= b.effective.from_:
                issues.append(
                    RuleIssue(
                        f2,
                        None,
                        "effective",
                        f"thời gian hiệu lực của {set_id}@{b.version} chồng lên {set_id}@{a.version} ({f1})",
                        f"đặt `effective.to` của {a.version} trước {b.effective.from_}",
                    )
                )
    return issues


PROVENANCE_HINT = (
    "thêm `source: {document: …, article: …, date: …}` nếu một văn bản quy định, hoặc "
    "`proposed: <một dòng lý do bản mẫu đề xuất>`"
)


def _check_provenance(cs: CriteriaSet, report: _Report) -> None:
    """Every criterion, disqualifier and requirement says where it comes from (a warning here,
    an error with `cqtt criteria validate --strict`)."""
    items: list[tuple[Path_, str, Any]] = []
    for gi, group in enumerate(cs.groups):
        for ci, c in enumerate(group.criteria):
            items.append((("groups", gi, "criteria", ci, "id"), f"tiêu chí “{c.id}”", c))
    for di, d in enumerate(cs.disqualifiers):
        items.append((("disqualifiers", di, "id"), f"điểm liệt “{d.id}”", d))
    for ri, r in enumerate(cs.recognition.requirements):
        items.append((("recognition", "requirements", ri, "id"), f"yêu cầu “{r.id}”", r))
    if cs.appeals is not None:
        items.append((("appeals", "days"), "thời hạn kiến nghị", cs.appeals))
    for path, what, item in items:
        if not item.has_provenance:
            report.add(
                path,
                f"{what} chưa ghi nguồn cũng chưa ghi lý do đề xuất",
                PROVENANCE_HINT,
                severity="warning",
            )


def _check_renamed(cs: CriteriaSet, report: _Report) -> None:
    ids = {e.id for e in cs.evidence}
    for new_id, old_id in cs.renamed.items():
        if new_id not in ids:
            report.add(
                ("renamed", new_id),
                f"“{new_id}” không phải trường minh chứng của phiên bản này",
                did_you_mean(new_id, sorted(ids)) or "khóa là mã trường ở phiên bản này, giá trị là mã cũ",
            )
        if old_id in ids:
            report.add(
                ("renamed", new_id),
                f"mã cũ “{old_id}” vẫn là một trường minh chứng của phiên bản này",
                "bỏ dòng đổi tên này, hoặc đổi mã trường",
            )


def _check_surveys(cs: CriteriaSet, report: _Report) -> None:
    """A survey form feeds one declared survey field; its rule reads only its own questions, as
    numbers between 1 and the number of levels."""
    declared = cs.evidence_by_id()
    fed: dict[str, str] = {}
    seen: set[str] = set()
    for fi, form in enumerate(cs.surveys):
        base: Path_ = ("surveys", fi)
        if form.id in seen:
            report.add((*base, "id"), f"mẫu phiếu “{form.id}” bị khai báo hai lần", "đổi mã một mẫu phiếu")
        seen.add(form.id)
        decl = declared.get(form.evidence)
        if decl is None or decl.type != "survey":
            report.add(
                (*base, "evidence"),
                f"“{form.evidence}” không phải trường minh chứng kiểu survey",
                did_you_mean(form.evidence, [d.id for d in cs.evidence if d.type == "survey"])
                or "khai báo trường `type: survey` mà mẫu phiếu này kiểm đếm vào",
            )
        elif form.evidence in fed:
            report.add(
                (*base, "evidence"),
                f"trường “{form.evidence}” đã được mẫu phiếu “{fed[form.evidence]}” kiểm đếm",
                "mỗi trường khảo sát do một mẫu phiếu kiểm đếm",
            )
        fed.setdefault(form.evidence, form.id)
        questions = [q.id for q in form.questions]
        for qi, q in enumerate(questions):
            if q in questions[:qi]:
                report.add((*base, "questions", qi, "id"), f"câu hỏi “{q}” bị lặp lại", "đổi mã câu hỏi")
        for leaf_path, leaf in _leaf_paths((*base, "satisfied"), form.satisfied):
            if leaf.field not in questions:
                report.add(
                    (*leaf_path, "field"),
                    f"“{leaf.field}” không phải câu hỏi của mẫu phiếu “{form.id}”",
                    did_you_mean(leaf.field, questions) or "dùng mã một câu hỏi trong `questions`",
                )
                continue
            value = leaf.value
            if leaf.op not in ("in",) and not (
                isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= len(form.levels)
            ):
                report.add(
                    (*leaf_path, leaf.op),
                    f"câu trả lời được so với mức 1 đến {len(form.levels)} (thấp đến cao), "
                    f"không phải “{value}”",
                    f"ví dụ `{{field: {leaf.field}, gte: {len(form.levels) - 1}}}` (từ mức áp chót trở lên)",
                )
