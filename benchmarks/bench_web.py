"""Benchmark: the portal under a province's working day, on loopback only.

    python benchmarks/bench_web.py [--units 10000] [--districts 50] [--sessions 50] [--uploads 10]
                                   [--requests 40] [--think 1.0] [--db URL] [--limit-seconds 600]
    python benchmarks/bench_web.py --national   # the whole country: 3,321 units in 34 groups

Builds a province of N units (generated like benchmarks/bench_score.py, every unit submitted and
scored, so the dashboard aggregates all of them), serves `cqtt web` on 127.0.0.1, then:

- alone: the province's dashboard asked 30 times by one user (its p95 is the figure to hold
  under 300 ms);
- made anew: the dashboard made from the whole year read again, as a new serving process or a
  new unit list does (after an upload or a change of state only the units that changed are read
  again);
- together: `--sessions` users sign in at once (reported apart), open their start page at once
  (reported apart), then browse (the province: its dashboard with its task list, the whole list
  searched without diacritics and filtered, a unit's page; a team: its page with its task list,
  its own list searched and filtered, a unit's page; in turn, `--requests` each, reading each
  page for about `--think` seconds; 0 for a stress test) while `--uploads` district teams each
  upload a 30-unit Excel template, each at a moment of the first 20 s of browsing (`--uploads 0`:
  browsing alone).

Prints p50/p95/p99 per page kind as the client sees it and as the application spent it (its
Server-Timing header: the difference is waiting for a thread), the number of errors (anything
but the page asked for), and the time each upload took (reading, scoring and storing 30 units).
Every loop is bounded in count, and the whole run stops by itself after --limit-seconds. Figures
only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import csv
import http.cookiejar
import io
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "samples"), str(ROOT / "benchmarks")]

import served  # noqa: E402
from bench_score import as_typed, rows  # noqa: E402

from engine.intake.evidence import read_mappings  # noqa: E402
from engine.portal import accounts, dossiers, units  # noqa: E402
from engine.rules.loader import load_ref  # noqa: E402
from engine.store.connect import open_store  # noqa: E402
from engine.store.schema import accounts as accounts_table  # noqa: E402
from engine.suggest import ascii_fold  # noqa: E402

YEAR = 2024
PASSWORD = "mat-khau-do-tai-2024"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def build(db: str, n: int, districts: int, held_back: int) -> dict[str, list[str]]:
    """N units in `districts` districts; all but `held_back` units per district submitted and
    scored. Returns district -> its units not yet submitted (for the uploads)."""
    loaded = load_ref("bac-giang@2024")
    data = rows(n, loaded)
    names = [f"Huyện Thử {i + 1:02d}" for i in range(districts)]
    for i, row in enumerate(data):
        row["ma_don_vi"] = f"{90000 + i}"
        row["nhom_tham_dinh"] = names[i % districts]
    folder = Path(tempfile.mkdtemp(prefix="cqtt-bench-web-"))
    listed = folder / "don-vi.csv"
    with listed.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ma_don_vi", "ten_don_vi", "nhom_tham_dinh"])
        for row in data:
            writer.writerow([row["ma_don_vi"], row["ten_don_vi"], row["nhom_tham_dinh"]])
    store = open_store(db)
    try:
        units.load(store, listed, YEAR, "bac-giang@2024")
        waiting: dict[str, list[str]] = defaultdict(list)
        submitted = []
        for row in data:
            if len(waiting[row["nhom_tham_dinh"]]) < held_back:
                waiting[row["nhom_tham_dinh"]].append(row["ma_don_vi"])
            else:
                submitted.append(row)
        started = time.perf_counter()
        for start in range(0, len(submitted), 500):
            evidence = read_mappings(as_typed(submitted[start : start + 500]), loaded.model, "(đo tải)")
            dossiers.import_evidence(store, None, "bench", YEAR, None, evidence, "đo tải")
        spent = time.perf_counter() - started
        print(f"province built: {n} units, {len(submitted)} scored and stored in {spent:.0f} s")
        accounts.add(store, "phuctra", "tinh")
        for index in range(20):  # one a province reviewer: an account keeps at most 5 sessions
            accounts.add(store, f"tinh{index:02d}", "tinh")
        for index, name in enumerate(names):
            accounts.add(store, f"huyen{index + 1:02d}", "huyen", None, name)
        with store.write() as conn:
            conn.execute(
                accounts_table.update().values(
                    password_hash=accounts.HASHER.hash(PASSWORD), must_change=False
                )
            )
        by_district = {
            name: [r["ma_don_vi"] for r in submitted if r["nhom_tham_dinh"] == name] for name in names
        }
    finally:
        store.close()
    return {"waiting": waiting, "submitted": by_district, "names": names, "rows": data}  # type: ignore[return-value]


def _app_ms(header: str) -> float | None:
    """The application's own time for a request, from its Server-Timing header."""
    found = re.search(r"app;dur=([\d.]+)", header)
    return float(found.group(1)) if found else None


class Client:
    """One user's browser: a cookie jar, the CSRF token of its session."""

    app_ms: float | None = None

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), served.NoRedirect()
        )
        self.token = ""

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with self.opener.open(
                self.base + urllib.parse.quote(path, safe="/?=&%+"), timeout=120
            ) as response:
                self.app_ms = _app_ms(response.headers.get("Server-Timing", ""))
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def post(self, path: str, body: bytes, kind: str) -> tuple[int, bytes]:
        request = urllib.request.Request(
            self.base + urllib.parse.quote(path), data=body, headers={"Content-Type": kind}, method="POST"
        )
        try:
            with self.opener.open(request, timeout=300) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def login(self, login: str) -> None:
        _, page = self.get("/dang-nhap")
        token = TOKEN.search(page.decode()).group(1)  # type: ignore[union-attr]
        form = urllib.parse.urlencode({"csrf_token": token, "login": login, "password": PASSWORD}).encode()
        status, _ = self.post("/dang-nhap", form, "application/x-www-form-urlencoded")
        if status != 302:
            raise RuntimeError(f"login {login} failed: {status}")
        status, page = self.get("/doi-mat-khau")
        found = TOKEN.search(page.decode())
        if found is None:
            title = re.search(r"<title>(.*?)</title>", page.decode(), re.S)
            raise RuntimeError(
                f"login {login}: no session after signing in ({status}, {title and title.group(1)})"
            )
        self.token = found.group(1)


def _multipart(fields: dict[str, str], name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for key, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
    out.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n".encode()
    )
    out.write(data + f"\r\n--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def upload_book(province: dict, district: str, codes: list[str]) -> bytes:
    """A district's template with 30 of its units filled, as a team uploads it."""
    from engine.intake.units import UnitRow
    from engine.outputs.template import write_template

    loaded = load_ref("bac-giang@2024")
    by_code = {r["ma_don_vi"]: r for r in as_typed(province["rows"])}
    filled = {code: {k: v for k, v in by_code[code].items() if v is not None} for code in codes}
    out = io.BytesIO()
    write_template(out, loaded, [UnitRow(c, by_code[c]["ten_don_vi"], district) for c in codes], YEAR, filled)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--districts", type=int, default=50)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--uploads", type=int, default=10)
    parser.add_argument("--requests", type=int, default=40, help="pages each browsing session asks for")
    parser.add_argument("--think", type=float, default=1.0, help="seconds a user reads a page (0: none)")
    parser.add_argument("--db", help="a PostgreSQL URL (default: an SQLite file in a temporary folder)")
    parser.add_argument("--limit-seconds", type=int, default=600)
    parser.add_argument(
        "--national", action="store_true", help="the whole country: 3,321 units in 34 groups (sets both)"
    )
    args = parser.parse_args()
    if args.national:
        args.units, args.districts = 3321, 34
    deadline = time.monotonic() + args.limit_seconds
    folder = Path(tempfile.mkdtemp(prefix="cqtt-bench-web-"))
    db = args.db or str(folder / "cong.sqlite")
    province = build(db, args.units, args.districts, held_back=30 if args.uploads else 0)
    with served.portal(db, folder / "du-lieu", deadline) as base:
        print(f"serving on {base} ({'PostgreSQL' if args.db else 'SQLite'})")
        run(base, province, args, deadline, db)


def run(base: str, province: dict, args: argparse.Namespace, deadline: float, db: str) -> None:
    names: list[str] = province["names"]
    tinh = Client(base)
    tinh.login("phuctra")
    started = time.perf_counter()
    tinh.get(f"/nam/{YEAR}/tinh")  # the first page after the server starts reads the rule file
    print(f"dashboard, first after start         {(time.perf_counter() - started) * 1000:.0f} ms")
    alone = []
    for _ in range(30):
        started = time.perf_counter()
        status, _ = tinh.get(f"/nam/{YEAR}/tinh")
        alone.append(time.perf_counter() - started)
        assert status == 200, status
    print(f"dashboard alone ({args.units} units)     {served.percentiles(alone)}")
    from engine.portal import overview

    store = open_store(db)
    anew = []
    for _ in range(10):  # the whole year read again (a new list, or a new serving process)
        overview._VIEWS.clear()
        started = time.perf_counter()
        overview.dashboard(store, YEAR)
        anew.append(time.perf_counter() - started)
    store.close()
    print(f"dashboard made anew                 {served.percentiles(anew)}")

    timings: dict[str, list[float]] = defaultdict(list)
    inside: dict[str, list[float]] = defaultdict(list)  # the server's own time (Server-Timing)
    errors: list[str] = []
    uploads: list[tuple[str, float, int]] = []
    lock = threading.Lock()
    rng = random.Random(7)

    browsing = threading.Event()  # set when every session has signed in: the uploads come then
    signed_in = threading.Barrier(
        args.sessions, action=browsing.set, timeout=max(1.0, deadline - time.monotonic())
    )

    def browse(index: int) -> None:
        district = names[index % len(names)]
        client = Client(base)
        started = time.perf_counter()
        try:
            client.login(
                f"tinh{index // 5:02d}" if index % 5 == 0 else f"huyen{(index % len(names)) + 1:02d}"
            )
        except RuntimeError as failed:
            with lock:
                errors.append(str(failed))
            signed_in.abort()
            return
        with lock:
            timings["sign-in"].append(time.perf_counter() - started)
        try:  # everyone signs in first (a morning's rush, reported apart), then browses
            signed_in.wait()
        except threading.BrokenBarrierError:
            return
        mine = province["submitted"][district]
        kinds = ["dashboard", "list", "unit"] if index % 5 == 0 else ["ranking", "team list", "unit"]
        # every start page at the same instant (the barrier's release), reported apart: no office
        # clicks in the same millisecond, and that one burst alone set the p95 of the first page kind
        started = time.perf_counter()
        status, _ = client.get(f"/nam/{YEAR}/tinh" if index % 5 == 0 else f"/nam/{YEAR}/huyen/{district}")
        with lock:
            timings["at once"].append(time.perf_counter() - started)
            if status != 200:
                errors.append(f"start page {index}: {status}")
        if args.think:  # then each reads it for a while, as between any two pages
            time.sleep(args.think * rng.uniform(0.5, 1.5))
        named = {r["ma_don_vi"]: r["ten_don_vi"] for r in province["rows"]}
        for step in range(args.requests):
            if time.monotonic() > deadline:
                return
            kind = kinds[step % len(kinds)]
            # a name typed without diacritics, as people search (a word of a unit's name)
            word = ascii_fold(rng.choice(named[rng.choice(mine)].split()[-1:]))
            searched = urllib.parse.urlencode({"q": word, "state": "da_nop", "sap_xep": "total", "giam": "1"})
            path = {
                "dashboard": f"/nam/{YEAR}/tinh",
                "ranking": f"/nam/{YEAR}/huyen/{district}",
                "unit": f"/nam/{YEAR}/don-vi/{rng.choice(mine)}",
                "list": f"/nam/{YEAR}/danh-sach?{searched}",
                "team list": f"/nam/{YEAR}/huyen/{urllib.parse.quote(district)}/danh-sach?{searched}",
            }[kind]
            started = time.perf_counter()
            status, _ = client.get(path)
            spent = time.perf_counter() - started
            with lock:
                timings[kind].append(spent)
                if client.app_ms is not None:
                    inside[kind].append(client.app_ms / 1000)
                if status != 200:
                    errors.append(f"{kind} {path}: {status}")
            if args.think:
                time.sleep(args.think * rng.uniform(0.5, 1.5))

    # the teams' workbooks made before the clock starts (the clients share the server's cores)
    books = {
        i: upload_book(province, names[i % len(names)], province["waiting"][names[i % len(names)]][:30])
        for i in range(args.uploads)
    }

    def upload(index: int) -> None:
        district = names[index % len(names)]
        client = Client(base)
        client.login(f"huyen{(index % len(names)) + 1:02d}")
        book = books[index]
        # while the others browse: each team sends its workbook at a moment of the first 20 s
        if not browsing.wait(max(1.0, deadline - time.monotonic())):
            return
        time.sleep(random.Random(index).uniform(0, 20))
        body, kind = _multipart({"csrf_token": client.token}, "mau-nhap.xlsx", book)
        started = time.perf_counter()
        status, page = client.post(f"/nam/{YEAR}/huyen/{district}/tai-len", body, kind)
        spent = time.perf_counter() - started
        done = re.search(r"<b>(\d+)</b> hồ sơ đã nộp từ tệp", page.decode())
        with lock:
            uploads.append((district, spent, int(done.group(1)) if done else -1))
            if status != 200 or not done or done.group(1) != "30":
                errors.append(f"upload {district}: {status}")

    threads = [threading.Thread(target=browse, args=(i,)) for i in range(args.sessions)]
    threads += [threading.Thread(target=upload, args=(i,)) for i in range(args.uploads)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(1.0, deadline - time.monotonic()))
    elapsed = time.perf_counter() - started
    pages = sum(len(v) for kind, v in timings.items() if kind not in ("sign-in", "at once"))
    print(
        f"together: {args.sessions} sessions browsing (think {args.think:g} s), {args.uploads} uploads, "
        f"{elapsed:.1f} s, {pages / elapsed:.0f} pages/s"
    )
    print(f"  {'sign-in':<10} {served.percentiles(timings['sign-in'])}  (all at once, argon2id)")
    print(f"  {'start page':<10} {served.percentiles(timings['at once'])}  (all at once, just after)")
    print("  then browsing:")
    for kind in ("dashboard", "list", "ranking", "team list", "unit"):
        print(f"  {kind:<10} {served.percentiles(timings[kind])}")
    print("  of which in the application (Server-Timing; the rest is waiting for a thread, the network)")
    for kind in ("dashboard", "list", "ranking", "team list", "unit"):
        print(f"  {kind:<10} {served.percentiles(inside[kind])}")
    for district, spent, n in sorted(uploads):
        print(f"  upload {district}: {n} units read, scored and stored in {spent * 1000:.0f} ms")
    if uploads:
        print(
            f"  upload time per unit: {statistics.mean(s / max(n, 1) for _, s, n in uploads) * 1000:.1f} ms"
        )
    print(f"errors: {len(errors)}")
    for line in errors[:10]:
        print(f"  {line}")


if __name__ == "__main__":
    os.environ.setdefault("CQTT_LOGIN_ADDRESS_FAILURES", "1000")
    main()
