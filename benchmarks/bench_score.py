"""Benchmark: scoring N units (default 10,000, national scale) under bac-giang@2024.

    python benchmarks/bench_score.py [--units 10000] [--jobs N] [--mode both|sample|distinct] [--skip-cli]

The evidence is what a clerk would type, unambiguously: shares as percentages ("98,7%"), never a
bare 1 that the reader refuses as "1% or 100%?"; the number of evidence problems is printed and is 0.
Two kinds of data, both by default:

- sample: units drawn like the bundled sample (samples/generate.py): many yes/no answers and
  values that repeat from unit to unit, as in a province's real files;
- distinct: every unit's numbers differ (percentages with two decimals, counts from 0 to 500,
  survey tallies): the engine's answer caches, which make repeated values cheap, help little.

For each, the engine's time per unit and units per second, evidence already typed and units given
to the engine in batches as a run does: deciding (every rule evaluated by durable_rules, each
criterion's points, groups, total, gates and what blocks recognition), then with each unit's full
result made (explanations, evidence as shown, flags, seal), then with it packed for the outputs
(the work of each scoring process of a run); each from a fresh start. Then, on the sample kind,
the time to read the evidence, the end-to-end time and peak memory of `cqtt score` on an .xlsx of
N units writing both the workbook and the JSON, the evidence problems it reports, the JSON's size
per unit, the I/O floor measured in the same run, and last `ratio end-to-end/floor`.
Figures only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "samples")]

from generate import DOCUMENTS, SEED, evidence  # noqa: E402

from engine.intake.evidence import read_mappings  # noqa: E402
from engine.intake.units import read_units  # noqa: E402
from engine.rules import catalog  # noqa: E402
from engine.rules.loader import LoadedCriteria, load_criteria  # noqa: E402
from engine.scoring import rete  # noqa: E402
from engine.scoring.engine import BATCH_UNITS, Engine  # noqa: E402


def rows(n: int, loaded: LoadedCriteria, distinct: bool = False) -> list[dict]:
    """N units' evidence. Shares (ty_le_*) are kept as fractions of 1 here, as an Excel % cell
    holds them; `as_typed` writes them as a clerk types them."""
    rng = random.Random(SEED)
    units = read_units(ROOT / "samples/units/bac-giang.csv")
    declared = loaded.model.evidence_by_id()
    out = []
    for i in range(n):
        unit = units[i % len(units)]
        row = {
            "ma_don_vi": f"{unit.code}-{i // len(units)}",
            "ten_don_vi": unit.name,
            "nhom_tham_dinh": unit.group,
            "nam": 2024,
            **evidence(rng, rng.betavariate(4.5, 1.6), "2024"),
            "de_nghi": "Có" if rng.random() < 0.6 else "Không",
            "ho_so": "; ".join(DOCUMENTS),
            "tu_cham": round(rng.uniform(70, 100), 1),
        }
        if distinct:
            for fid, decl in declared.items():
                if row.get(fid) is None:
                    continue
                if decl.type == "percent":
                    row[fid] = rng.randint(0, 10_000) / 10_000  # 0,00% to 100,00%
                elif decl.type == "count":
                    row[fid] = rng.randint(0, min(500, int(decl.high or 500)))
                elif decl.type == "survey":
                    total = rng.randint(10, 500)
                    row[fid] = f"{rng.randint(0, total)}/{total}"
        out.append(row)
    return out


def as_typed(data: list[dict]) -> list[dict]:
    """The rows as a clerk types them into a CSV or a text cell: shares as "98,7%"."""
    return [
        {
            k: _percent_text(v) if k.startswith("ty_le_") and isinstance(v, float) else v
            for k, v in row.items()
        }
        for row in data
    ]


def _percent_text(share: float) -> str:
    text = f"{Decimal(repr(share)).scaleb(2).normalize():f}"
    return text.replace(".", ",") + "%"


def write_xlsx(path: Path, data: list[dict]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Minh chứng")
    header = list(data[0].keys() | {k for r in data for k in r})
    header.sort(key=lambda k: (k != "ma_don_vi", k))
    sheet.append(header)
    percent = {k for k in header if k.startswith("ty_le_")}  # shares, shown as % in Excel
    for row in data:
        cells = []
        for key in header:
            c = WriteOnlyCell(sheet, value=row.get(key))
            if key in percent:
                c.number_format = "0.0%"
            cells.append(c)
        sheet.append(cells)
    book.save(path)


def fresh(loaded: LoadedCriteria) -> Engine:
    """An engine that starts as the first did: nothing kept from a pass before."""
    rete.forget()
    return Engine(loaded)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes (default: cores)")
    parser.add_argument("--mode", choices=["both", "sample", "distinct"], default="both")
    parser.add_argument("--skip-cli", action="store_true", help="only the in-process figures")
    args = parser.parse_args()
    n = args.units

    loaded = load_criteria(catalog.resolve("bac-giang@2024"))
    data = rows(n, loaded)
    modes = ["sample", "distinct"] if args.mode == "both" else [args.mode]
    for mode in modes:
        in_process(loaded, n, rows(n, loaded, distinct=True) if mode == "distinct" else data, mode, args.jobs)
    if not args.skip_cli:
        end_to_end(data, n, args.jobs)


def in_process(loaded: LoadedCriteria, n: int, data: list[dict], mode: str, jobs: int) -> None:
    print(f"== {mode}: {DESCRIBED[mode]}")
    rete.forget()
    started = time.perf_counter()
    engine = Engine(loaded)
    compile_s = time.perf_counter() - started

    started = time.perf_counter()
    read = read_mappings(as_typed(data), loaded.model, "(benchmark)")
    read_s = time.perf_counter() - started
    problem_units = len({i.unit for i in read.issues})

    apps = read.applications
    started = time.perf_counter()
    for start in range(0, n, BATCH_UNITS):
        engine.decide_batch(apps[start : start + BATCH_UNITS])
    score_s = time.perf_counter() - started
    engine = fresh(loaded)
    started = time.perf_counter()
    for start in range(0, n, BATCH_UNITS):
        engine.score_batch(apps[start : start + BATCH_UNITS])
    full_s = time.perf_counter() - started
    engine = fresh(loaded)
    started = time.perf_counter()
    engine.score_many(apps)
    packed_s = time.perf_counter() - started

    print(f"units                          {n}")
    print(f"rulesets compiled              {len(engine.compiled.all)} in {compile_s * 1000:.0f} ms")
    print(f"evidence typing                {read_s:.2f} s ({read_s / n * 1000:.3f} ms/unit)")
    print(f"evidence problems              {len(read.issues)} ({problem_units} units)")
    print(
        f"engine scoring (decisions)     {score_s:.2f} s ({score_s / n * 1000:.3f} ms/unit, "
        f"{n / score_s:.0f} units/s)"
    )
    print(
        f"scoring with full results      {full_s:.2f} s ({full_s / n * 1000:.3f} ms/unit, "
        f"{n / full_s:.0f} units/s)"
    )
    print(
        f"scoring, packed for outputs    {packed_s:.2f} s ({packed_s / n * 1000:.3f} ms/unit, "
        f"{n / packed_s:.0f} units/s: what each process of a run does)"
    )
    if jobs > 1:
        started = time.perf_counter()
        engine.run(read, jobs=jobs)
        run_s = time.perf_counter() - started
        print(
            f"{f'engine run, {jobs} processes':<31}{run_s:.2f} s "
            f"({n / run_s:.0f} units/s, ranking and summary included)"
        )
    print(
        f"peak memory (in process)       {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


DESCRIBED = {
    "sample": "values drawn like the bundled sample, many repeat from unit to unit",
    "distinct": "every unit's numbers differ (two-decimal percentages, counts 0-500, tallies)",
}


def end_to_end(data: list[dict], n: int, jobs: int) -> None:
    print("== cqtt score on an .xlsx of the sample kind")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "minh-chung.xlsx"
        started = time.perf_counter()
        write_xlsx(source, data)
        print(
            f"evidence .xlsx written         {time.perf_counter() - started:.1f} s "
            f"({source.stat().st_size / 1e6:.1f} MB)"
        )
        cqtt = Path(sys.executable).with_name("cqtt")
        command = [
            str(cqtt),
            "score",
            str(source),
            "--criteria",
            "bac-giang@2024",
            "-o",
            str(Path(tmp) / "ket-qua.xlsx"),
            "--json",
            str(Path(tmp) / "r.json"),
            "--jobs",
            str(jobs),
        ]
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", PEAK_OF, *command], capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            print(done.stdout, done.stderr)
            raise SystemExit("cqtt score failed")
        peak = int(done.stderr.rsplit("peak-kb ", 1)[1]) / 1024
        out_mb = (Path(tmp) / "ket-qua.xlsx").stat().st_size / 1e6
        print(
            f"cqtt score end to end          {elapsed:.1f} s ({n / elapsed:.0f} units/s, "
            f"workbook {out_mb:.1f} MB)"
        )
        print(f"cqtt score peak memory         {peak:.0f} MB (largest process)")
        read_errors = re.search(r"\((\d+) lỗi khi đọc", done.stdout)
        print(f"evidence problems (cqtt score) {read_errors.group(1) if read_errors else '?'}")
        json_path = Path(tmp) / "r.json"
        print(f"JSON                           {json_path.stat().st_size / n / 1024:.1f} KB per unit")
        floor = io_floor(source, Path(tmp) / "ket-qua.xlsx", json_path, Path(tmp))
        print(f"ratio end-to-end/floor = {elapsed / floor:.2f}")


# Runs a command and prints the peak memory of its largest process. This process's own children
# (the pool of the in-process run above) would count in RUSAGE_CHILDREN here, not there.
PEAK_OF = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print('peak-kb', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(code)"
)


def io_floor(source: Path, results: Path, json_path: Path, tmp: Path) -> float:
    """What the same work costs in I/O alone, measured here: reading the input read-only, writing a
    plain write-only workbook with as many cells as the results workbook, writing the same JSON."""
    import json

    from openpyxl import Workbook, load_workbook

    started = time.perf_counter()
    book = load_workbook(source, read_only=True)
    for sheet in book.worksheets:
        for _row in sheet.iter_rows(values_only=True):
            pass
    book.close()
    read_s = time.perf_counter() - started

    book = load_workbook(results, read_only=True)
    shape = []  # (rows, columns) of each sheet, counted (not timed)
    for sheet in book.worksheets:
        rows = width = 0
        for row in sheet.iter_rows(values_only=True):
            rows += 1
            width = max(width, len(row))
        shape.append((rows, width))
    book.close()
    cells = sum(r * w for r, w in shape)
    started = time.perf_counter()
    plain = Workbook(write_only=True)
    for index, (rows, width) in enumerate(shape):
        sheet = plain.create_sheet(f"S{index}")
        line = [f"ô {i}" if i % 2 else i for i in range(width)]
        for _ in range(rows):
            sheet.append(line)
    plain.save(tmp / "san.xlsx")
    write_s = time.perf_counter() - started

    data = json.loads(json_path.read_bytes())
    started = time.perf_counter()
    (tmp / "san.json").write_bytes(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
    json_s = time.perf_counter() - started
    floor = read_s + write_s + json_s
    print(
        f"I/O floor                      {floor:.1f} s (read input {read_s:.1f} s, write {cells:,} cells "
        f"{write_s:.1f} s, write JSON {json_s:.1f} s)"
    )
    return floor


if __name__ == "__main__":
    main()
