"""The seal: a digest of each unit's scored content, written into every results file.

A results workbook travels from an appraisal team to the province and can be edited on the way.
Each unit gets three digests, one per sheet that shows it (ranking, criterion points, evidence),
computed from the values exactly as the cells hold them, so that `cqtt recheck` can recompute them
from the cells it finds and name the units whose cells no longer match ("edited by hand") and the
sheet where. The whole run gets one digest over every unit's.

The digests are plain SHA-256 with no secret: they show that a file was edited, they do not stop
someone who knows how they are made from writing new ones. Re-scoring is the real check.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.rules.model import CriteriaSet
from engine.scoring.results import UnitResult
from engine.text import safe_text

PARTS = ("ranking", "criteria", "evidence")
PART_SHEETS = {"ranking": "Xếp hạng", "criteria": "Chi tiết", "evidence": "Minh chứng"}
INVALID = "!invalid"  # an evidence value that could not be read, whatever the message said


def canonical(value: Any) -> Any:
    """Numbers to fixed text (six decimals), strings without control characters, recursively:
    the same value read from JSON or from a re-saved workbook gives the same digest."""
    kind = type(value)  # exact types first (most of a unit's content); subclasses below
    if kind is str:
        return safe_text(value)
    if kind is float or kind is int:
        return f"{round(float(value), 6):.6f}"
    if kind is list:
        return [canonical(v) for v in value]
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return f"{round(float(value), 6):.6f}"
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return safe_text(str(value))


def digest(part: str, content: Any) -> str:
    return digest_of_text(part, canonical_text(content))


def canonical_text(content: Any) -> str:
    return json.dumps(canonical(content), ensure_ascii=False, separators=(",", ":"))


def digest_of_text(part: str, text: str) -> str:
    return hashlib.sha256(f"cqtt-seal/{part}\n{text}".encode()).hexdigest()[:16]


@dataclass
class UnitContent:
    """What the seal covers for one unit, the same whether taken from a result or from cells.
    A part left as None was not found (its sheet deleted) and cannot be checked."""

    code: str
    ranking: list[Any] | None = None
    criteria: list[Any] | None = None
    evidence: list[Any] | None = None

    def digests(self) -> dict[str, str | None]:
        return {p: None if getattr(self, p) is None else digest(p, getattr(self, p)) for p in PARTS}


def ranking_content(
    code: str,
    name: str,
    group: str,
    total: float | None,
    group_points: Sequence[float | None],
    recognised: bool | None,
    proposed: bool | None,
    self_score: float | None,
    rank: int | None,
    flag_count: int | None,
) -> list[Any]:
    return [code, name, group, total, list(group_points), recognised, proposed, self_score, rank, flag_count]


def evidence_content(
    year: int | None,
    proposed: bool | None,
    self_score: float | None,
    group_self_scores: Sequence[float | None],
    values: Iterable[tuple[str, Any]],
) -> list[Any]:
    return [year, proposed, self_score, list(group_self_scores), [[k, v] for k, v in values]]


def ranking_of(unit: UnitResult) -> list[Any]:
    """The ranking part of a unit result (light or full)."""
    return ranking_content(
        unit.code,
        unit.name,
        unit.group,
        unit.total,
        [g.points for g in unit.groups],
        unit.recognised,
        unit.proposed,
        unit.self_score,
        unit.rank,
        len(unit.flags),
    )


def content_of(cs: CriteriaSet, unit: UnitResult) -> UnitContent:
    """The sealed content of a full unit result (criteria and evidence present)."""
    values = [
        (d.id, INVALID if d.id in unit.evidence_invalid else unit.values.get(d.id)) for d in cs.evidence
    ]
    return UnitContent(
        code=unit.code,
        ranking=ranking_of(unit),
        criteria=[[r.id, r.points] for r in unit.criteria],
        evidence=evidence_content(
            unit.year, unit.proposed, unit.self_score, [g.self_score for g in unit.groups], values
        ),
    )


class Sealer:
    """The criteria and evidence digests of units as they are scored, the same as
    `content_of(cs, unit).digests()` gives, made faster: the canonical text of a list is its items'
    texts joined, and the items ([criterion, points], [evidence id, value]) recur from unit to
    unit, so each item's text is kept: the first ITEM_TEXTS met for the criteria, the first
    ITEM_TEXTS / 8 for each evidence id (a fixed amount, the same at 10,000 units as at 100,000)."""

    ITEM_TEXTS = 8192

    def __init__(self, evidence_ids: Sequence[str]) -> None:
        self._texts: dict[Any, str] = {}  # (criterion, type, points) -> text
        self._evidence_texts: list[tuple[str, dict[Any, str]]] = [(e, {}) for e in evidence_ids]

    def _item(self, key: Any, item: list[Any]) -> str:
        try:
            text = self._texts.get(key)
        except TypeError:  # an unhashable value
            return canonical_text(item)
        if text is None:
            text = canonical_text(item)
            if len(self._texts) < self.ITEM_TEXTS:
                self._texts[key] = text
        return text

    def criteria(self, points: Iterable[tuple[str, float]]) -> str:
        """The criteria digest from each criterion's (id, points)."""
        items = [self._item((cid, type(p), p), [cid, p]) for cid, p in points]
        return digest_of_text("criteria", "[" + ",".join(items) + "]")

    def evidence(
        self,
        year: int | None,
        proposed: bool | None,
        self_score: float | None,
        group_self_scores: Sequence[float | None],
        values: Mapping[str, Any],
        invalid: Container[str],
        plain: Callable[[str, Any], Any],
    ) -> str:
        """The evidence digest of a unit's typed `values` (`plain(id, value)` gives the value as
        sealed; ids in `invalid` are sealed as INVALID)."""
        head = canonical_text([year, proposed, self_score, list(group_self_scores)])
        items = []
        for eid, texts in self._evidence_texts:
            value = INVALID if eid in invalid else values.get(eid)
            key: tuple[type, Any] | None = (type(value), value)
            try:
                text = texts.get(key)
            except TypeError:  # an unhashable value
                key, text = None, None
            if text is None:
                sealed = value if value is None or value is INVALID else plain(eid, value)
                text = canonical_text([eid, sealed])
                if key is not None and len(texts) < self.ITEM_TEXTS // 8:
                    texts[key] = text
            items.append(text)
        return digest_of_text("evidence", head[:-1] + ",[" + ",".join(items) + "]]")


def run_seal(criteria_sha256: str, unit_seals: dict[str, dict[str, str]]) -> str:
    """One digest over every unit's, in unit-code order, bound to the criteria file."""
    rows = ([code, *(unit_seals[code].get(p) for p in PARTS)] for code in sorted(unit_seals))
    return run_seal_of_rows(criteria_sha256, rows)


def run_seal_of_rows(criteria_sha256: str, rows: Iterable[list[str | None]]) -> str:
    """`run_seal` from rows [code, *digests] already in code order, hashed as they come: the
    bytes are those of `json.dumps(rows)`, without the whole list in memory."""
    sha = hashlib.sha256(f"cqtt-seal/run\n{criteria_sha256}\n[".encode())
    for index, row in enumerate(rows):
        sha.update((b"," if index else b"") + json.dumps(row, separators=(",", ":")).encode())
    sha.update(b"]")
    return sha.hexdigest()


@dataclass
class SealCheck:
    """The outcome of checking one file's seal."""

    present: bool
    whole_ok: bool | None = None
    edited: dict[str, list[str]] = field(default_factory=dict)  # unit -> parts that differ
    unchecked: list[str] = field(default_factory=list)  # parts whose sheet is missing
    removed: list[str] = field(default_factory=list)  # sealed units no longer in the file
    added: list[str] = field(default_factory=list)  # units in the file that were never sealed
