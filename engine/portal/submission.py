"""What submitting an application requires, decided in one place for the commune's web form and
the team's Excel upload, and what the check before submitting shows ("Kiểm tra trước khi nộp").

Submitting requires every value to read (the same reader as `cqtt score`): a value that does not
read keeps the application a draft, whichever way it came. What the rule file asks that the
commune may still lack (a required document, self-scores that do not add up) does not stop a
submission, since the appraisal decides on it; the check shows it before the commune submits,
and the commune confirms it has seen it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from engine.errors import EvidenceIssue
from engine.numbers import exact
from engine.portal.scoring import UnitValues, read
from engine.rules.conditions import fields_read
from engine.rules.loader import LoadedCriteria
from engine.rules.model import CriteriaSet
from engine.text import fmt


@dataclass(frozen=True)
class Document:
    """A document the rule file's recognition requirements ask for (a choice of an items field)."""

    field: str
    choice: str
    label: str

    @property
    def slot(self) -> str:
        return f"doc:{self.choice}"


def required_documents(cs: CriteriaSet) -> list[Document]:
    """The documents the rule file asks for: the choices of the items fields its recognition
    requirements read, in the order the file declares them."""
    decls = cs.evidence_by_id()
    found: list[Document] = []
    for requirement in cs.recognition.requirements:
        for fid in sorted(fields_read(requirement.when)):
            decl = decls.get(fid)
            if decl is None or decl.type != "items":
                continue
            for c in decl.choices or []:
                if all(d.choice != c.id for d in found):
                    found.append(Document(fid, c.id, c.label))
    return found


def blocking(issues: list[EvidenceIssue]) -> dict[str, str]:
    """What keeps an application from being submitted: each value the evidence reader could not
    read (field key -> message). The one rule for the web form and the Excel upload."""
    return {i.column or "": i.message for i in issues if i.kind == "problem"}


@dataclass
class DocumentState:
    document: Document
    declared: bool  # ticked in the form
    attached: bool  # a file filed under it


@dataclass
class Readiness:
    """The check before submitting: what blocks it, and what the commune should see first."""

    problems: dict[str, str]
    documents: list[DocumentState]
    self_total: Fraction | None
    group_scores: list[tuple[str, Fraction | None]]  # (group title, self-score)
    warnings: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.problems

    @property
    def group_sum(self) -> Fraction | None:
        given = [v for _, v in self.group_scores if v is not None]
        return sum(given, Fraction(0)) if given else None


def check(loaded: LoadedCriteria, values: UnitValues, attached_slots: set[str]) -> Readiness:
    """Read the values as a submission would, and list what the commune should see before it
    submits: required documents not declared or without a file, self-scores that do not add up."""
    cs = loaded.model
    evidence = read(loaded, [values], "biểu mẫu")
    problems = blocking(evidence.issues)
    app = evidence.applications[0] if evidence.applications else None
    docs: list[DocumentState] = []
    for doc in required_documents(cs):
        held = app.values.get(doc.field) if app is not None else None
        declared = isinstance(held, (list, tuple, set, frozenset)) and doc.choice in held
        docs.append(DocumentState(doc, declared, doc.slot in attached_slots))
    total = exact(app.self_score) if app is not None and app.self_score is not None else None
    groups = [
        (
            g.title,
            exact(app.group_self_scores[g.id]) if app is not None and g.id in app.group_self_scores else None,
        )
        for g in cs.groups
    ]
    ready = Readiness(problems, docs, total, groups)
    missing = [d.document.label for d in docs if not d.declared]
    unfiled = [d.document.label for d in docs if d.declared and not d.attached]
    if missing:
        ready.warnings.append(
            f"Thiếu {len(missing)}/{len(docs)} văn bản hồ sơ bắt buộc: {', '.join(missing)}; "
            "thiếu văn bản thì hồ sơ không đủ điều kiện công nhận."
        )
    if unfiled:
        ready.warnings.append(f"Chưa đính kèm tệp cho {len(unfiled)} văn bản đã khai: {', '.join(unfiled)}.")
    if total is None:
        ready.warnings.append("Chưa ghi tổng điểm tự chấm.")
    summed = ready.group_sum
    if total is not None and summed is not None and summed != total:
        ready.warnings.append(
            f"Tổng điểm tự chấm {fmt(float(total))} khác tổng điểm tự chấm các nhóm {fmt(float(summed))}."
        )
    return ready


def document_slots(cs: CriteriaSet) -> list[tuple[str, str]]:
    """The documents the rule file asks for, as attachment slots (the slot for anything else is
    added by the policy)."""
    return [(d.slot, d.label) for d in required_documents(cs)]


def slot_names(cs: CriteriaSet) -> dict[str, str]:
    """Every attachment slot by the name people read: the rule file's documents, then the
    portal's own (other documents, field-check photos, appeal papers)."""
    from engine.portal.policy import SLOT_LABELS

    return dict(document_slots(cs)) | SLOT_LABELS
