"""Two runs on the same evidence compared, as `cqtt criteria diff --evidence` shows them: the units
whose total or recognition changes between two versions of a criteria set, each criterion's effect
over all units, and the evidence fields a version needs that the files do not have."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.numbers import same_points
from engine.rules.diff import SetDiff
from engine.rules.model import CriteriaSet
from engine.scoring.results import RunResult


@dataclass
class CriterionMove:
    id: str
    title: str
    old: float | None  # None: the criterion is not in that version
    new: float | None

    @property
    def delta(self) -> float:
        return (self.new or 0.0) - (self.old or 0.0)


@dataclass
class UnitChange:
    code: str
    name: str
    group: str
    old_total: float | None
    new_total: float | None
    old_recognised: bool | None
    new_recognised: bool | None
    old_reasons: list[str] = field(default_factory=list)  # what blocks recognition, each side
    new_reasons: list[str] = field(default_factory=list)
    moved: list[CriterionMove] = field(default_factory=list)  # largest moves first

    @property
    def status_changed(self) -> bool:
        return self.old_recognised != self.new_recognised

    @property
    def delta(self) -> float:
        return (self.new_total or 0.0) - (self.old_total or 0.0)


@dataclass
class MissingField:
    """An evidence field a version needs that the evidence files do not have at all."""

    id: str
    label: str
    units_blocked: int  # units reported with missing evidence for it under that version


@dataclass
class CriterionEffect:
    id: str
    title: str
    in_old: bool
    in_new: bool
    units_gain: int = 0
    units_lose: int = 0
    points_change: float = 0.0  # over all units


MOVED_SHOWN = 3


def missing_fields(cs: CriteriaSet, present: set[str], run: RunResult) -> list[MissingField]:
    """Fields the set reads that no evidence file has, with how many units that leaves without
    the evidence they need."""
    read: set[str] = set()
    for _, c in cs.criteria():
        read |= c.evidence_read()
    found = []
    for decl in cs.evidence:
        if decl.id in read and decl.id not in present:
            blocked = sum(1 for u in run.units if decl.id in u.full().evidence_problems)
            found.append(MissingField(decl.id, decl.label, blocked))
    return found


def unit_changes(old: RunResult, new: RunResult) -> tuple[list[UnitChange], list[CriterionEffect]]:
    """Units whose total or recognition differs between two runs on the same evidence (status
    changes first, then by the size of the change), and each criterion's effect over all units."""
    a = {u.code: u.full() for u in old.units}
    b = {u.code: u.full() for u in new.units}
    effects: dict[str, CriterionEffect] = {}
    changes = []
    for code in sorted(a.keys() | b.keys()):
        ua, ub = a.get(code), b.get(code)
        either = ub or ua
        assert either is not None
        pa = {r.id: r for r in ua.criteria} if ua else {}
        pb = {r.id: r for r in ub.criteria} if ub else {}
        moves = []
        for cid in [*pa, *(k for k in pb if k not in pa)]:
            ra, rb = pa.get(cid), pb.get(cid)
            title = rb.title if rb is not None else ra.title if ra is not None else cid
            move = CriterionMove(cid, title, ra.points if ra else None, rb.points if rb else None)
            effect = effects.setdefault(cid, CriterionEffect(cid, move.title, ra is not None, rb is not None))
            if not same_points(move.delta, 0):
                moves.append(move)
                effect.points_change += move.delta
                if move.delta > 0:
                    effect.units_gain += 1
                else:
                    effect.units_lose += 1
        moves.sort(key=lambda m: (-abs(m.delta), m.id))
        change = UnitChange(
            code,
            either.name,
            either.group,
            ua.total if ua else None,
            ub.total if ub else None,
            ua.recognised if ua else None,
            ub.recognised if ub else None,
            list(ua.blocking) if ua else [],
            list(ub.blocking) if ub else [],
            moves,
        )
        if (
            change.old_total is None
            or change.new_total is None
            or not same_points(change.delta, 0)
            or change.status_changed
        ):
            changes.append(change)
    changes.sort(key=lambda c: (not c.status_changed, -abs(c.delta), c.code))
    ordered = sorted(effects.values(), key=lambda e: (-(e.units_gain + e.units_lose), e.id))
    return changes, ordered


@dataclass
class DiffOutcome:
    diff: SetDiff
    units: list[UnitChange] | None = None
    scored: int = 0
    effects: list[CriterionEffect] = field(default_factory=list)
    missing: tuple[list[MissingField], list[MissingField]] = ([], [])  # old, new
    evidence: list[dict[str, str]] = field(default_factory=list)
    sha256: tuple[str, str] = ("", "")
    foreign: str | None = None  # why the evidence looks made for another rule set (then not scored)
    models: tuple[bool, bool] = (False, False)  # whether each side is a model set
    # per side, with evidence: (eligible units, units scored, target share, target met)
    eligible: tuple[tuple[int, int, float | None, bool | None], ...] = ()
