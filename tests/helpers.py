"""Helpers shared by the tests: build rule files and score units from mappings."""

from __future__ import annotations

from typing import Any

from engine.intake.evidence import read_mappings
from engine.rules.loader import LoadedCriteria, parse_criteria
from engine.scoring.engine import Engine


def load_text(text: str, name: str = "thu.yaml") -> LoadedCriteria:
    return parse_criteria(text, name)


def score_one(engine: Engine, evidence: dict[str, Any], **unit: Any):
    """Score one unit given as a mapping of evidence ids to cell values."""
    row = {"ma_don_vi": unit.pop("code", "X1"), "ten_don_vi": unit.pop("name", "Xã thử"), **evidence}
    row.update(unit)
    read = read_mappings([row], engine.cs, "(test)")
    return engine.score(read.applications[0]), read
