"""Benchmark: citizens answering the online surveys, on loopback only.

    python benchmarks/bench_survey.py [--rate 1000] [--clients 100] [--minutes 2]
                                      [--postgres | --db URL] [--limit-seconds 600]

Serves `cqtt web` on 127.0.0.1 behind one (pretended) proxy, with the sample province's 195 units
for the current year and every survey form of bac-giang@2024 open. Then `--clients` citizens' phones,
each with its own address (X-Forwarded-For), open the public form (its one-time ticket) and post
it at `--rate` responses a minute in
all, evenly paced, for `--minutes`: random units, forms and answers; one response in five gives a
contact, and a few contacts answer the same form again (counted once; refused past the cap).

Prints the responses accepted, refused (by reason: address, form, contact, closed), failed (any
other status), p50/p95/p99 latency, and compares the number of responses stored with the number
accepted: a response lost or stored twice exits 1. Every loop is bounded, and the run stops by
itself after --limit-seconds. Figures only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

import served  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from engine.clock import today  # noqa: E402
from engine.portal import accounts, surveys, units  # noqa: E402
from engine.store.connect import open_store  # noqa: E402
from engine.store.schema import survey_responses  # noqa: E402
from web.config import PortalConfig  # noqa: E402

YEAR = today().year  # a response counts only in its own year


def build(db: str, data_dir: Path) -> list[tuple[str, str, list[str], int]]:
    """The province's units for this year, every form open until the end of the year. Returns
    (path of the public link, form id, question ids, number of levels) for every unit and form."""
    store = open_store(db)
    try:
        units.load(store, ROOT / "samples/units/bac-giang.csv", YEAR, "bac-giang@2024")
        accounts.add(store, "phuctra", "tinh")
        province = accounts.find(store, "phuctra")
        keys = surveys.Keys.derive(PortalConfig(db=db, data_dir=data_dir).secret_key())
        links = []
        for form in surveys.forms_of(store, YEAR):
            surveys.set_window(
                store, province, "bench", YEAR, form.id, today(), today().replace(month=12, day=31)
            )
            for unit in units.all_units(store, YEAR):
                token = surveys.link_token(keys, YEAR, unit.code, form.id)
                links.append(
                    (f"/ks/{YEAR}/{unit.code}/{form.id}/{token}", form.id, [q.id for q in form.questions],
                     len(form.levels))
                )  # fmt: skip
    finally:
        store.close()
    return links


def stored(db: str) -> int:
    store = open_store(db)
    try:
        with store.read() as conn:
            return conn.execute(
                select(func.count()).select_from(survey_responses).where(survey_responses.c.year == YEAR)
            ).scalar_one()
    finally:
        store.close()


OPENER = urllib.request.build_opener(served.NoRedirect())  # no cookie jar: a citizen has no session


TICKET = re.compile(r'name="phieu" value="([^"]+)"')


def post(base: str, path: str, fields: dict[str, str], address: str) -> tuple[int, str]:
    """Open the form (its one-time ticket) and send it, as a citizen's phone does."""
    opened = urllib.request.Request(base + path, headers={"X-Forwarded-For": address})
    try:
        with OPENER.open(opened, timeout=60) as response:
            found = TICKET.search(response.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    fields = {**fields, "phieu": found.group(1) if found else ""}
    request = urllib.request.Request(
        base + path,
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": address},
        method="POST",
    )
    try:
        with OPENER.open(request, timeout=60) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def why(status: int, page: str) -> str:
    """The reason a response was refused, from the status and the page the citizen sees."""
    if status == 303:
        return "accepted"
    if status == 429:
        return "address" if "cùng một mạng" in page else "form"
    if status == 409:
        return "contact"
    if status == 403:
        return "closed"
    return f"failed {status}"


def run(
    base: str, links: list[tuple[str, str, list[str], int]], args: argparse.Namespace, deadline: float
) -> Counter[str]:
    interval = 60.0 * args.clients / args.rate  # seconds between one phone's responses
    sends = max(1, round(args.rate * args.minutes / args.clients))  # responses per phone
    outcomes: Counter[str] = Counter()
    timings: list[float] = []
    lock = threading.Lock()
    start = time.monotonic() + 1.0

    def phone(index: int) -> None:
        rng = random.Random(index)
        address = f"10.{index // 250}.{index % 250}.{rng.randrange(1, 250)}"
        repeat = f"09{index:08d}"  # this phone's own number, used again now and then
        for k in range(sends):
            at = start + index * interval / args.clients + k * interval
            pause = at - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            if time.monotonic() > deadline:
                return
            path, _, questions, levels = rng.choice(links)
            fields = {q: str(rng.randint(1, levels)) for q in questions}
            roll = rng.random()
            fields["lien_he"] = (
                repeat if roll < 0.05 else f"09{rng.randrange(10**8):08d}" if roll < 0.2 else ""
            )
            started = time.perf_counter()
            status, page = post(base, path, fields, address)
            spent = time.perf_counter() - started
            with lock:
                timings.append(spent)
                outcomes[why(status, page)] += 1

    threads = [threading.Thread(target=phone, args=(i,)) for i in range(args.clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(1.0, deadline - time.monotonic()))
    elapsed = time.perf_counter() - began
    total = sum(outcomes.values())
    print(
        f"{total} responses posted by {args.clients} phones in {elapsed:.0f} s "
        f"({total / elapsed * 60:.0f} a minute; asked for {args.rate})"
    )
    print(f"  latency  {served.percentiles(timings)}")
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=1000, help="responses a minute, all phones together")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--minutes", type=float, default=2.0)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--db", help="a PostgreSQL URL (default: an SQLite file in a temporary folder)")
    where.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL server")
    parser.add_argument("--limit-seconds", type=int, default=600)
    args = parser.parse_args()
    deadline = time.monotonic() + args.limit_seconds
    folder = Path(tempfile.mkdtemp(prefix="cqtt-bench-survey-"))
    pg = None
    if args.postgres:
        import pgserver

        pg = pgserver.start()
        db = pg.create_database("khaosat")
    else:
        db = args.db or str(folder / "cong.sqlite")
    data_dir = folder / "du-lieu"
    try:
        links = build(db, data_dir)
        with served.portal(db, data_dir, deadline, ["--behind-proxy", "1"]) as base:
            kind = "SQLite" if db.endswith(".sqlite") else "PostgreSQL"
            forms = len({form for _, form, _, _ in links})
            print(
                f"serving on {base} ({kind}): {len(links)} public links "
                f"({len(links) // forms} units × {forms} forms)"
            )
            outcomes = run(base, links, args, deadline)
        accepted = outcomes.pop("accepted", 0)
        refused = {k: v for k, v in outcomes.items() if not k.startswith("failed")}
        failed = {k: v for k, v in outcomes.items() if k.startswith("failed")}
        print(f"  accepted {accepted}")
        print("  refused  " + (", ".join(f"{k} {v}" for k, v in sorted(refused.items())) or "none"))
        print("  failed   " + (", ".join(f"{k} {v}" for k, v in sorted(failed.items())) or "none"))
        kept = stored(db)
        print(f"  stored   {kept} ({'nothing lost' if kept == accepted else f'{accepted - kept} LOST'})")
        return 0 if kept == accepted and not failed else 1
    finally:
        if pg is not None:
            pg.stop()


if __name__ == "__main__":
    sys.exit(main())
