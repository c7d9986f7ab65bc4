"""Scoring in the portal: the same reader and the same engine as `cqtt score`, on the values kept
in the store. One engine per criteria file in the process; the rules engine is driven by one
thread at a time (durable_rules' sessions are process-wide)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from engine.errors import EvidenceIssue
from engine.intake.evidence import Application, EvidenceSet, read_mappings
from engine.rules.loader import LoadedCriteria
from engine.scoring.engine import Engine
from engine.scoring.results import UnitResult

_LOCK = threading.Lock()
_ENGINES: dict[str, Engine] = {}


@contextmanager
def engine_for(loaded: LoadedCriteria) -> Iterator[Engine]:
    """The engine of a criteria file, held for the caller alone while in use."""
    with _LOCK:
        found = _ENGINES.get(loaded.sha256)
        if found is None:
            found = _ENGINES[loaded.sha256] = Engine(loaded)
        yield found


@dataclass(frozen=True)
class UnitValues:
    """One unit's values as kept in the store (text by column key), with who it is."""

    code: str
    name: str
    district: str
    year: int
    data: dict[str, str]


def rows_of(units: Sequence[UnitValues]) -> list[dict[str, Any]]:
    """What the evidence reader reads: a row per unit, identity first, as in the Excel template."""
    return [
        {"ma_don_vi": u.code, "ten_don_vi": u.name, "nhom_tham_dinh": u.district, "nam": u.year, **u.data}
        for u in units
    ]


def read(loaded: LoadedCriteria, units: Sequence[UnitValues], label: str) -> EvidenceSet:
    return read_mappings(rows_of(units), loaded.model, label)


@dataclass
class Scored:
    unit: UnitResult
    application: Application
    issues: list[EvidenceIssue]  # cells that could not be read, by column key


def score_one(loaded: LoadedCriteria, values: UnitValues, label: str) -> Scored:
    evidence = read(loaded, [values], label)
    if len(evidence.applications) != 1:
        raise AssertionError("one row gives one application")
    app = evidence.applications[0]
    with engine_for(loaded) as engine:
        unit = engine.score(app)
    return Scored(unit, app, list(evidence.issues))


def score_many(loaded: LoadedCriteria, values: Sequence[UnitValues], label: str) -> list[Scored]:
    """Several units read and scored together (a district's workbook): one reading, one batch
    for the rules engine; the same results as scoring each alone."""
    if not values:
        return []
    evidence = read(loaded, values, label)
    if len(evidence.applications) != len(values):
        raise AssertionError("one row gives one application")
    with engine_for(loaded) as engine:
        results = engine.score_batch(list(evidence.applications))
    issues: dict[str, list[EvidenceIssue]] = {}
    for issue in evidence.issues:
        issues.setdefault(issue.unit or "", []).append(issue)
    return [
        Scored(unit, app, issues.get(app.code, []))
        for unit, app in zip(results, evidence.applications, strict=True)
    ]
