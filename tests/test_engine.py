"""The rules engine layer: compilation within durable_rules' limits, sessions, errors, methods."""

from __future__ import annotations

import pytest
from helpers import in_fresh_process, load_text, score_one

from engine.errors import EngineError, RuleFileError
from engine.rules.compiler import MAX_CONDITIONS, compile_set
from engine.rules.conditions import Compare, Not, normalise
from engine.scoring import rete
from engine.scoring.engine import Engine
from engine.scoring.ranking import competition_ranks


def _many_criteria_text(n: int) -> str:
    """A valid set with `n` tier criteria of 3 comparisons + 1 (the gate) each, 1 point each."""
    evidence = "\n".join(f"  - {{id: e{i}, type: count, max: 100, label: Trường {i}}}" for i in range(n))
    criteria = "\n".join(
        f"      - id: c{i}\n        title: Tiêu chí {i}\n        points: 1\n        method:\n"
        f"          type: tiers\n          evidence: e{i}\n          tiers:\n"
        f"            - {{min: 0, max: 5, points: 0}}\n            - {{min: 5, points: 1}}"
        for i in range(n)
    )
    return (
        f'id: rong\ntitle: Nhiều tiêu chí\nversion: "2024"\nstatus: model\n'
        f"effective: {{from: 2024-01-01}}\nscale: {n}\nevidence:\n{evidence}\n"
        f"groups:\n  - id: mot_nhom\n    title: Một nhóm\n    points: {n}\n    criteria:\n"
        f"{criteria}\nrecognition: {{min_total: {n}}}\n"
    )


def test_a_large_group_is_split_into_rulesets_within_the_limits_and_scores() -> None:
    loaded = load_text(_many_criteria_text(60))
    compiled = compile_set(loaded.model, loaded.sha256)
    group_sets = [r for r in compiled.evidence if ".g." in r.name]
    assert len(group_sets) >= 3
    assert all(r.size <= MAX_CONDITIONS for r in compiled.all)
    engine = Engine(loaded)
    evidence = {f"e{i}": (5 if i % 2 == 0 else 4) for i in range(60)}
    unit, _ = score_one(engine, evidence)
    assert unit.total == 30
    assert [c.points for c in unit.criteria[:4]] == [1, 0, 1, 0]


def test_each_ruleset_receives_only_the_fields_it_reads(engine2024) -> None:
    for plan in engine2024.compiled.evidence:
        assert len(plan.keys) <= 200
    g1 = next(p for p in engine2024.compiled.evidence if ".g.dan_chu_co_so." in p.name)
    assert "ty_le_ho_so_dung_han" not in g1.keys
    assert "ty_le_cong_khai_dung_han" in g1.keys


def test_two_versions_and_the_same_version_twice_live_in_one_process(bg2023, bg2024, full_unit_2024) -> None:
    first, second, again = Engine(bg2023), Engine(bg2024), Engine(bg2024)
    assert first.compiled.prefix != second.compiled.prefix
    unit, _ = score_one(again, full_unit_2024)
    assert unit.total == 100


def test_many_units_do_not_leak_sessions(engine2024, full_unit_2024) -> None:
    """3,000 units ran out of memory in durable_rules when sessions were kept."""
    from engine.intake.evidence import read_mappings

    rows = [{"ma_don_vi": f"U{i}", **full_unit_2024} for i in range(3000)]
    read = read_mappings(rows, engine2024.cs, "(test)")
    totals = {engine2024.score(app).total for app in read.applications}
    assert totals == {100}


def test_an_error_of_the_rules_engine_is_raised_naming_the_ruleset() -> None:
    """The C core answers a fact it cannot read with an error code, not an exception of ours; it
    must surface as an EngineError that names the ruleset, and the session must not be left behind.
    (A number written with an exponent is refused with error 204, see the project notes.)"""
    engine = Engine(load_text(_many_criteria_text(2).replace("id: rong", "id: loi-so"), "loi.yaml"))
    plan = engine.compiled.evidence[0]
    with pytest.raises(EngineError, match=r"loi-so.*error code: 204"):
        rete._fire(rete._handles[plan.name], plan.name, '{"sid": "x", "e0": 1e-05}', "x")
    with pytest.raises(EngineError, match="không đưa được vào bộ máy luật"):
        rete.run(plan, {"e0": 1e-05})
    unit, _ = score_one(engine, {"e0": 9, "e1": 9})  # the ruleset still works afterwards
    assert unit.total == 2


def test_rules_fired_through_the_engine_module_are_the_decisions_of_the_rules(engine2024) -> None:
    """Every decision the C engine reports is a rule of the ruleset it was asserted to, and a
    fact matching nothing reports nothing."""
    plan = next(p for p in engine2024.compiled.evidence if ".g.dan_chu_co_so." in p.name)
    names = {d.rule for d in plan.decisions}
    fired = rete.run(plan, {"ty_le_cong_khai_dung_han": 1.0})
    assert fired and fired <= names
    assert rete.run(plan, {"khong_co": 1}) == set()


def test_negation_is_pushed_down_to_comparisons() -> None:
    cond = Not(not_=Compare(field="x", gte=5))
    assert normalise(cond) == ("cmp", "x", "lt", 5)
    cond = Not(not_=Compare(field="x", in_=[1, 2]))
    assert normalise(cond) == ("and", [("cmp", "x", "ne", 1), ("cmp", "x", "ne", 2)])


def test_not_and_any_conditions_are_evaluated_by_the_engine(minimal_text) -> None:
    text = minimal_text.replace(
        "        applies_when: {field: co_du_an, eq: true}",
        "        applies_when:\n          not:\n            any:\n"
        "              - {field: co_du_an, eq: false}\n              - {field: so_hoi_nghi, gt: 10}",
    )
    engine = Engine(load_text(text, "phu-dinh.yaml"))
    base = {
        "ty_le_dung_han": 96,
        "co_ban_ttnd": True,
        "so_hoi_nghi": 2,
        "co_du_an": True,
        "ban_giam_sat": False,
        "vu_viec": False,
        "thiet_bi": "may_tinh",
    }
    applies, _ = score_one(engine, base)
    assert next(c for c in applies.criteria if c.id == "giam_sat").applicable
    skipped, _ = score_one(engine, {**base, "so_hoi_nghi": 11})
    assert not next(c for c in skipped.criteria if c.id == "giam_sat").applicable


def test_a_criterion_with_too_many_conditions_is_refused_at_load(minimal_text) -> None:
    items = "\n".join(
        f"            - {{id: i{i}, label: Mục {i}, points: 1, when: {{field: so_hoi_nghi, gte: {i}}}}}"
        for i in range(MAX_CONDITIONS + 1)
    )
    text = minimal_text.replace(
        "        method: {type: per_item, items_from: thiet_bi, points_each: 1.5}",
        f"        method:\n          type: per_item\n          cap: 3\n          items:\n{items}",
    )
    with pytest.raises(RuleFileError, match="phép so sánh"):
        load_text(text, "qua-nhieu.yaml")


def test_competition_ranks() -> None:
    assert competition_ranks([95, 90, 90, 80, 80, 80, 70]) == [1, 2, 2, 4, 4, 4, 7]
    assert competition_ranks([]) == []


def test_string_evidence_never_reaches_the_engine(engine2024, full_unit_2024) -> None:
    """durable_rules compares "0.9" with 0.5 without complaint: values are typed before."""
    unit, read = score_one(engine2024, {**full_unit_2024, "so_hoi_nghi_doi_thoai": "3"})
    assert read.applications[0].values["so_hoi_nghi_doi_thoai"] == 3
    fact = engine2024.fact(read.applications[0].values)
    assert all(not isinstance(v, str) for v in fact.values())


def test_unmatched_first_fact_does_not_crash_durable_rules(tmp_path) -> None:
    """Regression: deleting the session of a fact that matched no rule, in a ruleset that had never
    handled a message, crashed the interpreter (segmentation fault) in durable_rules 2.0.28."""
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "unmatched.py"
    script.write_text(
        "import sys\n"
        f"sys.path[:0] = [{str(Path(__file__).parent)!r}, {str(Path(__file__).parent.parent)!r}]\n"
        "from helpers import in_fresh_process, load_text, score_one\n"
        "from engine.scoring.engine import Engine\n"
        f"text = open({str(Path(__file__).parent / 'data' / 'minimal.yaml')!r}).read()\n"
        "engine = Engine(load_text(text))\n"
        "unit, _ = score_one(engine, {'ty_le_dung_han': 50, 'co_ban_ttnd': False,\n"
        "    'so_hoi_nghi': 0, 'co_du_an': False, 'vu_viec': False, 'thiet_bi': 'Không'})\n"
        "print(unit.total)\n",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "3.0"


def test_ranks_overall_and_within_groups_with_ties(engine2024, full_unit_2024) -> None:
    from engine.intake.evidence import read_mappings
    from engine.scoring.ranking import assign_ranks

    lower = {**full_unit_2024, "so_tin_bai_tuyen_truyen": 5}  # 96
    lowest = {**full_unit_2024, "ty_le_ho_so_dung_han": "89%"}  # 93
    rows = [
        {"ma_don_vi": "C", "nhom_tham_dinh": "Tổ 1", **full_unit_2024},
        {"ma_don_vi": "A", "nhom_tham_dinh": "Tổ 2", **full_unit_2024},
        {"ma_don_vi": "B", "nhom_tham_dinh": "Tổ 1", **lower},
        {"ma_don_vi": "D", "nhom_tham_dinh": "Tổ 2", **lowest},
        {"ma_don_vi": "E", "nhom_tham_dinh": "Tổ 2", **lower},
    ]
    units = [engine2024.score(a) for a in read_mappings(rows, engine2024.cs, "(t)").applications]
    assign_ranks(units)
    table = [(u.code, u.total, u.rank, u.group_rank) for u in units]
    assert table == [("A", 100, 1, 1), ("C", 100, 1, 1), ("B", 96, 3, 2), ("E", 96, 3, 2), ("D", 93, 5, 3)]


def _outputs_with_jobs(folder: str) -> tuple[list[int], dict[int, tuple[bytes, bytes]]]:
    """In a spawned process (it forks the scoring workers): the sample scored with 1 and 2
    processes, thresholds lowered so that 195 units use the pool and the JSON written alongside."""
    import multiprocessing
    import os
    from pathlib import Path

    from engine import jobs
    from engine.scoring import engine as engine_module

    os.environ["SOURCE_DATE_EPOCH"] = "1732500000"
    engine_module.PARALLEL_FROM_UNITS, engine_module.CHUNK_UNITS = 50, 23
    jobs.LONG_RUN_UNITS = 50  # the JSON is then written by a forked child too
    pools: list[int] = []
    real = multiprocessing.get_context

    class CountingContext:
        def __init__(self, context):  # type: ignore[no-untyped-def]
            self.real = context

        def Pool(self, n, **options):  # type: ignore[no-untyped-def]  # noqa: N802 - multiprocessing's name
            pools.append(n)
            return self.real.Pool(n, **options)

        def __getattr__(self, name):  # type: ignore[no-untyped-def]
            return getattr(self.real, name)

    engine_module.mp.get_context = lambda method: CountingContext(real(method))  # type: ignore[assignment]
    sample = Path(__file__).parent.parent / "samples" / "bac-giang-2024.xlsx"
    outputs = {}
    for n in (1, 2):
        out, xlsx = Path(folder) / f"r{n}.json", Path(folder) / f"r{n}.xlsx"
        jobs.score([sample], "bac-giang@2024", None, xlsx, out, jobs=n)
        outputs[n] = (out.read_bytes(), xlsx.read_bytes())
    return pools, outputs


def test_scoring_in_several_processes_gives_the_same_bytes(tmp_path) -> None:
    """`--jobs N`: units scored by forked workers in chunks come back in input order; the JSON and
    the workbook are byte-identical to a run in one process (thresholds lowered for the sample)."""
    pools, outputs = in_fresh_process(_outputs_with_jobs, str(tmp_path))
    assert pools == [2]  # the second run really used two processes
    assert outputs[1][0] == outputs[2][0]
    assert outputs[1][1] == outputs[2][1]


def _json_alongside_fails(folder: str) -> str:
    """In a spawned process: a run with two processes whose JSON child fails; the error it gives."""
    from pathlib import Path

    from engine import jobs
    from engine.errors import OutputError
    from engine.outputs import resultsjson

    def full_disk(handle, run, cs):  # type: ignore[no-untyped-def]
        handle.write(b"{")
        raise OutputError(f"{Path(folder) / 'r.json'}: không ghi được (hết chỗ trên đĩa)")

    jobs.LONG_RUN_UNITS = 50
    resultsjson.write_json = full_disk
    sample = Path(__file__).parent.parent / "samples" / "bac-giang-2024.xlsx"
    try:
        jobs.score([sample], "bac-giang@2024", None, Path(folder) / "r.xlsx", Path(folder) / "r.json", jobs=2)
    except OutputError as exc:
        return str(exc)
    return "no error"


def test_a_json_written_alongside_that_fails_fails_the_run_with_its_reason(tmp_path) -> None:
    """With two processes the JSON is written by a forked child while the workbook is written;
    its failure reaches the user as the same one-line error, and leaves no temporary file."""
    import re

    message = in_fresh_process(_json_alongside_fails, str(tmp_path))
    assert re.search(r"r\.json: không ghi được \(hết chỗ trên đĩa\)$", message), message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.xlsx"]


def test_pool_workers_end_with_the_pool_whatever_the_parents_sigterm_handler(tmp_path) -> None:
    """Regression (CI hung): the CLI's SIGTERM handler (print "Đã dừng.", exit through the cleanup
    code) was inherited by the forked workers; when the pool ended, a worker waiting for tasks
    outlived its SIGTERM and Pool.terminate waited for it forever. Several pooled runs in a
    process with such a handler must all end, and no worker may print the parent's message."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).parent.parent
    script = tmp_path / "pools.py"
    script.write_text(
        "import signal, sys\n"
        f"sys.path[:0] = [{str(root)!r}, {str(root / 'tests')!r}]\n"
        "def stop(signum, frame):\n"
        "    print('Đã dừng.', file=sys.stderr)\n"
        "    raise SystemExit(128 + signum)\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        "from engine.intake.evidence import read_evidence\n"
        "from engine.rules import catalog\n"
        "from engine.rules.loader import load_criteria\n"
        "from engine.scoring import engine as em\n"
        "em.PARALLEL_FROM_UNITS, em.CHUNK_UNITS = 50, 10\n"
        "loaded = load_criteria(catalog.resolve('bac-giang@2024'))\n"
        "from pathlib import Path\n"
        f"evidence = read_evidence([Path({str(root / 'samples' / 'bac-giang-2024.xlsx')!r})], loaded.model)\n"
        "engine = em.Engine(loaded)\n"
        "totals = {tuple(u.total for u in engine.run(evidence, None, 2).units) for _ in range(12)}\n"
        "print(len(totals))\n",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "1"  # twelve runs, one result
    assert "Đã dừng." not in done.stderr


def test_workers_end_quietly_when_the_parent_is_killed_outright(tmp_path) -> None:
    """Regression: after `kill -9` of a `--jobs` run, each worker finishing its span wrote to the
    broken result pipe and printed a BrokenPipeError traceback. The workers now end with the parent:
    their shared stderr reaches its end at once, with no traceback."""
    import os
    import signal as signals
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).parent.parent
    script = tmp_path / "loop.py"
    script.write_text(
        "import sys\n"
        f"sys.path[:0] = [{str(root)!r}]\n"
        "from pathlib import Path\n"
        "from engine.intake.evidence import read_evidence\n"
        "from engine.rules import catalog\n"
        "from engine.rules.loader import load_criteria\n"
        "from engine.scoring import engine as em\n"
        "em.PARALLEL_FROM_UNITS, em.CHUNK_UNITS = 50, 5\n"
        "loaded = load_criteria(catalog.resolve('bac-giang@2024'))\n"
        f"evidence = read_evidence([Path({str(root / 'samples' / 'bac-giang-2024.xlsx')!r})], loaded.model)\n"
        "engine = em.Engine(loaded)\n"
        "print('ready', flush=True)\n"
        "while True:\n"
        "    engine.run(evidence, None, 2)\n",
        encoding="utf-8",
    )
    for pause in (0.7, 1.3, 1.9):  # killed at several moments of the pool's work
        with subprocess.Popen(
            [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as process:
            assert process.stdout is not None and process.stderr is not None
            assert process.stdout.readline().strip() == "ready"
            time.sleep(pause)  # scoring in the pool
            os.kill(process.pid, signals.SIGKILL)
            started = time.monotonic()
            errors = process.stderr.read()  # returns once every writer (the workers too) has gone
            waited = time.monotonic() - started
            process.wait(timeout=10)
        assert waited < 10
        assert "Traceback" not in errors and "BrokenPipeError" not in errors, errors
