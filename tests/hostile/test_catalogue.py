"""docs/hostile-inputs.md lists every case of the catalogue, with the exit code it gets."""

from __future__ import annotations

import re

import test_evidence_files
import test_options_and_files
import test_review_inputs
import test_rule_files
import test_store_inputs
import test_survey_responses
from hostile import ROOT

DOC = ROOT / "docs" / "hostile-inputs.md"


def catalogue() -> dict[str, str]:
    """Every case: its id and the exit code it must get ("-" for the process-level cases)."""
    found: dict[str, str] = {}
    for module in (test_rule_files, test_evidence_files, test_options_and_files, test_survey_responses):
        for case in module.CASES:
            found[case.name] = str(case.code)
    for module in (test_review_inputs, test_store_inputs):
        for build, code, _ in module.CASES:
            found[build.__name__] = str(code)
    found["timeout_not_a_number"] = "1"
    for name in dir(test_options_and_files):
        if name.startswith("test_case_"):
            found[name.removeprefix("test_case_")] = "-"
    return found


def documented() -> dict[str, str]:
    rows = re.findall(r"^\| `([a-z0-9_]+)` \| ([0-9-]) \|", DOC.read_text("utf-8"), re.M)
    return dict(rows)


def test_every_case_is_documented_with_its_exit_code() -> None:
    assert documented() == catalogue()


def test_the_catalogue_has_at_least_fifty_cases() -> None:
    assert len(catalogue()) >= 50
