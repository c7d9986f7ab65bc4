"""The history store, on an SQLite file and on a real PostgreSQL server (see conftest.py).

Every test runs the commands a user runs (`cqtt score --db`, `decisions --db`, `revoke`, `history`,
`units succession`, `db upgrade`) and then reads the database itself or the command's output.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import create_engine, func, select, text

from cli import main
from engine.outputs.resultsjson import read_results
from engine.store.schema import criterion_results, decisions, runs, unit_results

ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "samples"
EV2023, EV2024 = SAMPLES / "bac-giang-2023.xlsx", SAMPLES / "bac-giang-2024.xlsx"
DECISIONS_2023 = SAMPLES / "bac-giang-2023-quyet-dinh.json"
SUCCESSION = SAMPLES / "sap-nhap-vi-du-gia-dinh.csv"


def cqtt(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def ok(*args: str | Path) -> str:
    code, output = cqtt(*args)
    assert code == 0, output
    return output


def sheet_rows(path: Path, sheet: str) -> list[tuple]:
    """Every row of a sheet, the workbook closed again (read-only workbooks hold their file open)."""
    book = load_workbook(path, read_only=True)
    try:
        return list(book[sheet].iter_rows(values_only=True))
    finally:
        book.close()


def sql_url(store: str) -> str:
    return store if "://" in store else f"sqlite:///{store}"


def count(store: str, table, *where) -> int:  # type: ignore[no-untyped-def]
    engine = create_engine(sql_url(store))
    try:
        with engine.connect() as conn:
            query = select(func.count()).select_from(table)
            for w in where:
                query = query.where(w)
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def results_2023(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("r23") / "r.json"
    ok("score", EV2023, "--criteria", "bac-giang@2023", "--json", out)
    return {u["code"]: u for u in read_results(out)["units"]}


def test_two_years_decisions_and_history(store_url: str, tmp_path: Path, results_2023: dict) -> None:
    """The issue's done-when: 2023 and 2024 scored into one store, decisions imported, history."""
    ok("score", EV2023, "--criteria", "bac-giang@2023", "--json", tmp_path / "r23.json", "--db", store_url)
    out = ok("decisions", DECISIONS_2023, "--db", store_url)
    given = json.loads(DECISIONS_2023.read_text("utf-8"))["decisions"]
    assert f"{len(given)} mới, 0 thay quyết định trước, 0 không đổi" in out
    xlsx = tmp_path / "r24.xlsx"
    out = ok("score", EV2024, "--criteria", "bac-giang@2024", "-o", xlsx, "--db", store_url)
    recognised_2023 = sum(d["decision"] == "recognised" for d in given)
    assert f"đã công nhận năm 2023: {recognised_2023}" in out

    unit = next(d for d in given if d["decision"] == "recognised")
    history = ok("history", unit["unit"], "--db", store_url)
    lines = history.splitlines()
    year_2023 = next(i for i, line in enumerate(lines) if line.startswith("Năm 2023"))
    assert "theo bac-giang@2023" in lines[year_2023]
    assert lines[year_2023 + 1] == "  quyết định: Công nhận (số 1203/QĐ-VD, ngày 20/12/2023)"
    assert any(line.startswith("Năm 2024") and "theo bac-giang@2024" in line for line in lines)
    assert "so với năm trước: bộ tiêu chí bac-giang@2023 → bac-giang@2024" in history

    data = json.loads(ok("history", unit["unit"], "--db", store_url, "--json"))
    assert [(y["year"], y["criteria"]) for y in data["years"]] == [
        (2023, "bac-giang@2023"),
        (2024, "bac-giang@2024"),
    ]
    assert data["years"][0]["total"] == pytest.approx(results_2023[unit["unit"]]["total"])
    assert data["years"][0]["decision"]["number"] == "1203/QĐ-VD"

    # the 2024 workbook gains last year's columns, filled from the store
    rows = sheet_rows(xlsx, "Xếp hạng")
    head = list(rows[0])
    changes = next(h for h in head if h.startswith("Thay đổi điểm"))
    assert (
        changes
        == "Thay đổi điểm (năm 2023 theo bac-giang@2023, năm nay theo bac-giang@2024: hai bộ khác nhau)"
    )
    for heading in ("Tổng điểm năm 2023", "Kết quả năm 2023", "Lần đầu đủ điều kiện"):
        assert heading in head
    by_code = {r[head.index("Mã đơn vị")]: r for r in rows[1:]}
    row = by_code[unit["unit"]]
    assert row[head.index("Tổng điểm năm 2023")] == pytest.approx(results_2023[unit["unit"]]["total"])
    assert row[head.index("Kết quả năm 2023")] == "Công nhận"
    change = row[head.index("Tổng điểm")] - results_2023[unit["unit"]]["total"]
    assert row[head.index(changes)] == pytest.approx(change, abs=0.011)
    lost = [  # recognised in 2023, not eligible now; no decision of 2024 yet
        r
        for r in rows[1:]
        if r[head.index("Mất công nhận so với 2023")] == "Chưa đạt (chưa có quyết định năm nay)"
    ]
    assert lost and all(r[head.index("Kết quả năm 2023")] == "Công nhận" for r in lost)
    assert all(r[head.index("Kết quả")] == "Chưa đạt" for r in lost)
    line = next(r[0] for r in sheet_rows(xlsx, "Tổng hợp") if r and str(r[0]).startswith("Năm 2023"))
    assert f"đã công nhận {recognised_2023}" in line


def test_a_run_recorded_twice_is_stored_once(store_url: str, tmp_path: Path) -> None:
    for name in ("a.json", "b.json"):
        out = ok(
            "score", EV2024, "--criteria", "bac-giang@2024", "--json", tmp_path / name, "--db", store_url
        )
    assert "đã có trong" in out and "không ghi thêm" in out
    assert count(store_url, runs) == 1
    assert count(store_url, unit_results) == 195
    assert count(store_url, criterion_results) == 195 * 22


def test_changed_decision_is_a_new_row_and_the_old_one_stays(store_url: str, tmp_path: Path) -> None:
    ok("decisions", DECISIONS_2023, "--db", store_url)
    data = json.loads(DECISIONS_2023.read_text("utf-8"))
    first = data["decisions"][0]
    first.update(decision="not_recognised", label="Không công nhận", number="77/QĐ-VD", reason="Sửa")
    changed = tmp_path / "quyet-dinh.json"
    changed.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    out = ok("decisions", changed, "--db", store_url)
    assert f"0 mới, 1 thay quyết định trước, {len(data['decisions']) - 1} không đổi" in out
    assert count(store_url, decisions, decisions.c.unit == first["unit"]) == 2
    history = ok("history", first["unit"], "--db", store_url)
    assert "quyết định: Không công nhận (số 77/QĐ-VD, ngày 20/12/2023); lý do: Sửa" in history


def test_revoke_then_history_shows_the_withdrawal(store_url: str) -> None:
    ok("decisions", DECISIONS_2023, "--db", store_url)
    given = json.loads(DECISIONS_2023.read_text("utf-8"))["decisions"]
    yes = next(d["unit"] for d in given if d["decision"] == "recognised")
    no = next(d["unit"] for d in given if d["decision"] == "not_recognised")
    args = ["--year", "2023", "--decision-number", "9/QĐ-VD", "--date", "15/03/2024", "--reason", "Điểm nóng"]
    out = ok("revoke", yes, *args, "--db", store_url)
    assert f"Đã ghi thu hồi công nhận năm 2023 của đơn vị {yes}" in out
    assert "  THU HỒI công nhận (số 9/QĐ-VD, ngày 15/03/2024); lý do: Điểm nóng" in ok(
        "history", yes, "--db", store_url
    )
    code, out = cqtt("revoke", yes, *args, "--db", store_url)
    assert code == 1
    assert out.strip().endswith(
        f"đơn vị {yes} năm 2023: đã thu hồi công nhận (quyết định 9/QĐ-VD, ngày 15/03/2024); nếu bản ghi đó "
        "sai, ghi lại với --correct"
    )
    code, out = cqtt("revoke", no, *args, "--db", store_url)
    assert code == 1 and "quyết định hiện hành không phải công nhận" in out
    assert count(store_url, decisions, decisions.c.decision == "revoked") == 1


def test_a_disqualifier_found_after_recognition_makes_a_withdrawal_candidate(
    store_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "r.json"
    ok("score", EV2024, "--criteria", "bac-giang@2024", "--json", out)
    units = read_results(out)["units"]
    disqualified = sorted(u["code"] for u in units if any(f["code"] == "disqualified" for f in u["flags"]))
    assert disqualified
    recognised_anyway = disqualified[0]
    book = {
        "recheck_file": {"file": "thu.xlsx", "sha256": ""},
        "criteria": {"criteria": "bac-giang", "version": "2024", "sha256": ""},
        "decisions": [
            {
                "unit": recognised_anyway,
                "year": 2024,
                "decision": "recognised",
                "label": "Công nhận",
                "number": "5/QĐ-VD",
                "date": "2024-12-01",
                "row": 2,
            }
        ],
        "undecided": [],
    }
    (tmp_path / "qd.json").write_text(json.dumps(book), "utf-8")
    ok("decisions", tmp_path / "qd.json", "--db", store_url)
    xlsx = tmp_path / "r.xlsx"
    out_text = ok("score", EV2024, "--criteria", "bac-giang@2024", "-o", xlsx, "--db", store_url)
    assert f"vi phạm điểm liệt): {recognised_anyway}" in out_text
    rows = sheet_rows(xlsx, "Xếp hạng")
    head = list(rows[0])
    column = head.index("Xem xét thu hồi công nhận năm nay")
    flagged = {r[head.index("Mã đơn vị")] for r in rows[1:] if r[column]}
    assert flagged == {recognised_anyway}


def test_history_follows_a_merged_unit_to_its_predecessors(store_url: str, tmp_path: Path) -> None:
    ok("score", EV2024, "--criteria", "bac-giang@2024", "--json", tmp_path / "r.json", "--db", store_url)
    assert "Đã nạp 2 dòng sáp nhập" in ok("units", "succession", SUCCESSION, "--db", store_url)
    assert "0 dòng đã có từ trước" not in ok("units", "succession", SUCCESSION, "--db", store_url)
    history = ok("history", "90001", "--db", store_url)
    assert "  hình thành từ 07243 Xã Đồng Tiến (từ 01/07/2025)" in history
    assert "Năm 2024 [mã 07243]" in history and "Năm 2024 [mã 07246]" in history
    assert "đã sáp nhập vào 90001" in ok("history", "07243", "--db", store_url)


def test_unknown_unit_has_no_history(store_url: str) -> None:
    ok("decisions", DECISIONS_2023, "--db", store_url)
    code, out = cqtt("history", "00000", "--db", store_url)
    assert code == 1 and out.strip().endswith("không có lịch sử nào của đơn vị 00000")


def test_history_of_a_unit_rechecked_one_year_and_scored_the_next(tmp_path: Path) -> None:
    """Regression: `cqtt history` of a unit with a provincial re-check in one year and any later
    year stopped with AttributeError (the history was rebound to the re-check's text)."""
    db = str(tmp_path / "h.sqlite")
    ok("score", EV2024, "--criteria", "bac-giang@2024", "--json", tmp_path / "k.json", "--db", db)
    _, rechecked = cqtt(
        "recheck", SAMPLES / "bac-giang-2024-to-tham-dinh.xlsx", "-o", tmp_path / "p.xlsx", "--db", db
    )
    assert (
        rechecked.splitlines()[-1] == f"Đã lưu kết quả phúc tra vào {db}"
    )  # (it found discrepancies: exit 1)
    book = load_workbook(EV2024)
    sheet = book["Nhập liệu"]
    column = [c.value for c in sheet[3]].index("nam")
    for row in sheet.iter_rows(min_row=4):
        if row[column].value is not None:
            row[column].value = 2025
    later = tmp_path / "minh-chung-2025.xlsx"
    book.save(later)
    ok("score", later, "--criteria", "bac-giang@2024", "--json", tmp_path / "k2.json", "--db", db)
    lines = ok("history", "07855", "--db", db).splitlines()
    assert lines[0] == "Lịch sử đơn vị 07855 — Xã Thường Thắng"
    assert lines[1].startswith("Năm 2024: ") and lines[2].startswith("  phúc tra của tỉnh: ")
    assert any(line.startswith("Năm 2025: ") for line in lines[3:])


def test_results_with_history_columns_still_recheck_clean(tmp_path: Path) -> None:
    store = str(tmp_path / "h.sqlite")
    ok("score", EV2023, "--criteria", "bac-giang@2023", "--json", tmp_path / "r23.json", "--db", store)
    xlsx = tmp_path / "r24.xlsx"
    ok(
        "score",
        EV2024,
        "--criteria",
        "bac-giang@2024",
        "-o",
        xlsx,
        "--json",
        tmp_path / "r24.json",
        "--db",
        store,
    )
    for results in (xlsx, tmp_path / "r24.json"):
        code, out = cqtt("recheck", results, "--json", tmp_path / "p.json", "--force")
        assert code == 0, out
        assert ": 0 sai lệch" in out


# -- concurrent writers ---------------------------------------------------------------------------------
def _split_hung_yen(folder: Path, parts: int) -> list[Path]:
    lines = (SAMPLES / "hung-yen-2025.csv").read_text("utf-8").splitlines()
    head, body = lines[0], lines[1:]
    files = []
    for i in range(parts):
        path = folder / f"phan-{i}.csv"
        path.write_text("\n".join([head, *body[i::parts]]) + "\n", "utf-8")
        files.append(path)
    return files


def test_concurrent_writers_lose_nothing(store_url: str, tmp_path: Path) -> None:
    """Six processes record into a store none of them has created yet: four different runs, one
    of them three times at once. Four runs, every unit, nothing twice, no failure."""
    files = _split_hung_yen(tmp_path, 4)
    jobs = [*files, files[0], files[0]]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "cli.py"),
                "score",
                str(f),
                "--criteria",
                "hung-yen@2025",
                "--json",
                str(tmp_path / f"r{i}.json"),
                "--db",
                store_url,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i, f in enumerate(jobs)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0] * len(procs), outputs
    assert count(store_url, runs) == 4
    expected = sum(len(f.read_text("utf-8").splitlines()) - 1 for f in files)
    assert count(store_url, unit_results) == expected
    assert sum("Đã lưu lần chấm" in o for o in outputs) == 4
    assert sum("đã có trong" in o for o in outputs) == 2


def test_sqlite_locked_by_another_process_waits_then_says_so(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sqlite3
    import time

    store = tmp_path / "h.sqlite"
    ok("decisions", DECISIONS_2023, "--db", store)
    holder = sqlite3.connect(store, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setenv("CQTT_DB_TIMEOUT", "1")
    try:
        started = time.monotonic()
        code, out = cqtt("decisions", DECISIONS_2023, "--db", store)
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 1
    assert out.strip().splitlines()[-1] == (
        f"Lỗi: {store}: cơ sở dữ liệu đang bị một tiến trình khác ghi; đã chờ 1 giây. Chạy lại khi lệnh kia "
        "xong (hoặc đặt CQTT_DB_TIMEOUT để chờ lâu hơn)"
    )
    assert waited < 30


# -- schema versions and foreign files ------------------------------------------------------------------
def test_migrations_create_exactly_the_tables_the_code_uses(store_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from engine.store.schema import metadata

    ok("decisions", DECISIONS_2023, "--db", store_url)
    engine = create_engine(sql_url(store_url))
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert diff == []


# The newest schema revision this version knows: the last migration file's number.
HEAD = max(
    p.name[:4] for p in (Path(__file__).parent.parent / "engine/store/migrations/versions").glob("0*.py")
)


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_store_from_a_newer_cqtt_is_refused_untouched(tmp_path: Path) -> None:
    store = tmp_path / "h.sqlite"
    ok("decisions", DECISIONS_2023, "--db", store)
    engine = create_engine(f"sqlite:///{store}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    before = _sha(store)
    code, out = cqtt("history", "07207", "--db", store)
    assert code == 1
    assert out.strip().endswith(
        f"{store}: cơ sở dữ liệu do phiên bản cqtt mới hơn tạo (lược đồ 0099, bản này biết đến {HEAD}); "
        "cập nhật cqtt để dùng"
    )
    assert _sha(store) == before


def test_an_older_store_is_upgraded_only_by_db_upgrade(store_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from engine.store.connect import MIGRATIONS

    engine = create_engine(sql_url(store_url))
    with engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(text("INSERT INTO cqtt_store (key, value) VALUES ('application', 'cqtt')"))
    engine.dispose()
    code, out = cqtt("decisions", DECISIONS_2023, "--db", store_url)
    assert code == 1
    assert f"lược đồ cơ sở dữ liệu cũ (0001, cần {HEAD}); sao lưu rồi chạy: cqtt db upgrade --db" in out
    assert count(store_url, decisions) == 0
    assert f"đã nâng cấp lược đồ 0001 → {HEAD}" in ok("db", "upgrade", "--db", store_url)
    assert f"lược đồ đã mới nhất ({HEAD}); không thay đổi gì" in ok("db", "upgrade", "--db", store_url)
    ok("units", "succession", SUCCESSION, "--db", store_url)


def test_an_empty_postgresql_database_becomes_a_store(pg_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = pg_server.create_database("cqtt_new")
    ok("score", EV2024, "--criteria", "bac-giang@2024", "--json", tmp_path / "r.json", "--db", url)
    assert count(url, runs) == 1


def test_a_postgresql_url_without_a_server_is_one_line(tmp_path: Path) -> None:
    code, out = cqtt("history", "07207", "--db", "postgresql://cqtt:matkhau@127.0.0.1:1/cqtt")
    assert code == 1
    last = out.strip().splitlines()[-1]
    assert last.startswith("Lỗi: postgresql://cqtt:***@127.0.0.1:1/cqtt: ")  # as written, the password masked
    assert "matkhau" not in out


def test_sample_weighs_units_proposed_for_the_first_time(tmp_path: Path, results_2023: dict) -> None:
    store = str(tmp_path / "h.sqlite")
    ok("score", EV2023, "--criteria", "bac-giang@2023", "--json", tmp_path / "r23.json", "--db", store)
    team = SAMPLES / "bac-giang-2024-to-tham-dinh.xlsx"
    out = tmp_path / "mau.json"
    ok("sample", team, "--n", "500", "--seed", "7", "-o", tmp_path / "f.xlsx", "--json", out, "--db", store)
    drawn = json.loads(out.read_text("utf-8"))
    assert drawn["store"] == store and drawn["weights"]["first_proposal"] == 2
    proposed_2023 = {code for code, u in results_2023.items() if u["proposed"]}
    first = {u["code"] for u in drawn["units"] if "first_proposal" in u["risks"]}
    assert first and first == {u["code"] for u in drawn["units"]} - proposed_2023
    without = tmp_path / "mau2.json"
    ok("sample", team, "--n", "500", "--seed", "7", "-o", tmp_path / "g.xlsx", "--json", without)
    assert not any("first_proposal" in u["risks"] for u in json.loads(without.read_text("utf-8"))["units"])


def test_appeals_filed_twice_before_the_guard_keep_the_first_open(tmp_path: Path) -> None:
    """A store holding two open appeals against one decision (filed at once before revision 0008)
    is upgraded: the first stays open, the second is closed with an answer saying why, and the
    database then refuses a second open appeal itself."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy.exc import IntegrityError

    from engine.store.connect import MIGRATIONS

    db = tmp_path / "cu.sqlite"
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007")
        conn.execute(text("INSERT INTO cqtt_store (key, value) VALUES ('application', 'cqtt')"))
        conn.execute(
            text(
                "INSERT INTO decisions (id, unit, year, decision, source, recorded_at) "
                "VALUES (1, '07207', 2024, 'not_recognised', 'thử', '2024-12-01 00:00:00')"
            )
        )
        for appeal_id in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO appeals (id, year, unit_code, decision_id, grounds, filed_at, deadline, "
                    "state) VALUES (:id, 2024, '07207', 1, 'lý do', '2024-12-02 00:00:00', '2024-12-16', "
                    "'open')"
                ),
                {"id": appeal_id},
            )
    engine.dispose()
    assert "→ 0009" in ok("db", "upgrade", "--db", str(db))
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.begin() as conn:
            found = conn.execute(text("SELECT id, state, answer FROM appeals ORDER BY id")).all()
        assert [(r.id, r.state) for r in found] == [(1, "open"), (2, "rejected")]
        assert found[1].answer.startswith("Kiến nghị trùng với kiến nghị số 1 (gửi cùng lúc)")
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO appeals (year, unit_code, decision_id, grounds, filed_at, deadline, state) "
                    "VALUES (2024, '07207', 1, 'lần nữa', '2024-12-03 00:00:00', '2024-12-16', 'open')"
                )
            )
    finally:
        engine.dispose()
