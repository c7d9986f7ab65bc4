"""Every figure of a year agrees with every other, whatever state the year is in: for random
states (some applications appraised as submitted, some corrected by their team, some still under
appraisal, some reopened by the province), the province's dashboard page, its counts, its JSON and
workbook, each team's counts and JSON, and `cqtt score --units` on the evidence the dashboard
exports count the same eligible units over the same population, and no application still under
appraisal is ever among the eligible."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from portal_helpers import ROOT, YEAR, Portal, make_portal

from engine import jobs
from engine.portal import accounts, dossiers, exports, overview, review
from engine.portal.roles import APPRAISED, SUBMITTED
from engine.store import dossiers as dossier_rows
from engine.store.connect import open_store
from web import create_app
from web.config import PortalConfig

UNITS = ROOT / "samples/units/bac-giang.csv"


@pytest.fixture(scope="module")
def uploaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the 2024 sample uploaded (every readable row submitted), kept as a file that
    each example copies."""
    folder = tmp_path_factory.mktemp("so-lieu")
    made: Portal = make_portal(str(folder / "goc.sqlite"), folder)
    try:
        dossiers.upload_workbook(
            made.store, None, "test", YEAR, None, ROOT / "samples/bac-giang-2024.xlsx", "bac-giang-2024.xlsx"
        )
    finally:
        made.close()
    return folder / "goc.sqlite"


# what happens to each submitted application: left under appraisal, appraised as submitted,
# appraised with a disqualifying correction, appraised then reopened by the province
FATES = st.lists(st.sampled_from(["wait", "as_is", "corrected", "reopened"]), min_size=200, max_size=200)


def _apply(store: object, fates: list[str]) -> None:
    tinh = accounts.find(store, "phuctra")  # type: ignore[arg-type]
    codes = sorted(r.unit.code for r in overview.rows(store, YEAR) if r.state in SUBMITTED)  # type: ignore[arg-type]
    for code, fate in zip(codes, fates, strict=False):
        if fate == "wait":
            continue
        d = dossiers.dossier(store, YEAR, code)  # type: ignore[arg-type]
        declared = dossiers.latest(dossiers.versions(store, d.id), "declared")  # type: ignore[arg-type, union-attr]
        values, reasons = dict(declared.data), {}  # type: ignore[union-attr]
        if fate == "corrected":
            values["vu_viec_sach_nhieu"] = "Có"
            reasons["vu_viec_sach_nhieu"] = "Có phản ánh được xác minh"
        dossiers.save_verified(store, None, "test", YEAR, code, values, reasons)  # type: ignore[arg-type]
        dossiers.finalise(store, None, "test", YEAR, code)  # type: ignore[arg-type]
        if fate == "reopened":
            review.reopen(store, tinh, "test", YEAR, code, "Xem lại biên bản")  # type: ignore[arg-type]


def _eligible_on_page(text: str) -> tuple[int, int]:
    plain = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text))
    found = re.search(r"\((\d+) trong (\d+) đơn vị của danh sách tỉnh", plain)
    assert found is not None, plain[:1000]
    return int(found.group(1)), int(found.group(2))


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fates=FATES)
def test_the_dashboard_its_downloads_the_teams_and_cqtt_score_agree(
    uploaded: Path, tmp_path_factory: pytest.TempPathFactory, fates: list[str]
) -> None:
    folder = tmp_path_factory.mktemp("trang-thai")
    db = folder / "cong.sqlite"
    shutil.copyfile(uploaded, db)
    store = open_store(str(db))
    app = create_app(PortalConfig(db=str(db), data_dir=folder / "du-lieu", secure_cookies=False))
    try:
        overview.dashboard(store, YEAR)  # the process holds the year as uploaded
        _apply(store, fates)
        counted = overview.count_dashboard(store, YEAR).province
        # the held view, brought up to date by the units that changed, counts as the database does
        held = overview.dashboard(store, YEAR)
        everything = overview.count_dashboard(store, YEAR)
        assert held.province == everything.province and held.districts == everything.districts
        with store.read() as conn:
            fresh = overview._view_of(YEAR, (), dossier_rows.unit_rows(conn, YEAR))
        assert overview.listed_rows(store, YEAR) == list(fresh.listed.values())
        rows = overview.rows(store, YEAR)
        appraised_eligible = sum(1 for r in rows if r.state in APPRAISED and r.recognised)
        assert counted.eligible == appraised_eligible  # nothing under appraisal is ever eligible
        assert counted.pending == sum(1 for r in rows if r.state in SUBMITTED and r.state not in APPRAISED)
        # the page the province reads
        from portal_helpers import PASSWORD, TOKEN

        client = app.test_client()
        token = TOKEN.search(client.get("/dang-nhap").text).group(1)  # type: ignore[union-attr]
        client.post("/dang-nhap", data={"csrf_token": token, "login": "phuctra", "password": PASSWORD})
        assert _eligible_on_page(client.get(f"/nam/{YEAR}/tinh").text) == (counted.eligible, counted.units)
        # its JSON and workbook
        import json

        summary = json.loads(exports.results_json(store, YEAR, exports.Scope()))["summary"]
        assert (summary["recognisable"], summary["population"]) == (counted.eligible, counted.units)
        assert (summary["awaiting_appraisal"] or 0) == counted.pending
        book = load_workbook(
            io.BytesIO(exports.results_workbook(store, YEAR, exports.Scope())), read_only=True
        )
        cells = [str(c) for row in book.worksheets[0].iter_rows(values_only=True) for c in row if c]
        assert any(f"({counted.eligible}/{counted.units} đơn vị" in c for c in cells), cells[:20]
        # each team's counts and its JSON
        for team in overview.count_dashboard(store, YEAR).districts:
            mine = overview.Counts(team.name)
            for r in overview.rows(store, YEAR, team.name):
                mine.add(r)
            assert (mine.eligible, mine.units, mine.pending) == (team.eligible, team.units, team.pending)
            theirs = json.loads(exports.results_json(store, YEAR, exports.Scope(district=team.name)))[
                "summary"
            ]
            assert (theirs["recognisable"], theirs["population"]) == (team.eligible, team.units)
        # cqtt score --units on the evidence the dashboard exports
        evidence = folder / "minh-chung.xlsx"
        evidence.write_bytes(exports.template(store, YEAR, exports.Scope(), filled=True))
        if counted.appraised:
            cli = jobs.score([evidence], "bac-giang@2024", None, None, folder / "k.json", units_path=UNITS)
            assert (cli.run.summary.recognisable, cli.run.summary.population) == (
                counted.eligible,
                counted.units,
            )
    finally:
        app.extensions["cqtt.store"].close()
        store.close()
