"""Re-check a team's results: re-score every unit and list every discrepancy, one row each.

The province re-scores from the evidence files when it has them, else from the evidence the
team's file carries, with the criteria version the file names. It then compares, unit by unit,
what the team's file shows with what the rules give (total, group and criterion points,
recognition, rank, flags), checks the seal for hand edits, and with a filled field workbook
replaces declared evidence by the values verified on site.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from engine.errors import CqttError
from engine.intake.evidence import Application, EvidenceSet, read_evidence
from engine.intake.values import to_plain
from engine.numbers import same_points
from engine.outputs.output import run_time
from engine.review.discrepancies import KIND_LABELS, Discrepancy, Kind, resolve_criteria
from engine.review.sealcheck import SealStatus, check_seal
from engine.review.teamfile import TeamResults, evidence_of, read_team
from engine.rules.loader import LoadedCriteria
from engine.rules.model import CriteriaSet
from engine.scoring.engine import DISQUALIFIED, Engine, tool_version
from engine.scoring.flags import FLAG_LABELS
from engine.scoring.legacy import EXACT_SINCE_TEXT, EngineBefore02, written_before_exact
from engine.scoring.results import CriteriaInfo, RunResult, UnitResult
from engine.text import fmt
from scorers.base import show_value


class UnitDecisionRow(BaseModel):
    code: str
    name: str
    group: str
    year: int | None = None
    team_total: Any = None
    team_recognised: Any = None
    province_total: float | None = None
    province_recognised: bool | None = None
    proposed: bool | None = None
    discrepancies: int = 0
    hand_edited: bool = False
    blocking: list[str] = Field(default_factory=list)
    disqualified: bool = False  # the province's result found a disqualifier
    field_checked: bool = False  # evidence verified on site replaced the declared values
    # whose result the decision is checked against: the province's re-check, or in the portal
    # before any field check, the district's appraisal ("thẩm định")
    basis: str = "phúc tra"

    def contradiction(self, decision: str) -> str | None:
        """Why a decision contradicts the result it is taken on, or None (a reason is then required)."""
        total = "-" if self.province_total is None else fmt(self.province_total)
        basis = self.basis
        if decision == "recognised" and self.disqualified:
            where = " khi kiểm tra thực địa" if self.field_checked else ""
            return f"công nhận dù phát hiện điểm liệt{where} (điểm {basis} {total})"
        if decision == "recognised" and self.province_recognised is False:
            return f"công nhận dù kết quả {basis} chưa đạt chuẩn (điểm {basis} {total})"
        if decision == "not_recognised" and self.province_recognised is True:
            return f"không công nhận dù kết quả {basis} đủ điều kiện (điểm {basis} {total})"
        return None


class GroupRecheck(BaseModel):
    group: str
    units: int
    with_discrepancies: int
    recognition_changed: int
    hand_edited: int


class RecheckResult(BaseModel):
    schema_version: int = 1
    kind: Literal["recheck"] = "recheck"
    tool: str
    generated_at: str
    team_file: dict[str, str]
    team_schema_version: int
    criteria: CriteriaInfo
    evidence: list[dict[str, str]]
    field_file: dict[str, str] | None = None
    evidence_from: str
    seal: SealStatus
    not_found: list[str]
    discrepancies: list[Discrepancy]
    # Units whose rank changed only because other units' points did: counted, not charged.
    rank_shifts: list[str] = Field(default_factory=list)
    team_tool: str | None = None  # the cqtt version that wrote the team's file, when it says
    # Differences the rounding fix of EXACT_SINCE explains, in a file written before it: kept
    # apart, not discrepancies (see engine.scoring.legacy).
    rounding: list[Discrepancy] = Field(default_factory=list)
    rounding_fixed_in: str | None = None
    units: list[UnitDecisionRow]
    groups: list[GroupRecheck]


@dataclass
class RecheckOutcome:
    result: RecheckResult
    province: RunResult
    warnings: list[str]
    store: str | None = None  # where the re-check was kept, when it was


def _sha(path: Path) -> str:
    from engine.hashing import sha256_file

    return sha256_file(path)


def recheck(
    team_path: Path,
    evidence_paths: list[Path] | None,
    ref: str | None,
    field_path: Path | None,
    progress: Callable[[int], Callable[[int], None] | None] | None = None,
) -> RecheckOutcome:
    loaded, found = resolve_criteria(team_path, ref)
    cs = loaded.model
    team = read_team(team_path, cs)
    warnings = list(team.missing)
    evidence: EvidenceSet
    if evidence_paths:
        evidence = read_evidence(evidence_paths, cs)
        found += _file_hashes(team, evidence_paths)
        found += _evidence_values(cs, team, evidence.applications)
        evidence_from = ", ".join(map(str, evidence_paths))
    else:
        if not team.applications:
            raise CqttError(
                f"{team_path}: không có minh chứng để chấm lại (không tìm thấy sheet “Minh chứng”); "
                "dùng --evidence TỆP"
            )
        evidence = EvidenceSet(team.applications, team.evidence_issues, [team_path])
        evidence_from = (
            f"{team_path} ({'sheet ' + team.found['evidence'] if 'evidence' in team.found else 'JSON'})"
        )
        if team.identity.schema_version < 2:
            warnings.append(
                "kết quả ghi theo định dạng cũ (phiên bản 1): minh chứng được đọc lại từ giá trị hiển thị, "
                "có thể đã làm tròn; nên chấm lại từ tệp minh chứng (--evidence)"
            )
    field_file = None
    if field_path is not None:
        from engine.review.field import apply_field

        found += apply_field(field_path, cs, list(evidence.applications))  # changed in place
        field_file = {"file": str(field_path), "sha256": _sha(field_path)}
    step = progress(len(evidence.applications)) if progress else None
    province = Engine(loaded).run(evidence, step)
    seal, edits = check_seal(cs, team)
    found += edits
    compared = compare(cs, team, province)
    rounding: list[Discrepancy] = []
    if written_before_exact(team.identity.tool):
        compared, rounding = _explained_by_rounding(cs, team, loaded, evidence, compared)
    found += compared
    by_code = {u.code: u for u in province.units}
    for d in found + rounding:
        source = by_code.get(d.unit) or None
        tu = team.units.get(d.unit)
        d.name = d.name or (source.name if source else (tu.name if tu and tu.name else ""))
        d.group = d.group or (source.group if source else (tu.group if tu and tu.group else ""))
    found, shifted = _without_cascades(found)
    found.sort(key=_ordering(found))
    rounding.sort(key=_order)
    units = _decision_rows(team, province, found)
    result = RecheckResult(
        tool=tool_version(),
        generated_at=run_time(),
        team_file={"file": str(team_path), "sha256": _sha(team_path)},
        team_schema_version=team.identity.schema_version,
        criteria=CriteriaInfo(
            id=cs.id,
            version=cs.version,
            title=cs.title,
            status=cs.status,
            sha256=loaded.sha256,
            file=str(loaded.path),
        ),
        evidence=[{"file": str(p), "sha256": _sha(p)} for p in evidence_paths or []],
        field_file=field_file,
        evidence_from=evidence_from,
        seal=seal,
        not_found=team.missing,
        discrepancies=found,
        rank_shifts=shifted,
        team_tool=team.identity.tool,
        rounding=rounding,
        rounding_fixed_in=EXACT_SINCE_TEXT if rounding else None,
        units=units,
        groups=_groups(units, found),
    )
    return RecheckOutcome(result, province, warnings)


def _order(d: Discrepancy) -> tuple[str, str, int, str]:
    return (d.group, d.unit, list(KIND_LABELS).index(d.kind), d.item)


def _without_cascades(found: list[Discrepancy]) -> tuple[list[Discrepancy], list[str]]:
    """A rank that changed only because other units' points did (the unit's own points, evidence
    and cells all agree) is not charged to the unit's team: it leaves the discrepancies and is
    counted apart."""
    own = {d.unit for d in found if d.kind != "rank"}
    shifted = sorted({d.unit for d in found if d.kind == "rank" and d.unit not in own})
    return [d for d in found if d.kind != "rank" or d.unit in own], shifted


def _ordering(found: list[Discrepancy]) -> Callable[[Discrepancy], tuple[int, str, str, int, str]]:
    """What matters first: whole-file discrepancies, then the units whose recognition changes,
    then those whose total changes, then the rest (each by group and unit)."""
    recognition = {d.unit for d in found if d.kind == "recognition"}
    totals = {d.unit for d in found if d.kind in ("total", "unit_added", "unit_missing")}

    def key(d: Discrepancy) -> tuple[int, str, str, int, str]:
        tier = 0 if d.unit == "(toàn bộ)" else 1 if d.unit in recognition else 2 if d.unit in totals else 3
        group, unit, kind, item = _order(d)
        return (tier, group, unit, -1 if d.kind == "recognition" else kind, item)

    return key


def _explained_by_rounding(
    cs: CriteriaSet,
    team: TeamResults,
    loaded: LoadedCriteria,
    evidence: EvidenceSet,
    compared: list[Discrepancy],
) -> tuple[list[Discrepancy], list[Discrepancy]]:
    """Split the differences found in a file written before exact points into those that remain
    and those the rounding fix explains: the same evidence scored with the arithmetic of the
    version that wrote the file gives exactly what the file shows."""
    before = EngineBefore02(loaded).run(evidence)
    remaining = {(d.unit, d.kind, d.item) for d in compare(cs, team, before)}
    kept = [d for d in compared if (d.unit, d.kind, d.item) in remaining]
    explained = [d for d in compared if (d.unit, d.kind, d.item) not in remaining]
    return kept, explained


# -- comparisons ----------------------------------------------------------------------------------
def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _differs(team: Any, province: float | None) -> bool:
    t = _num(team)
    if t is None or province is None:
        return not (team is None and province is None)
    return not same_points(t, province)


def _diff(team: Any, province: float | None) -> float | None:
    t = _num(team)
    return None if t is None or province is None else round(t - province, 2)


def compare(cs: CriteriaSet, team: TeamResults, province: RunResult) -> list[Discrepancy]:
    found: list[Discrepancy] = []
    titles = {g.id: (i, g.title) for i, g in enumerate(cs.groups, start=1)}
    criteria_titles = {c.id: c.title for _, c in cs.criteria()}
    theirs = {code: u for code, u in team.units.items() if u.in_ranking}
    ours = {u.code: u for u in province.units}
    for code in sorted(set(theirs) - set(ours)):
        u = theirs[code]
        found.append(
            Discrepancy(
                unit=code,
                kind="unit_added",
                item=code,
                label="Đơn vị có trong kết quả của tổ nhưng không có trong minh chứng",
                team=u.total,
                where=u.where.get("total", ""),
            )
        )
    for code in sorted(set(ours) - set(theirs)):
        light = ours[code]
        found.append(
            Discrepancy(
                unit=code,
                kind="unit_missing",
                item=code,
                label="Đơn vị có trong minh chứng nhưng không có trong bảng xếp hạng của tổ",
                province=light.total,
            )
        )
    for code in sorted(set(ours) & set(theirs)):
        t, light = theirs[code], ours[code]
        p = light.full() if team.found.get("detail") or team.identity.kind == "json" else light

        def add(
            kind: Kind,
            item: str,
            label: str,
            tv: Any,
            pv: Any,
            key: str,
            diff: float | None = None,
            code: str = code,
            t: Any = t,
        ) -> None:
            found.append(
                Discrepancy(
                    unit=code, kind=kind, item=item, label=label, team=tv, province=pv, difference=diff,
                    where=t.where.get(key, ""),
                )
            )  # fmt: skip

        if _differs(t.total, p.total):
            add("total", "total", "Tổng điểm", t.total, p.total, "total", _diff(t.total, p.total))
        for g in p.groups:
            if f"group:{g.id}" in t.where and _differs(t.groups.get(g.id), g.points):
                index, title = titles[g.id]
                add(
                    "group_points", g.id, f"Điểm nhóm {index}: {title}", t.groups.get(g.id), g.points,
                    f"group:{g.id}", _diff(t.groups.get(g.id), g.points),
                )  # fmt: skip
        for r in p.criteria:
            key = f"criterion:{r.id}"
            if key in t.where and _differs(t.criteria.get(r.id), r.points):
                add(
                    "criterion_points", r.id, f"Điểm tiêu chí: {criteria_titles.get(r.id, r.id)}",
                    t.criteria.get(r.id), r.points, key, _diff(t.criteria.get(r.id), r.points),
                )  # fmt: skip
        if "recognised" in t.where and t.recognised != p.recognised:
            add(
                "recognition",
                "recognised",
                "Kết quả công nhận",
                _shown(t.recognised),
                _shown(p.recognised),
                "recognised",
            )
        if "rank" in t.where and _differs(t.rank, float(p.rank)):
            add("rank", "rank", "Hạng", t.rank, p.rank, "rank", _diff(t.rank, float(p.rank)))
        ours_flags = {f.code for f in p.flags}
        if t.flags is not None:
            for flag in sorted(ours_flags ^ t.flags):
                had = flag in t.flags
                add(
                    "flag",
                    flag,
                    f"Cảnh báo “{FLAG_LABELS[flag][1] if flag in FLAG_LABELS else flag}”",
                    "có" if had else "không",
                    "không" if had else "có",
                    "flags",
                )
        elif "flag_count" in t.where and _differs(t.flag_count, float(len(ours_flags))):
            add("flag", "count", "Số cảnh báo", t.flag_count, len(ours_flags), "flag_count")
    return found


def _shown(value: Any) -> Any:
    if isinstance(value, bool):
        return "Đạt chuẩn" if value else "Chưa đạt"
    return value


def _file_hashes(team: TeamResults, paths: list[Path]) -> list[Discrepancy]:
    """Evidence files named like the ones the team scored but with other content."""
    recorded = {Path(i["file"]).name: i.get("sha256") for i in team.identity.inputs if i.get("file")}
    found = []
    for path in paths:
        expected = recorded.get(path.name)
        actual = _sha(path) if expected else None
        if expected and expected != actual:
            found.append(
                Discrepancy(
                    unit="(toàn bộ)",
                    kind="file_hash",
                    item=path.name,
                    label=f"Tệp minh chứng {path.name} khác tệp tổ thẩm định đã chấm",
                    team=expected,
                    province=actual,
                    where="Thông tin" if team.identity.kind == "xlsx" else "inputs",
                )
            )
    return found


def _evidence_values(cs: CriteriaSet, team: TeamResults, apps: Sequence[Application]) -> list[Discrepancy]:
    """Evidence the team's file shows that differs from the evidence files given."""
    if not team.applications:
        return []
    theirs = {a.code: a for a in team.applications}
    decls = cs.evidence_by_id()
    found = []
    for app in apps:
        t = theirs.get(app.code)
        if t is None:
            continue
        for fid, decl in decls.items():
            a = _plain_or_invalid(decl, app, fid)
            b = _plain_or_invalid(decl, t, fid)
            if a != b:
                found.append(
                    Discrepancy(
                        unit=app.code,
                        kind="evidence_value",
                        item=fid,
                        label=f"Minh chứng: {decl.label}",
                        team=_show(decl, t, fid),
                        province=_show(decl, app, fid),
                        where=team.evidence_where.get(app.code, {}).get(fid, ""),
                    )
                )
    return found


def _plain_or_invalid(decl: Any, app: Application, fid: str) -> Any:
    if fid in app.values:
        return to_plain(decl, app.values[fid])
    return "!invalid" if fid in app.invalid else None


def _show(decl: Any, app: Application, fid: str) -> str:
    if fid in app.values:
        return show_value(decl, app.values[fid])
    return f"(lỗi: {app.invalid[fid]})" if fid in app.invalid else "(trống)"


def _decision_rows(team: TeamResults, province: RunResult, found: list[Discrepancy]) -> list[UnitDecisionRow]:
    counts: dict[str, int] = {}
    edited: set[str] = set()
    checked: set[str] = set()
    for d in found:
        counts[d.unit] = counts.get(d.unit, 0) + 1
        if d.kind == "hand_edit":
            edited.add(d.unit)
        if d.kind == "field_check":
            checked.add(d.unit)
    rows = []
    ours = {u.code: u for u in province.units}
    for code in sorted(set(ours) | {c for c, u in team.units.items() if u.in_ranking}):
        p: UnitResult | None = ours.get(code)
        t = team.units.get(code)
        rows.append(
            UnitDecisionRow(
                code=code,
                name=p.name if p else (t.name or "" if t else ""),
                group=p.group if p else (t.group or "" if t else ""),
                year=p.year if p else None,
                team_total=t.total if t and t.in_ranking else None,
                team_recognised=t.recognised if t and t.in_ranking else None,
                province_total=p.total if p else None,
                province_recognised=p.recognised if p else None,
                proposed=p.proposed if p else (t.proposed if t else None),
                discrepancies=counts.get(code, 0),
                hand_edited=code in edited,
                blocking=p.blocking if p else [],
                disqualified=any(b.startswith(DISQUALIFIED) for b in p.blocking) if p else False,
                field_checked=code in checked,
            )
        )
    return rows


def _groups(units: list[UnitDecisionRow], found: list[Discrepancy]) -> list[GroupRecheck]:
    out = []
    for group in sorted({u.group for u in units}):
        members = [u for u in units if u.group == group]
        out.append(
            GroupRecheck(
                group=group,
                units=len(members),
                with_discrepancies=sum(1 for u in members if u.discrepancies),
                recognition_changed=sum(
                    1
                    for u in members
                    if isinstance(u.team_recognised, bool)
                    and u.province_recognised is not None
                    and u.team_recognised != u.province_recognised
                ),
                hand_edited=sum(1 for u in members if u.hand_edited),
            )
        )
    return out


def describe(d: Discrepancy) -> str:
    """One line for the terminal."""
    values = ""
    if d.team is not None or d.province is not None:
        values = f": tổ {_fmt(d.team)} → tỉnh {_fmt(d.province)}"
    where = f" [{d.where}]" if d.where else ""
    return f"{d.unit} {d.name} — {d.label}{values}{where}"


def _fmt(value: Any) -> str:
    return "-" if value is None else fmt(value)


__all__ = ["Discrepancy", "RecheckResult", "evidence_of", "recheck"]
