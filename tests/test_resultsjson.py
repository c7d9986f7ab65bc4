"""The results JSON, version 3: what units share is written once, and nothing is lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from engine import jobs
from engine.outputs.resultsjson import ResultsFormatError, expand, read_results
from engine.scoring.results import READABLE_SCHEMAS, RESULTS_SCHEMA

ROOT = Path(__file__).parent.parent
SAMPLES = [
    (ROOT / "samples" / "bac-giang-2024.xlsx", "bac-giang@2024"),
    (ROOT / "samples" / "bac-giang-2023.xlsx", "bac-giang@2023"),
    (ROOT / "samples" / "hung-yen-2025.csv", "hung-yen@2025"),
    (ROOT / "samples" / "bac-ninh-2025.xlsx", "bac-ninh@2025"),
]


@pytest.mark.parametrize(("evidence", "ref"), SAMPLES, ids=[r for _, r in SAMPLES])
def test_every_unit_reads_back_exactly_as_scored(tmp_path: Path, evidence: Path, ref: str) -> None:
    """Each unit of the version-3 file, expanded, equals the full result the engine produced,
    field for field (titles, sources, evidence labels, explanations, flags, seal)."""
    out = tmp_path / "r.json"
    outcome = jobs.score([evidence], ref, None, None, out)
    written = json.loads(out.read_bytes())
    assert written["schema_version"] == RESULTS_SCHEMA == 3
    assert "title" not in written["units"][0]["criteria"][0]  # not repeated per unit
    data = read_results(out)
    expected = [json.loads(u.full().model_dump_json()) for u in outcome.run.units]
    assert len(data["units"]) == len(expected) >= 99
    for got, want in zip(data["units"], expected, strict=True):
        assert got == want, got["code"]
    head = {k: v for k, v in data.items() if k != "units"}
    whole = json.loads(outcome.run.model_dump_json())
    assert head == {k: v for k, v in whole.items() if k != "units"}


def test_version_3_is_much_smaller_than_version_2(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    jobs.score([SAMPLES[0][0]], "bac-giang@2024", None, None, out)
    as_v2 = json.dumps(read_results(out), ensure_ascii=False, separators=(",", ":")).encode()
    assert out.stat().st_size * 4 < len(as_v2)


def test_every_version_is_readable() -> None:
    assert READABLE_SCHEMAS == (1, 2, 3)


@pytest.fixture(scope="module")
def compact_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("v3") / "r.json"
    jobs.score([SAMPLES[2][0]], "hung-yen@2025", None, None, out)
    return out.read_bytes()


def test_a_damaged_version_3_file_names_the_place(compact_bytes: bytes) -> None:
    data = json.loads(compact_bytes)
    data["units"][2]["criteria"][1][4] = len(data["texts"]) + 5
    with pytest.raises(ResultsFormatError, match=r"units\[2\]\.criteria\[1\]\[4\]: chỉ số văn bản"):
        expand(data)
    data = json.loads(compact_bytes)
    del data["units"][0]["criteria"][-1]
    with pytest.raises(ResultsFormatError, match=r"units\[0\]\.criteria: cần \d+ dòng theo “catalogue”"):
        expand(data)
    data = json.loads(compact_bytes)
    del data["catalogue"]
    with pytest.raises(ResultsFormatError, match="thiếu “catalogue”"):
        expand(data)


def test_recheck_reports_a_damaged_version_3_file_in_one_line(tmp_path: Path, compact_bytes: bytes) -> None:
    data = json.loads(compact_bytes)
    data["texts"] = "hỏng"
    path = tmp_path / "hong.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    result = CliRunner().invoke(main, ["recheck", str(path), "--json", str(tmp_path / "k.json")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        f"Lỗi: {path}: tệp kết quả định dạng phiên bản 3 bị hỏng "
        "(thiếu “texts” (các văn bản giải thích) của định dạng phiên bản 3)"
    )
