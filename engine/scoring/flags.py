"""Flags on a scored unit: what an appraisal team or reviewer must look at, most severe first.

Codes are stable identifiers (used in the JSON, tests and filters); messages are Vietnamese.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.numbers import at_least, difference, exceeds, near
from engine.scoring.results import Flag, UnitResult
from engine.text import fmt

if TYPE_CHECKING:
    from engine.intake.evidence import Application
    from engine.rules.model import CriteriaSet

FLAG_LABELS: dict[str, tuple[int, str]] = {
    "proposed_not_recognisable": (1, "Đề nghị công nhận nhưng chưa đạt chuẩn"),
    "proposal_unclear": (1, "Không rõ đề nghị"),
    "disqualified": (1, "Vi phạm điểm liệt"),
    "mandatory_failed": (2, "Tiêu chí bắt buộc không đạt"),
    "self_score_inflated": (2, "Tự chấm cao hơn điểm thẩm định"),
    "requirement_unmet": (2, "Chưa đáp ứng yêu cầu hồ sơ"),
    "evidence_problem": (2, "Thiếu hoặc sai minh chứng"),
    "group_self_score_inflated": (3, "Tự chấm nhóm cao hơn điểm thẩm định"),
    "borderline": (3, "Sát ngưỡng công nhận"),
}

# A flag's severity as a word, and what the word asks of the reader (the legend of every sheet
# that lists flags).
SEVERITY_WORDS: dict[int, tuple[str, str]] = {
    1: (
        "Nghiêm trọng",
        "được đề nghị mà chưa đạt chuẩn, vi phạm điểm liệt hoặc không rõ có đề nghị không: "
        "không công nhận khi chưa làm rõ",
    ),
    2: (
        "Cần xem",
        "tiêu chí bắt buộc không đạt, hồ sơ thiếu, minh chứng thiếu hoặc sai, tự chấm cao hơn: "
        "kiểm tra lại trước khi quyết định",
    ),
    3: ("Lưu ý", "sát ngưỡng công nhận hoặc tự chấm một nhóm cao hơn: nên ưu tiên khi kiểm tra thực địa"),
}


def severity_word(severity: int) -> str:
    return SEVERITY_WORDS.get(severity, SEVERITY_WORDS[3])[0]


def _flag(code: str, message: str, **facts: object) -> Flag:
    return Flag(code=code, severity=FLAG_LABELS[code][0], message=message, facts=dict(facts))


def unit_flags(cs: CriteriaSet, app: Application, unit: UnitResult) -> list[Flag]:
    settings, rec = cs.flags, cs.recognition
    flags: list[Flag] = []
    if app.proposed and not unit.recognised:
        flags.append(
            _flag(
                "proposed_not_recognisable",
                "Được đề nghị công nhận nhưng chưa đạt chuẩn: " + "; ".join(unit.blocking),
                reasons=list(unit.blocking),
                total=unit.total,
            )
        )
    if app.proposal_unclear is not None:
        outcome = (
            "nếu có đề nghị thì chưa đạt chuẩn: " + "; ".join(unit.blocking)
            if not unit.recognised
            else "đơn vị đủ điều kiện công nhận"
        )
        flags.append(
            _flag(
                "proposal_unclear",
                "Không rõ có đề nghị công nhận hay không "
                f"(ô Đề nghị ghi “{app.proposal_unclear}”); {outcome}",
                written=app.proposal_unclear,
                recognised=unit.recognised,
            )
        )
    for gate in unit.gates:
        if gate.kind == "disqualifier" and not gate.ok and gate.explanation == "Có":
            flags.append(_flag("disqualified", f"Điểm liệt: {gate.title}", disqualifier=gate.id))
    for gate in unit.gates:
        if gate.kind == "mandatory" and not gate.ok:
            hidden = at_least(unit.total, rec.min_total)
            note = f" dù tổng điểm {fmt(unit.total)} đạt ngưỡng" if hidden else ""
            flags.append(
                _flag(
                    "mandatory_failed",
                    f"Tiêu chí bắt buộc “{gate.title}” không đạt{note}",
                    criterion=gate.id,
                    total=unit.total,
                    hidden_by_total=hidden,
                )
            )
    for gate in unit.gates:  # an incomplete file matters for units that were proposed
        if gate.kind == "requirement" and not gate.ok and app.proposed:
            flags.append(
                _flag(
                    "requirement_unmet",
                    f"Chưa đáp ứng: {gate.title}",
                    requirement=gate.id,
                    detail=gate.explanation,
                )
            )
    if app.self_score is not None and exceeds(app.self_score, unit.total, settings.self_score_tolerance):
        gap = difference(app.self_score, unit.total)
        flags.append(
            _flag(
                "self_score_inflated",
                f"Tự chấm {fmt(app.self_score)} điểm, cao hơn điểm thẩm định "
                f"{fmt(unit.total)} là {fmt(gap)} điểm (cho phép "
                f"{fmt(settings.self_score_tolerance)})",
                self_score=app.self_score,
                total=unit.total,
                difference=gap,
            )
        )
    if settings.group_self_score_tolerance is not None:
        for g in unit.groups:
            if g.self_score is not None and exceeds(
                g.self_score, g.points, settings.group_self_score_tolerance
            ):
                gap = difference(g.self_score, g.points)
                flags.append(
                    _flag(
                        "group_self_score_inflated",
                        f"Nhóm “{g.title}”: tự chấm {fmt(g.self_score)}, thẩm định "
                        f"{fmt(g.points)} (chênh {fmt(gap)})",
                        group=g.id,
                        self_score=g.self_score,
                        points=g.points,
                        difference=gap,
                    )
                )
    problems = unit.evidence_problems
    if problems:
        declared = cs.evidence_by_id()
        labels = [declared[p].label for p in problems]
        flags.append(
            _flag(
                "evidence_problem",
                f"Thiếu hoặc sai {len(labels)} minh chứng: " + "; ".join(labels),
                fields=problems,
                reasons={p: app.invalid.get(p, "thiếu giá trị") for p in problems},
            )
        )
    if settings.borderline_margin > 0 and near(unit.total, rec.min_total, settings.borderline_margin):
        side = "trên" if at_least(unit.total, rec.min_total) else "dưới"
        flags.append(
            _flag(
                "borderline",
                f"Tổng điểm {fmt(unit.total)} sát ngưỡng {fmt(rec.min_total)} "
                f"({side} ngưỡng {fmt(abs(difference(unit.total, rec.min_total)))} điểm)",
                total=unit.total,
                threshold=rec.min_total,
            )
        )
    flags.sort(key=lambda f: f.severity)
    return flags
