"""The application form, generated from the rule file: each evidence field with its label, type,
unit, allowed values, hint and the criteria (and their sources) that read it — what the Excel
template shows, grouped as the template groups its columns.

Values are kept as people type them (text) and read by the same code as an evidence file
(engine.intake.evidence.read_mappings): "95%", "0,95", "1.234,5", "Có" all work here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.intake.cells import CellError, hint_for, parse_items
from engine.intake.evidence import FIXED_LABELS, self_score_column
from engine.rules.declarations import TYPE_LABELS, Choice, EvidenceDecl
from engine.rules.model import CriteriaSet
from engine.text import fmt

MAX_TEXT = 500  # characters kept of one field (a list of items is the longest)


@dataclass(frozen=True)
class Field:
    key: str  # the column key the evidence reader knows
    label: str
    kind: str  # an evidence type, or "proposed" / "self_score"
    hint: str
    unit: str | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (id, label)
    required: bool = False
    used_by: tuple[str, ...] = ()  # "criterion title (source)" lines
    type_label: str = ""


@dataclass
class Section:
    title: str
    fields: list[Field] = field(default_factory=list)


def _source_line(c: Any) -> str:
    if c.source is not None:
        where = ", ".join(x for x in (c.source.document, c.source.article) if x)
        return f"{c.title} — căn cứ: {where}"
    if c.proposed:
        return f"{c.title} — đề xuất của bản mẫu"
    return c.title


def _field(decl: EvidenceDecl, used_by: list[str]) -> Field:
    hint = hint_for(decl)
    if decl.range_text() and decl.type in ("number", "count", "percent"):
        hint += f"; trong khoảng {decl.range_text()}{'%' if decl.type == 'percent' else ''}"
    if decl.help:
        hint = f"{decl.help} ({hint})"
    return Field(
        key=decl.id,
        label=decl.label,
        kind=decl.type,
        hint=hint,
        unit=decl.unit,
        choices=tuple((c.id, c.label) for c in decl.choices or []),
        required=decl.required,
        used_by=tuple(used_by),
        type_label=TYPE_LABELS.get(decl.type, decl.type),
    )


def form_for(cs: CriteriaSet) -> list[Section]:
    """The form's sections: the application itself, then each group's evidence, then the rest."""
    first = Section("Đề nghị công nhận và tự chấm điểm")
    first.fields.append(
        Field("de_nghi", FIXED_LABELS["de_nghi"], "proposed", "Chọn Có nếu xã đề nghị công nhận năm nay")
    )
    first.fields.append(
        Field(
            "tu_cham", FIXED_LABELS["tu_cham"], "self_score", f"Tổng điểm tự chấm, từ 0 đến {fmt(cs.scale)}"
        )
    )
    for index, group in enumerate(cs.groups, start=1):
        first.fields.append(
            Field(
                self_score_column(group.id),
                f"Tự chấm nhóm {index}: {group.title}",
                "self_score",
                f"Từ 0 đến {fmt(group.points)} điểm",
            )
        )
    sections = [first]
    evidence = cs.evidence_by_id()
    readers: dict[str, list[str]] = {}
    for _, c in cs.criteria():
        for eid in sorted(c.evidence_read()):
            readers.setdefault(eid, []).append(_source_line(c))
    placed: set[str] = set()
    for index, group in enumerate(cs.groups, start=1):
        section = Section(f"Nhóm {index}: {group.title} ({fmt(group.points)} điểm)")
        for c in group.criteria:
            for eid in sorted(c.evidence_read(), key=lambda e: list(evidence).index(e)):
                if eid not in placed:
                    placed.add(eid)
                    section.fields.append(_field(evidence[eid], readers.get(eid, [])))
        if section.fields:
            sections.append(section)
    rest = Section("Hồ sơ và điều kiện khác")
    for decl in cs.evidence:
        if decl.id not in placed:
            rest.fields.append(_field(decl, readers.get(decl.id, [])))
    if rest.fields:
        sections.append(rest)
    return sections


def fields_of(cs: CriteriaSet) -> dict[str, Field]:
    return {f.key: f for s in form_for(cs) for f in s.fields}


def from_form(cs: CriteriaSet, form: Any) -> dict[str, str]:
    """The values a submitted form holds, as text keyed by column (`form` is a multi-dict with
    `get` and `getlist`): ticked items become "label; label", everything is cut to MAX_TEXT."""
    found: dict[str, str] = {}
    for key, f in fields_of(cs).items():
        if f.kind == "items":
            chosen = [label for cid, label in f.choices if cid in set(form.getlist(key))]
            if chosen or form.get(f"{key}__shown"):
                found[key] = "; ".join(chosen) if chosen else "Không có"
            continue
        value = str(form.get(key, "") or "").strip()[:MAX_TEXT]
        if value:
            found[key] = value
    return found


def ticked(f: Field, text: str | None) -> set[str]:
    """The items a stored text names, for re-showing the boxes ticked."""
    if not text:
        return set()
    return _items_or_none(f, text) or set()


def changed_fields(cs: CriteriaSet, before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The fields whose value differs, read as the engine reads them: a list of items typed as
    labels in an uploaded workbook ("Tờ trình; Báo cáo") is the same list when the form sends it
    back from its ticked boxes; text is compared without its surrounding spaces."""
    fields = fields_of(cs)
    found = []
    for key in sorted(set(before) | set(after)):
        a, b = (before.get(key) or "").strip(), (after.get(key) or "").strip()
        if a == b:
            continue
        f = fields.get(key)
        if f is not None and f.kind == "items" and a and b:
            parsed_a, parsed_b = _items_or_none(f, a), _items_or_none(f, b)
            if parsed_a is not None and parsed_a == parsed_b:
                continue
        found.append(key)
    return found


def _items_or_none(f: Field, text: str) -> set[str] | None:
    choices = [Choice(id=c, label=lab) for c, lab in f.choices]
    decl = EvidenceDecl(id=f.key, label=f.label, type="items", choices=choices)
    try:
        return set(parse_items(text, decl))
    except CellError:
        return None


def checked_values(
    cs: CriteriaSet,
    base: dict[str, str],
    form: Any,
    counted: set[str] = frozenset(),  # type: ignore[assignment]
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """What a checking form (the district's verification, the province's field check) sends: the
    values (those of `base` the form does not show stay as they were; a text field emptied is
    removed), the reason written beside each, and the fields whose value changed. Fields in
    `counted` (online surveys' tallies) are never typed, never changed by hand."""
    fields = fields_of(cs)
    values = {**base, **from_form(cs, form)}
    for key, f in fields.items():
        if key in counted:
            values[key] = base.get(key, "")
        elif f.kind != "items" and not str(form.get(key, "") or "").strip():
            values.pop(key, None)
    reasons = {k: str(form.get(f"ly_do__{k}", "") or "").strip()[:1000] for k in fields}
    changed = [k for k in changed_fields(cs, base, values) if k not in counted]
    return values, {k: v for k, v in reasons.items() if v}, changed
