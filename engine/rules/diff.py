"""What changed between two versions of a criteria set, as lines a policy officer can read.

Criteria and groups are matched by id; an id that disappears while another appears with the same
title is reported as renamed. What scoring the same evidence under both versions changes is
engine.scoring.compare.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from engine.rules.conditions import describe
from engine.rules.model import CriteriaSet, Criterion
from engine.text import fmt


@dataclass
class Change:
    kind: str  # "added", "removed", "renamed", "changed"
    what: str  # the key in the rule file (for scripts)
    detail: str
    label: str = ""  # what changed, in words people read

    def format(self) -> str:
        mark = {"added": "+", "removed": "-", "renamed": "~", "changed": "*"}[self.kind]
        return f"{mark} {self.label or self.what}: {self.detail}"


KEY_LABELS = {
    "title": "Tên bộ tiêu chí",
    "status": "Trạng thái (bản mẫu hay chính thức)",
    "scale": "Thang điểm",
    "supersedes": "Thay thế phiên bản",
    "effective": "Thời gian hiệu lực",
    "recognition.min_total": "Công nhận: tổng điểm tối thiểu",
    "recognition.min_group_share": "Công nhận: tỷ lệ điểm tối thiểu của mỗi nhóm",
    "recognition.require_mandatory": "Công nhận: phải đạt mọi tiêu chí bắt buộc",
    "recognition.require_no_disqualifier": "Công nhận: không vi phạm điểm liệt",
    "recognition.require_complete_evidence": "Công nhận: đủ minh chứng",
    "flags.self_score_tolerance": "Cảnh báo: mức tự chấm cao hơn được phép",
    "flags.group_self_score_tolerance": "Cảnh báo: mức tự chấm nhóm cao hơn được phép",
    "flags.borderline_margin": "Cảnh báo: khoảng sát ngưỡng",
    "flags.target_share": "Chỉ tiêu tỷ lệ đơn vị được công nhận",
    "flags.sample_weights": "Trọng số chọn mẫu kiểm tra thực địa",
}
PART_LABELS = {
    "points": "điểm",
    "group": "thuộc nhóm",
    "method": "cách chấm",
    "applies_when": "áp dụng khi",
    "source": "nguồn",
}


def label_of(what: str, old: CriteriaSet, new: CriteriaSet) -> str:
    """A change's key in words: items by their titles, settings by what they mean."""
    if what in KEY_LABELS:
        return KEY_LABELS[what]
    groups = {g.id: g.title for cs in (old, new) for g in cs.groups}
    criteria = {c.id: c.title for cs in (old, new) for _, c in cs.criteria()}
    fields = {e.id: e.label for cs in (old, new) for e in cs.evidence}
    named = {
        "disqualifiers": ("Điểm liệt", {d.id: d.title for cs in (old, new) for d in cs.disqualifiers}),
        "recognition.requirements": (
            "Yêu cầu hồ sơ",
            {r.id: r.title for cs in (old, new) for r in cs.recognition.requirements},
        ),
        "evidence": ("Trường minh chứng", fields),
    }
    for prefix, (word, titles) in named.items():
        if what.startswith(prefix + "."):
            rest = what[len(prefix) + 1 :]
            item, _, part = rest.partition(".")
            shown = f"{word} “{titles.get(item, item)}”"
            return f"{shown} — {PART_LABELS.get(part, part)}" if part else shown
    for word, titles in (("nhóm", groups), ("tiêu chí", criteria)):
        if what.startswith(word + " "):
            item, _, part = what[len(word) + 1 :].partition(".")
            shown = f"{word.capitalize()} “{titles.get(item, item)}”"
            return f"{shown} — {PART_LABELS.get(part, part)}" if part else shown
    return what


@dataclass
class SetDiff:
    old: str
    new: str
    changes: list[Change] = field(default_factory=list)


def _val(x: Any) -> str:
    if x is None:
        return "(không có)"
    if isinstance(x, float):
        return fmt(x)
    return str(x)


_WORD = re.compile(r"\b[a-z][a-z0-9_]*\b")


def _named(text: str, labels: dict[str, str]) -> str:
    """Evidence fields by their labels, as the people reading a diff know them (the ids are the
    rule file's)."""
    return _WORD.sub(lambda m: f"“{labels[m.group(0)]}”" if m.group(0) in labels else m.group(0), text)


def _method(c: Criterion, labels: dict[str, str]) -> str:
    return _named(c.scorer.describe(c.method), labels)


def _applies(c: Criterion, labels: dict[str, str]) -> str:
    if c.applies_when is None:
        return "luôn áp dụng"
    return _named(f"áp dụng khi {describe(c.applies_when)}; nếu không: {c.not_applicable}", labels)


def diff_sets(old: CriteriaSet, new: CriteriaSet) -> SetDiff:
    out = SetDiff(old.ref, new.ref)
    add = out.changes.append
    for key in ("title", "status", "scale", "supersedes"):
        a, b = getattr(old, key), getattr(new, key)
        if a != b:
            add(Change("changed", key, f"{_val(a)} → {_val(b)}"))
    if old.effective != new.effective:
        add(
            Change(
                "changed",
                "effective",
                f"{old.effective.from_}–{old.effective.to or '…'} → "
                f"{new.effective.from_}–{new.effective.to or '…'}",
            )
        )
    for here, there in sorted(new.renamed.items()):
        if old.renamed.get(here) != there:
            add(Change("renamed", f"evidence.{there}", f"đổi mã thành {here} (renamed)"))
    _diff_groups(old, new, add)
    _diff_criteria(old, new, add)
    _diff_named(
        "evidence",
        {e.id: e for e in old.evidence},
        {e.id: e for e in new.evidence},
        lambda e: f"{e.label} ({e.type})",
        add,
    )
    _diff_named(
        "disqualifiers",
        {d.id: d for d in old.disqualifiers},
        {d.id: d for d in new.disqualifiers},
        lambda d: f"{d.title}: {describe(d.when)}",
        add,
    )
    _diff_named(
        "recognition.requirements",
        {r.id: r for r in old.recognition.requirements},
        {r.id: r for r in new.recognition.requirements},
        lambda r: f"{r.title}: {describe(r.when)}",
        add,
    )
    for section, a_items, b_items in (
        ("disqualifiers", old.disqualifiers, new.disqualifiers),
        ("recognition.requirements", old.recognition.requirements, new.recognition.requirements),
    ):
        before = {i.id: i for i in a_items}
        for item in b_items:
            if item.id in before and before[item.id].provenance() != item.provenance():
                add(
                    Change(
                        "changed",
                        f"{section}.{item.id}.source",
                        f"{before[item.id].provenance()} → {item.provenance()}",
                    )
                )
    for key in (
        "min_total",
        "min_group_share",
        "require_mandatory",
        "require_no_disqualifier",
        "require_complete_evidence",
    ):
        a, b = getattr(old.recognition, key), getattr(new.recognition, key)
        if a != b:
            add(Change("changed", f"recognition.{key}", f"{_val(a)} → {_val(b)}"))
    for key in type(old.flags).model_fields:
        a, b = getattr(old.flags, key), getattr(new.flags, key)
        if a != b:
            add(Change("changed", f"flags.{key}", f"{_val(a)} → {_val(b)}"))
    for change in out.changes:
        change.label = label_of(change.what, old, new)
    return out


def _diff_named(section: str, old: dict[str, Any], new: dict[str, Any], show: Any, add: Any) -> None:
    for key in sorted(old.keys() - new.keys()):  # sorted: the same inputs give the same lines
        add(Change("removed", f"{section}.{key}", show(old[key])))
    for key in sorted(new.keys() - old.keys()):
        add(Change("added", f"{section}.{key}", show(new[key])))
    for key in sorted(old.keys() & new.keys()):
        if old[key] != new[key] and show(old[key]) != show(new[key]):
            add(Change("changed", f"{section}.{key}", f"{show(old[key])} → {show(new[key])}"))


def _diff_groups(old: CriteriaSet, new: CriteriaSet, add: Any) -> None:
    a = {g.id: g for g in old.groups}
    b = {g.id: g for g in new.groups}
    renamed = _renames(
        {k: v.title for k, v in a.items() if k not in b}, {k: v.title for k, v in b.items() if k not in a}
    )
    for old_id, new_id in renamed.items():
        add(Change("renamed", f"nhóm {old_id}", f"đổi mã thành {new_id}"))
    for gid in sorted(a.keys() - b.keys() - renamed.keys()):
        add(Change("removed", f"nhóm {gid}", f"{a[gid].title} ({fmt(a[gid].points)} điểm)"))
    for gid in sorted(b.keys() - a.keys() - set(renamed.values())):
        add(Change("added", f"nhóm {gid}", f"{b[gid].title} ({fmt(b[gid].points)} điểm)"))
    for gid in [g for g in a if g in b]:
        sa, sb = a[gid].source, b[gid].source
        if sa != sb:
            add(
                Change(
                    "changed",
                    f"nhóm {gid}.source",
                    f"{sa.cite() if sa else '(không có)'} → {sb.cite() if sb else '(không có)'}",
                )
            )
        if a[gid].title != b[gid].title:
            add(Change("renamed", f"nhóm {gid}", f"“{a[gid].title}” → “{b[gid].title}”"))
        if a[gid].points != b[gid].points:
            add(Change("changed", f"nhóm {gid}.points", f"{fmt(a[gid].points)} → {fmt(b[gid].points)}"))


def _renames(gone: dict[str, str], came: dict[str, str]) -> dict[str, str]:
    by_title = {title: key for key, title in came.items()}
    return {key: by_title[title] for key, title in gone.items() if title in by_title}


def _diff_criteria(old: CriteriaSet, new: CriteriaSet, add: Any) -> None:
    a = {c.id: (g.id, c) for g, c in old.criteria()}
    b = {c.id: (g.id, c) for g, c in new.criteria()}
    titles = {g.id: g.title for cs in (old, new) for g in cs.groups}
    labels = {d.id: d.label for cs in (old, new) for d in cs.evidence}
    renamed = _renames(
        {k: v[1].title for k, v in a.items() if k not in b},
        {k: v[1].title for k, v in b.items() if k not in a},
    )
    for old_id, new_id in renamed.items():
        add(Change("renamed", f"tiêu chí {old_id}", f"đổi mã thành {new_id}"))
    for cid in sorted(a.keys() - b.keys() - renamed.keys()):
        g, c = a[cid]
        add(Change("removed", f"tiêu chí {cid}", f"{c.title} (nhóm “{titles[g]}”, {fmt(c.points)} điểm)"))
    for cid in sorted(b.keys() - a.keys() - set(renamed.values())):
        g, c = b[cid]
        add(
            Change(
                "added",
                f"tiêu chí {cid}",
                f"{c.title} (nhóm “{titles[g]}”, {fmt(c.points)} điểm; {_method(c, labels)})",
            )
        )
    pairs = [(cid, cid) for cid in a if cid in b] + list(renamed.items())
    for old_id, new_id in pairs:
        (ga, ca), (gb, cb) = a[old_id], b[new_id]
        name = f"tiêu chí {new_id}"
        if ca.title != cb.title:
            add(Change("renamed", name, f"“{ca.title}” → “{cb.title}”"))
        if ga != gb:
            add(Change("changed", f"{name}.group", f"{ga} → {gb}"))
        if ca.points != cb.points:
            add(Change("changed", f"{name}.points", f"{fmt(ca.points)} → {fmt(cb.points)}"))
        if ca.method != cb.method:
            add(Change("changed", f"{name}.method", f"{_method(ca, labels)} → {_method(cb, labels)}"))
        if (ca.applies_when, ca.not_applicable) != (cb.applies_when, cb.not_applicable):
            add(Change("changed", f"{name}.applies_when", f"{_applies(ca, labels)} → {_applies(cb, labels)}"))
        if ca.provenance() != cb.provenance():
            add(Change("changed", f"{name}.source", f"{ca.provenance()} → {cb.provenance()}"))
        if ca.mandatory != cb.mandatory:
            add(
                Change(
                    "changed",
                    f"{name}.mandatory",
                    f"{'bắt buộc' if ca.is_mandatory else 'không bắt buộc'} → "
                    f"{'bắt buộc' if cb.is_mandatory else 'không bắt buộc'}",
                )
            )
