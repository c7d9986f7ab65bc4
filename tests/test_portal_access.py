"""Authorization as a matrix over the application's own route table: every route × every role ×
an object inside and outside the role's scope, on SQLite and on a real PostgreSQL server.

The expected rules are written out here, independently of engine.portal.policy: a route added
to the portal without a line in EXPECTED fails the first test.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from portal_helpers import DISTRICT, OTHER_DISTRICT, YEAR, Portal, csrf_of, full_unit_values, make_portal

from engine.portal import accounts, dossiers, files

ALL = "all"
OWN = "own"
EVERYONE = {r: ALL for r in ("xa", "huyen", "tinh", "chinh-sach", "quan-tri")}
UNIT_VIEW = {"xa": OWN, "huyen": OWN, "tinh": ALL}
DISTRICT_VIEW = {"huyen": OWN, "tinh": ALL}

# endpoint -> role -> scope it is allowed in (absent: refused everywhere)
EXPECTED: dict[str, dict[str, str]] = {
    "auth.logout": EVERYONE,
    "auth.change_password": EVERYONE,
    "auth.my_sessions": EVERYONE,
    "auth.sign_out_elsewhere": EVERYONE,
    "home.index": EVERYONE,
    "units.page": UNIT_VIEW,
    "units.result_json": UNIT_VIEW,
    "units.appraisal_record": UNIT_VIEW,
    "units.attachment": UNIT_VIEW,
    "units.attachment_view": UNIT_VIEW,
    "units.form": {"xa": OWN},
    "units.check": {"xa": OWN},
    "units.withdraw": {"xa": OWN},
    "units.reopen": {"tinh": ALL},
    "units.attach": {"xa": OWN, "huyen": OWN, "tinh": ALL},
    "units.verify": {"huyen": OWN},
    "units.clarify": {"huyen": OWN},
    "units.finalise": {"huyen": OWN},
    "districts.page": DISTRICT_VIEW,
    "lists.team": DISTRICT_VIEW,
    "lists.team_xlsx": DISTRICT_VIEW,
    "lists.province": {"tinh": ALL},
    "lists.province_xlsx": {"tinh": ALL},
    "lists.surveys_page": {"tinh": ALL},
    "lists.surveys_page_xlsx": {"tinh": ALL},
    "lists.decisions": {"tinh": ALL},
    "lists.decisions_xlsx": {"tinh": ALL},
    "districts.results_xlsx": DISTRICT_VIEW,
    "districts.results_json": DISTRICT_VIEW,
    "districts.proposal_list": DISTRICT_VIEW,
    "districts.appraisal_records": DISTRICT_VIEW,
    "districts.appraisal_records_file": DISTRICT_VIEW,
    "districts.evidence_xlsx": DISTRICT_VIEW,
    "districts.template_xlsx": DISTRICT_VIEW,
    "districts.upload": {"huyen": OWN},
    "districts.send": {"huyen": OWN},
    "province.dashboard": {"tinh": ALL},
    "province.results_xlsx": {"tinh": ALL},
    "province.results_json": {"tinh": ALL},
    "province.evidence_xlsx": {"tinh": ALL},
    "province.set_deadlines": {"tinh": ALL},
    "review.page": {"tinh": ALL},
    "units.move": {"tinh": ALL},
    "review.draw": {"tinh": ALL},
    "review.assign": {"tinh": ALL},
    "review.field_check": {"tinh": ALL},
    "review.field_record": {"tinh": ALL},
    "review.decide": {"tinh": ALL},
    "review.revoke": {"tinh": ALL},
    "review.answer": {"tinh": ALL},
    "review.decision_list": {"tinh": ALL},
    "review.appeal": {"xa": OWN},
    "surveys.unit_page": UNIT_VIEW,
    "surveys.qr": UNIT_VIEW,
    "surveys.poster": UNIT_VIEW,
    "surveys.card": UNIT_VIEW,
    "surveys.team_posters": DISTRICT_VIEW,
    "surveys.province": {"tinh": ALL},
    "surveys.set_window": {"tinh": ALL},
    "surveys.close": {"tinh": ALL},
    "surveys.refresh": {"tinh": ALL},
    "surveys.responses_csv": {"tinh": ALL},
    "surveys.tallies_xlsx": {"tinh": ALL},
    "rules.listing": {"tinh": ALL, "chinh-sach": ALL},
    "rules.show": {"tinh": ALL, "chinh-sach": ALL},
    "rules.draft": {"chinh-sach": ALL},
    "admin.accounts_page": {"quan-tri": ALL},
    "admin.disable": {"quan-tri": ALL},
    "admin.enable": {"quan-tri": ALL},
    "admin.add_communes": {"quan-tri": ALL},
    "admin.accounts_xlsx": {"quan-tri": ALL},
    "admin.reset": {"quan-tri": ALL},
    "admin.units_page": {"quan-tri": ALL},
    "admin.log": {"quan-tri": ALL},
    "admin.log_xlsx": {"quan-tri": ALL},
}
PUBLIC = {"static", "auth.login", "survey_public.form", "survey_public.thanks"}  # tested apart
ACTORS = ["xa", "huyen", "tinh", "chinh-sach", "quan-tri", None]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def portal(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Portal:
    folder = tmp_path_factory.mktemp("cong")
    if request.param == "sqlite":
        db = str(folder / "cong.sqlite")
    else:
        db = request.getfixturevalue("pg_server").create_database(f"cqtt_cong_{id(folder) % 100000}")
    made = make_portal(db, folder)
    _stage(made)
    yield made
    made.close()


def _stage(portal: Portal) -> None:
    """The commune inside the scopes has an appraised application with an attachment; the one
    outside has a submitted one with an attachment; a spare account is there to be disabled."""
    for code, login in ((portal.unit, "xa"), (portal.outsider, "xa-khac")):
        from portal_helpers import submit_dossier

        assert submit_dossier(portal.client(login), code, full_unit_values()).status_code == 200
    declared = dossiers.latest(
        dossiers.versions(portal.store, dossiers.dossier(portal.store, YEAR, portal.unit).id), "declared"
    )
    dossiers.save_verified(portal.store, None, "test", YEAR, portal.unit, declared.data, {})
    dossiers.finalise(portal.store, None, "test", YEAR, portal.unit)
    for code, login in ((portal.unit, "xa"), (portal.outsider, "xa-khac")):
        d = dossiers.dossier(portal.store, YEAR, code)
        uploader = accounts.find(portal.store, portal.logins[login])
        document = io.BytesIO(b"%PDF-1.4 to trinh " + code.encode())
        files.add(
            portal.store, uploader, "test", d.id, "doc:to_trinh", document,
            f"to-trinh-{code}.pdf", portal.config.files, 10**6, code,
        )  # fmt: skip
    accounts.add(portal.store, "nan-nhan", "tinh")


def _attachment_of(portal: Portal, code: str) -> int:
    d = dossiers.dossier(portal.store, YEAR, code)
    return files.listing(portal.store, d.id)[0].id


def _victim(portal: Portal) -> int:
    return accounts.find(portal.store, "nan-nhan").id


def test_every_route_has_an_expected_rule(portal: Portal) -> None:
    endpoints = {rule.endpoint for rule in portal.app.url_map.iter_rules()}
    assert endpoints - PUBLIC == set(EXPECTED)


def _url(portal: Portal, rule: object, inside: bool) -> str:
    args = {}
    for name in rule.arguments:  # type: ignore[attr-defined]
        args[name] = {
            "year": YEAR,
            "code": portal.unit if inside else portal.outsider,
            "district": DISTRICT if inside else OTHER_DISTRICT,
            "attachment_id": _attachment_of(portal, portal.unit if inside else portal.outsider),
            "ref": "bac-giang@2024",
            "account_id": _victim(portal),
            "appeal_id": 1,
            "form_id": "pks01",
        }[name]
    with portal.app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **args)  # type: ignore[attr-defined]


def _allowed(endpoint: str, actor: str | None, inside: bool) -> bool:
    scope = EXPECTED[endpoint].get(actor) if actor else None
    return scope == ALL or (scope == OWN and inside)


@pytest.mark.parametrize("actor", ACTORS, ids=lambda a: a or "khach")
def test_every_route_refuses_or_serves_as_the_matrix_says(portal: Portal, actor: str | None) -> None:
    client = portal.client(actor)
    token = csrf_of(client, "/doi-mat-khau" if actor else "/dang-nhap")
    wrong: list[str] = []
    for rule in portal.app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        for inside in (True, False):
            url = _url(portal, rule, inside)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                use = portal.client(actor) if rule.endpoint == "auth.logout" else client
                if use is not client:
                    data = {"csrf_token": csrf_of(use, "/doi-mat-khau" if actor else "/dang-nhap")}
                else:
                    data = {"csrf_token": token}
                response = use.open(url, method=method, data=data if method == "POST" else None)
                to_login = response.status_code in (301, 302) and "/dang-nhap" in response.headers.get(
                    "Location", ""
                )
                refused = response.status_code in (401, 403) or (to_login and rule.endpoint != "auth.logout")
                if actor is None and rule.endpoint == "auth.logout":
                    refused = response.status_code in (401, 403)
                expected = _allowed(rule.endpoint, actor, inside)
                if refused == expected or response.status_code >= 500:
                    wrong.append(
                        f"{method} {url} as {actor or 'khách'}: {response.status_code} "
                        f"(expected {'served' if expected else 'refused'})"
                    )
    assert wrong == []


def test_refusals_are_in_the_audit_log(portal: Portal) -> None:
    """Each refusal is recorded, once a minute for the same account, rule and page: an account
    hammering a page adds one row, not one a request."""
    from engine.portal.audit import entries

    client = portal.client("xa")
    path = f"/nam/{YEAR}/don-vi/{portal.neighbour}"  # another commune of the same team
    before = len(entries(portal.store, login=portal.logins["xa"]))
    for _ in range(5):
        response = client.get(path)
        assert response.status_code == 403
    assert "Tài khoản của bạn không được xem hoặc làm việc này." in response.text
    found = entries(portal.store, login=portal.logins["xa"])
    last = found[-1]
    assert (last.action, last.target) == ("refused", path)
    assert [e.action for e in found[before:]].count("refused") == 1


def test_unknown_units_and_districts_are_not_found_not_leaked(portal: Portal) -> None:
    tinh = portal.client("tinh")
    assert tinh.get(f"/nam/{YEAR}/don-vi/99999").status_code == 404
    assert tinh.get(f"/nam/{YEAR}/huyen/Huyện Không Có").status_code == 404
    assert tinh.get("/tep/999999").status_code == 404
    xa = portal.client("xa")
    assert xa.get(f"/nam/{YEAR}/don-vi/99999").status_code == 404  # before any scope question
    assert re.search(r"Không tìm thấy", xa.get("/khong-co").text)


def test_a_route_without_a_rule_is_refused(tmp_path: Path) -> None:
    """The app refuses an endpoint nobody declared a rule for, whoever asks."""
    made = make_portal(str(tmp_path / "c.sqlite"), tmp_path)
    made.app.add_url_rule("/khong-khai-bao", "undeclared", lambda: "bí mật")
    for actor in ("tinh", "quan-tri", None):
        response = made.client(actor).get("/khong-khai-bao")
        assert response.status_code == 403 and "bí mật" not in response.text
    made.close()
