"""What scoring decides for a unit, before anything is written about it.

Scoring a unit decides numbers and outcomes: each criterion's points and status, the groups and
the total, which recognition rules passed, the gates, what blocks recognition. The explanations,
evidence as shown, flags and the seal are made from these when an output asks for the unit's full
result (Engine.result). Keeping the two apart lets a run decide thousands of units a second and
spend the writing effort once per unit written; the full result holds nothing a decision here
does not already fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.intake.evidence import Application
    from engine.scoring.results import CriterionResult, GateResult, GroupResult, Status


class Outcome:
    """One criterion's decided outcome for a unit. A kept outcome serves every unit whose values
    read and decisions fired are the same (Engine keeps the first ones met); an outcome's full
    result, made once when first asked for, is kept with it."""

    __slots__ = ("points", "applicable", "status", "applies", "mine", "full", "kept")

    def __init__(
        self, points: float, applicable: bool, status: Status, applies: bool, mine: frozenset[str]
    ) -> None:
        self.points = points
        self.applicable = applicable
        self.status: Status = status
        self.applies = applies  # whether the applicability rule fired
        self.mine = mine  # the criterion's scoring decisions that fired
        self.full: CriterionResult | None = None
        self.kept = False  # shared by the units with the same values and decisions


class Decided:
    """A unit scored: its application, the rules that fired and what they decided."""

    __slots__ = ("app", "fired", "outcomes", "groups", "total", "passed", "problems", "gates", "blocking")

    def __init__(
        self,
        app: Application,
        fired: set[str],
        outcomes: list[Outcome],
        groups: list[GroupResult],
        total: float,
    ) -> None:
        self.app = app
        self.fired = fired  # evidence rules that fired
        self.outcomes = outcomes  # in the criteria set's order
        self.groups = groups
        self.total = total
        self.passed: set[str] = set()  # recognition rules that passed
        self.problems: list[str] = []  # evidence ids invalid, or missing where needed
        self.gates: list[GateResult] = []
        self.blocking: list[str] = []  # why the unit is not recognised; empty when it is

    @property
    def recognised(self) -> bool:
        return not self.blocking
