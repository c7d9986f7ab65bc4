"""What every scoring method provides, and the registry that finds methods by name.

A scoring method splits its work in two. The *decisions* (which tier holds, whether the value is
below the zero point, whether an item is present) are conditions handed to the engine, which
compiles them into durable_rules; the method never compares evidence itself. The *arithmetic*
(points of the matched tier, linear interpolation, a capped sum) is done here, from the set of
conditions the engine reports as matched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel

from engine.rules.conditions import Node
from engine.rules.declarations import EvidenceDecl
from engine.text import fmt

Evidence = Mapping[str, EvidenceDecl]


@dataclass(frozen=True)
class Award:
    """Points given by one method, with the rule that matched and a one-line explanation."""

    points: float
    rule: str
    explanation: str


@dataclass(frozen=True)
class Problem:
    """A fault in a method's settings; `path` is relative to the method (`("tiers", 2, "min")`)."""

    path: tuple[str | int, ...]
    message: str
    suggestion: str | None = None
    severity: str = "error"


@dataclass
class Scorer:
    """Base class: subclasses set `name` and `model` and implement the hooks below."""

    name: ClassVar[str]
    model: ClassVar[type[BaseModel]]
    label: ClassVar[str]

    def evidence_ids(self, method: Any) -> list[str]:
        """Evidence fields the method reads (excluding those only named inside conditions)."""
        return [method.evidence]

    def direct_evidence(self, method: Any) -> list[tuple[tuple[str | int, ...], str]]:
        """Evidence named in the method's own keys (not inside conditions), with the key path."""
        return [(("evidence",), method.evidence)]

    def conditions(self, method: Any, key: str, evidence: Evidence) -> dict[str, Node]:
        """Named decisions for the engine. `key` is the criterion id, used to name derived facts."""
        raise NotImplementedError

    def derived(self, method: Any, key: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """Extra facts computed from the evidence before the engine runs (e.g. a survey share)."""
        return {}

    def score(
        self,
        method: Any,
        max_points: float,
        fired: set[str],
        values: Mapping[str, Any],
        evidence: Evidence,
    ) -> Award:
        """Points from the decisions that matched; `values` holds the typed evidence."""
        raise NotImplementedError

    def points(
        self,
        method: Any,
        max_points: float,
        fired: set[str],
        values: Mapping[str, Any],
        evidence: Evidence,
    ) -> float:
        """The points `score` gives, without its explanation: what totals and recognition need.
        Scoring runs this for every unit and leaves the explanation to the outputs. Methods
        whose explanation costs more than their arithmetic give it directly."""
        return self.score(method, max_points, fired, values, evidence).points

    def check(self, method: Any, max_points: float, evidence: Evidence) -> list[Problem]:
        return []

    def describe(self, method: Any) -> str:
        raise NotImplementedError

    def direction(self, method: Any) -> int:
        """+1 when more of the evidence never lowers the points, -1 when less never does, 0 else."""
        return 0


@dataclass
class Registry:
    scorers: dict[str, Scorer] = field(default_factory=dict)

    def register(self, scorer: Scorer) -> Scorer:
        if scorer.name in self.scorers:
            raise ValueError(f"scoring method {scorer.name!r} registered twice")
        self.scorers[scorer.name] = scorer
        return scorer

    def get(self, name: str) -> Scorer:
        return self.scorers[name]

    def models(self) -> list[type[BaseModel]]:
        return [s.model for s in self.scorers.values()]


REGISTRY = Registry()


def show_value(decl: EvidenceDecl | None, value: Any) -> str:
    """An evidence value with its unit, as written in explanations."""
    if value is None:
        return "(trống)"
    if decl is not None and decl.type == "percent":
        return f"{fmt(float(value))}%"
    if decl is not None and decl.type == "items":
        labels = {c.id: c.label for c in decl.choices or []}
        return ", ".join(labels.get(v, v) for v in sorted(value)) or "(không có mục nào)"
    if decl is not None and decl.type == "choice":
        labels = {c.id: c.label for c in decl.choices or []}
        return labels.get(value, str(value))
    text = (
        fmt(float(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else fmt(value)
    )
    if decl is not None and decl.unit and decl.type in ("number", "count"):
        text += f" {decl.unit}"
    return text
