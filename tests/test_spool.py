"""Runs at national scale keep their units on disk: the spooled lists read back exactly what was
put in, and a run's units (RankedUnits) rank, group and seal as the in-memory way always did."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.intake import seen as seen_module
from engine.intake.evidence import read_evidence
from engine.intake.seen import SeenCodes
from engine.scoring.engine import Engine
from engine.scoring.ranked import RankedUnits, by_code, by_group
from engine.scoring.ranking import assign_ranks
from engine.scoring.seal import digest, ranking_of, run_seal
from engine.spool import SpooledList

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "samples" / "bac-giang-2024.xlsx"


def test_spooled_list_reads_back_every_record_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SpooledList, "READ_BLOCK", 3)  # iteration crosses several blocks
    records = [{"code": f"X{i}", "values": list(range(i)), "name": "Xã Đồng Tâm"} for i in range(10)]
    spooled = SpooledList(records)
    assert len(spooled) == 10
    assert list(spooled) == records
    assert list(spooled.iterate(2, 8)) == records[2:8]
    assert spooled[0] == records[0] and spooled[-1] == records[-1]
    assert spooled[3:6] == records[3:6]
    with pytest.raises(IndexError):
        spooled[10]
    first = spooled[1]
    first["values"].append(99)  # a copy: the list keeps what was put in
    assert spooled[1] == records[1]


def test_spooled_evidence_is_the_same_as_read_into_a_list(bg2024) -> None:  # type: ignore[no-untyped-def]
    listed = read_evidence([SAMPLE], bg2024.model)
    spooled = read_evidence([SAMPLE], bg2024.model, spooled=True)
    assert isinstance(spooled.applications, SpooledList) and isinstance(listed.applications, list)
    assert list(spooled.applications) == listed.applications
    assert len(listed.applications) > 100
    assert spooled.issues == listed.issues


def test_a_runs_units_rank_and_seal_as_full_results_in_a_list(engine2024: Engine, bg2024) -> None:  # type: ignore[no-untyped-def]
    evidence = read_evidence([SAMPLE], bg2024.model, spooled=True)
    run = engine2024.run(evidence)
    assert isinstance(run.units, RankedUnits)

    full = [engine2024.score(app) for app in evidence.applications]
    assign_ranks(full)
    for unit in full:
        unit.seal["ranking"] = digest("ranking", ranking_of(unit))
    assert [(u.code, u.rank, u.group_rank) for u in run.units] == [
        (u.code, u.rank, u.group_rank) for u in full
    ]
    for light, want in zip(run.units, full, strict=True):
        assert light.seal == want.seal
        got = light.full()
        assert got.model_dump() == want.model_dump()
    assert run.seal == run_seal(bg2024.sha256, {u.code: u.seal for u in full})

    assert [u.code for u in by_code(run.units)] == sorted(u.code for u in full)
    groups = by_group(run.units)
    assert sorted(groups) == sorted({u.group for u in full})
    for name, members in groups.items():
        assert [u.code for u in members] == [u.code for u in full if u.group == name]
        assert [u.group_rank for u in members][0] == 1
    assert run.units[0].rank == 1 and run.units[-1].code == full[-1].code
    assert [u.code for u in run.units[2:5]] == [u.code for u in full[2:5]]


def test_units_cannot_be_read_before_they_are_ranked() -> None:
    units = RankedUnits()
    with pytest.raises(RuntimeError, match="finish"):
        list(units)


def test_seen_codes_find_each_code_where_it_was_first_read(monkeypatch: pytest.MonkeyPatch) -> None:
    codes = [f"xa-{i:05d}" for i in range(3000)]  # the table grows several times
    seen = SeenCodes(lambda position: codes[position])
    for i, code in enumerate(codes):
        assert seen.first(code) is None
        seen.add(code, i % 3, None if i == 7 else i + 2)
    assert len(seen) == 3000
    assert seen.first("xa-00010") == (1, 12) and seen.first("xa-00007") == (1, None)
    assert "xa-02999" in seen and "xa-03000" not in seen
    with pytest.raises(ValueError):
        seen.add("xa-00001", 0, 1)


def test_seen_codes_with_the_same_digest_stay_two_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seen_module, "_digest", lambda code: 42)  # every code collides
    codes = ["A1", "B2", "C3"]
    seen = SeenCodes(lambda position: codes[position])
    for i, code in enumerate(codes):
        assert seen.first(code) is None
        seen.add(code, 0, i)
    assert [seen.first(c) for c in codes] == [(0, 0), (0, 1), (0, 2)]
    assert seen.first("D4") is None
