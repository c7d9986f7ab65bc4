"""The province's review in the portal: the field-check sample (the draw of `cqtt sample`), the
values found on site as a third version of the evidence, the re-check kept in the history store,
decisions that cannot silently contradict the scores, appeals within the rule file's period, the
decision list for signature, revocations. Through the application's routes (Flask's client) on
SQLite; the access matrix and the browser flow are in their own files."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from portal_helpers import (
    APPEAL_STEPS,
    ROOT,
    YEAR,
    Portal,
    as_form,
    csrf_of,
    full_unit_values,
    in_order,
    list_book,
    list_rows,
    make_portal,
    set_password,
    unit_url,
)

from cli import main
from engine import jobs
from engine.clock import today
from engine.portal import accounts, audit, dossiers, files, listing, review
from engine.portal.demo import appraise_as_submitted
from engine.portal.overview import rows as unit_rows
from engine.store.history import unit_history


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Portal:
    """The 2024 sample submitted and appraised as it stands, with 2023's results in the history
    (units proposed in 2023 are not first proposals in 2024)."""
    folder = tmp_path_factory.mktemp("phuc-tra")
    db = str(folder / "cong.sqlite")
    jobs.score([ROOT / "samples/bac-giang-2023.xlsx"], "bac-giang@2023", None, None, None, db=db)
    made = make_portal(db, folder)
    done = dossiers.upload_workbook(
        made.store, None, "test", YEAR, None, ROOT / "samples/bac-giang-2024.xlsx", "bac-giang-2024.xlsx"
    )
    appraise_as_submitted(made.store, YEAR, done.submitted)
    accounts.add(made.store, "kiemtra", "tinh", None, None, "Người kiểm tra thực địa")
    set_password(made.store, "kiemtra")
    yield made
    made.close()


def _commune(portal: Portal, code: str) -> object:
    """A client signed in as the commune `code` (its account made on first use)."""
    login = f"xa{code}"
    try:
        accounts.find(portal.store, login)
    except accounts.AccountError:
        accounts.add(portal.store, login, "xa", code, None)
        set_password(portal.store, login)
    portal.logins[login] = login
    return portal.client(login)


def _post(client: object, path: str, data: dict[str, str]) -> object:
    return client.post(path, data={"csrf_token": csrf_of(client), **data}, follow_redirects=True)  # type: ignore[attr-defined]


def _recognised(portal: Portal, recognised: bool, skip: set[str] = frozenset(), sampled: bool = False) -> str:  # type: ignore[assignment]
    """A unit whose current result is (or is not) eligible, proposed, not used by another test
    (`sampled`: one of the field-check sample nobody is assigned to; drawn here if not yet)."""
    if sampled and not review.sample_of(portal.store, YEAR):
        _post(portal.client("tinh"), f"/nam/{YEAR}/phuc-tra/mau", {"n": "8", "seed": "11"})
    free = {c.code for c in review.sample_of(portal.store, YEAR) if c.checker is None}
    for r in unit_rows(portal.store, YEAR):
        if sampled and r.unit.code not in free:
            continue
        d = dossiers.dossier(portal.store, YEAR, r.unit.code)
        version = dossiers.current(portal.store, d) if d else None
        if version is None or version.score is None or r.unit.code in skip:
            continue
        if version.score.recognised == recognised and version.score.proposed:
            if not review.decisions_of(portal.store, YEAR, r.unit.code):
                return r.unit.code
    raise AssertionError("no such unit in the sample")


USED: set[str] = set()


def test_the_portal_draws_the_sample_cqtt_sample_draws(year: Portal, tmp_path: Path) -> None:
    tinh = year.client("tinh")
    page = _post(tinh, f"/nam/{YEAR}/phuc-tra/mau", {"n": "8", "seed": "11"})
    assert "Đã chọn 8 đơn vị để kiểm tra thực địa (hạt giống 11)." in page.text
    portal_draw = review.sample_of(year.store, YEAR)

    results = tmp_path / "ket-qua.json"
    jobs.score([ROOT / "samples/bac-giang-2024.xlsx"], "bac-giang@2024", None, None, results)
    cli_draw = jobs.sample(
        results, None, 8, 11, tmp_path / "mau.xlsx", None, db=year.config.db
    )  # the same store: units proposed in 2023 are not first proposals
    assert sorted((c.code, c.weight, sorted(c.risks)) for c in portal_draw) == sorted(
        (u.code, u.weight, sorted(u.risks)) for u in cli_draw.units
    )
    assert any("first_proposal" in c.risks for c in portal_draw)
    assert any("first_proposal" not in c.risks for c in portal_draw)  # 2023's proposals weigh less

    again = _post(tinh, f"/nam/{YEAR}/phuc-tra/mau", {"n": "8", "seed": "11"})
    assert [c.code for c in review.sample_of(year.store, YEAR)] == [c.code for c in portal_draw]
    assert again.status_code == 200
    bad = _post(tinh, f"/nam/{YEAR}/phuc-tra/mau", {"n": "tám", "seed": "11"})
    assert "Số đơn vị và hạt giống phải là số nguyên." in bad.text

    first = portal_draw[0].code
    assigned = _post(tinh, f"/nam/{YEAR}/phuc-tra/mau/{first}/phan-cong", {"checker": "kiemtra"})
    assert f"Đã phân công kiểm tra {first}." in assigned.text
    assert next(c for c in review.sample_of(year.store, YEAR) if c.code == first).checker == "kiemtra"
    refused = _post(tinh, f"/nam/{YEAR}/phuc-tra/mau/{first}/phan-cong", {"checker": year.logins["huyen"]})
    assert "không phải tài khoản phúc tra của tỉnh đang dùng" in refused.text


def test_a_field_check_that_finds_a_disqualifier(year: Portal) -> None:
    code = _recognised(year, True, USED, sampled=True)
    USED.add(code)
    checker = year.client("tinh")
    d = dossiers.dossier(year.store, YEAR, code)
    commune = accounts.find(year.store, year.logins["xa"])
    filed = files.add(
        year.store, commune, "test", d.id, "doc:to_trinh", io.BytesIO(b"%PDF-1.4 to trinh"), "to-trinh.pdf",
        year.config.files, 10**6, f"{YEAR}/{code}",
    )  # fmt: skip
    form = checker.get(unit_url(code, "/thuc-dia"))
    assert form.status_code == 200 and "Lý do khi khác tổ thẩm định" in form.text
    # the commune's file beside the document it is, opened in the page's viewer
    beside = re.search(r'<ul class="plain files-beside"><li>Tờ trình của UBND xã.*?</li>', form.text, re.S)
    assert beside and f'href="/tep/{filed.id}/xem" target="xem-tep"' in beside.group(0)
    assert '<iframe name="xem-tep"' in form.text

    d = dossiers.dossier(year.store, YEAR, code)
    team = dossiers.current(year.store, d)
    values = dict(team.data)
    values["vu_viec_sach_nhieu"] = "Có"
    without_reason = checker.post(
        unit_url(code, "/thuc-dia"), data={"csrf_token": csrf_of(checker), **as_form(values)}
    )
    assert without_reason.status_code == 400
    assert "Còn 1 giá trị khác tổ thẩm định chưa ghi lý do" in without_reason.text
    assert dossiers.latest(dossiers.versions(year.store, d.id), "field") is None

    saved = checker.post(
        unit_url(code, "/thuc-dia"),
        data={
            "csrf_token": csrf_of(checker),
            **as_form(values),
            "ly_do__vu_viec_sach_nhieu": "Biên bản tiếp công dân tháng 9 ghi nhận vụ việc đã xác minh",
        },
        follow_redirects=True,
    )
    assert "Đã lưu kết quả kiểm tra thực địa" in saved.text
    field = dossiers.current(year.store, dossiers.dossier(year.store, YEAR, code))
    assert field.kind == "field" and field.score is not None
    assert not field.score.recognised and team.score.recognised
    assert any(b.startswith("Điểm liệt") for b in field.score.result.blocking)
    assert field.notes == {
        "vu_viec_sach_nhieu": "Biên bản tiếp công dân tháng 9 ghi nhận vụ việc đã xác minh"
    }
    assert "Điểm của tổ thẩm định" in saved.text and "Quyết định dựa trên điểm phúc tra" in saved.text
    # the same check saved again from a page opened before (another tablet): refused, kept as typed
    stale = checker.post(
        unit_url(code, "/thuc-dia"),
        data={"csrf_token": csrf_of(checker), **as_form(team.data), "base": "0"},
    )
    assert stale.status_code == 409
    assert "đã lưu kết quả kiểm tra thực địa lúc" in stale.text and "sau khi trang này được mở" in stale.text
    assert dossiers.current(year.store, dossiers.dossier(year.store, YEAR, code)).id == field.id

    # the record of the check, to sign at the commune: the value found beside the team's, the reason
    record = checker.get(unit_url(code, "/bien-ban-kiem-tra.docx"))
    assert record.status_code == 200 and record.mimetype.endswith("wordprocessingml.document")
    with zipfile.ZipFile(io.BytesIO(record.data)) as z:
        rows = [
            [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<w:tc>.*?</w:tc>", r, re.S)]
            for r in re.findall(r"<w:tr[ >].*?</w:tr>", z.read("word/document.xml").decode(), re.S)
        ]
    found = next(r for r in rows if "gây phiền hà, sách nhiễu" in "".join(r))
    assert found[2:] == ["Không", "Có", "khác", "Biên bản tiếp công dân tháng 9 ghi nhận vụ việc đã xác minh"]
    assert (
        checker.get(unit_url(_recognised(year, True, USED | {code}), "/bien-ban-kiem-tra.docx")).status_code
        == 404
    )

    # the re-check page lists it first; the history store keeps the re-check
    page = checker.get(f"/nam/{YEAR}/phuc-tra")
    table = page.text[page.text.index('id="bang-phuc-tra"') :]
    assert table.index(code) < table.index("</tbody>")
    body = table[table.index("<tbody>") :]
    first_row = body[: body.index("</tr>")]
    assert code in first_row and "Đủ điều kiện → <strong>Chưa đạt" in first_row
    kept = unit_history(year.store, code).years[-1].recheck
    assert kept is not None
    assert (kept.team_total, kept.province_total) == (team.score.total, field.score.total)
    assert kept.disqualified and kept.field_checked and not kept.province_recognised


def test_a_decision_against_the_result_needs_a_reason_and_is_flagged(year: Portal) -> None:
    code = _recognised(year, False, USED)
    USED.add(code)
    tinh = year.client("tinh")
    decision = {"decision": "recognised", "number": "21/QĐ-UBND", "date": today().strftime("%d/%m/%Y")}
    refused = _post(tinh, unit_url(code, "/quyet-dinh"), decision)
    assert (
        "Chưa ghi quyết định: quyết định trái với kết quả chấm: công nhận dù kết quả thẩm định chưa đạt "
        "chuẩn (điểm thẩm định" in refused.text
    )
    assert review.decisions_of(year.store, YEAR, code) == []

    stored = _post(
        tinh, unit_url(code, "/quyet-dinh"), {**decision, "reason": "Xã đã khắc phục, UBND tỉnh chấp thuận"}
    )
    assert "gắn cảnh báo: trái với kết quả chấm" in stored.text
    [row] = review.decisions_of(year.store, YEAR, code)
    assert row.contradiction and row.reason == "Xã đã khắc phục, UBND tỉnh chấp thuận" and row.basis == "to"
    assert "CẢNH BÁO: trái với kết quả chấm" in stored.text
    assert any(c == code for c, _, _ in review.summary(year.store, YEAR)["flagged"])
    dashboard = tinh.get(f"/nam/{YEAR}/tinh")
    assert 'id="quyet-dinh-trai"' in dashboard.text and code in dashboard.text
    logged = [e for e in audit.entries(year.store) if e.action == "decided" and e.target == f"{YEAR}/{code}"]
    assert logged and logged[-1].details["contradiction"] == row.contradiction

    shown = CliRunner().invoke(main, ["history", code, "--db", year.config.db])
    assert shown.exit_code == 0, shown.output
    assert "quyết định: Công nhận (số 21/QĐ-UBND" in shown.output
    assert f"CẢNH BÁO: quyết định {row.contradiction}; lý do ghi kèm: Xã đã khắc phục" in shown.output
    assert "(hồ sơ trên cổng)" in shown.output

    # a date outside the year's window, a decision without a number: refused
    late = _post(tinh, unit_url(code, "/quyet-dinh"), {**decision, "date": "31/12/2023", "reason": "x"})
    assert f"ngày quyết định phải trong khoảng 01/01/{YEAR} đến hôm nay" in late.text
    bare = _post(tinh, unit_url(code, "/quyet-dinh"), {"decision": "not_recognised", "number": ""})
    assert "cần số và ngày quyết định" in bare.text


def test_an_appeal_in_time_accepted_and_decided_again(year: Portal) -> None:
    code = _recognised(year, False, USED)
    USED.add(code)
    tinh, xa = year.client("tinh"), _commune(year, code)
    decided_on = today()
    _post(
        tinh,
        unit_url(code, "/quyet-dinh"),
        {"decision": "not_recognised", "number": "30/QĐ-UBND", "date": decided_on.strftime("%d/%m/%Y")},
    )
    [first] = review.decisions_of(year.store, YEAR, code)
    assert first.contradiction is None  # consistent with the result: no reason needed

    deadline = decided_on + dt.timedelta(days=15)  # appeals: days 15 (proposed) in bac-giang@2024
    page = xa.get(unit_url(code))
    assert f'<strong id="han-kien-nghi">{deadline:%d/%m/%Y}</strong>' in page.text
    assert "(thời hạn đề xuất của bản mẫu)" in page.text
    empty = _post(xa, unit_url(code, "/kien-nghi"), {"grounds": "  "})
    assert "Không gửi được kiến nghị: cần ghi nội dung kiến nghị." in empty.text
    filed = _post(
        xa, unit_url(code, "/kien-nghi"), {"grounds": "Tỷ lệ hài lòng tính thiếu 40 phiếu của thôn Đồng"}
    )
    assert "Đã gửi kiến nghị" in filed.text
    twice = _post(xa, unit_url(code, "/kien-nghi"), {"grounds": "lần hai"})
    assert "đã có một kiến nghị đang được xem xét" in twice.text
    [appeal] = review.appeals_of(year.store, YEAR, code)
    assert (appeal.state, appeal.deadline, appeal.decision_id) == ("open", deadline, first.id)
    assert any(a.code == code for a in review.summary(year.store, YEAR)["appeals"])

    # the commune cannot answer its own appeal nor decide (the matrix covers every route)
    assert (
        xa.post(
            unit_url(code, f"/kien-nghi/{appeal.id}/tra-loi"), data={"csrf_token": csrf_of(xa)}
        ).status_code
        == 403
    )

    no_reason = _post(tinh, unit_url(code, f"/kien-nghi/{appeal.id}/tra-loi"), {"accept": "co", "answer": ""})
    assert "cần ghi lý do trả lời kiến nghị" in no_reason.text
    accepted = _post(
        tinh,
        unit_url(code, f"/kien-nghi/{appeal.id}/tra-loi"),
        {"accept": "co", "answer": "Đã đối chiếu phiếu: tính lại"},
    )
    assert "Đã chấp nhận kiến nghị" in accepted.text
    assert f'name="appeal" value="{appeal.id}"' in accepted.text  # the next decision answers it

    # the province re-scores (a new version of the evidence) and decides again
    d = dossiers.dossier(year.store, YEAR, code)
    team = dossiers.current(year.store, d)
    values = {**team.data, "de_nghi": "Có"}
    fixed = dict(values)
    fixed.update(full_unit_values())  # what the province found on checking the appeal
    changed = {k: "Đối chiếu lại theo kiến nghị" for k in fixed if fixed.get(k, "") != team.data.get(k, "")}
    saved = review.save_field(
        year.store, accounts.find(year.store, "phuctra"), "test", YEAR, code, fixed, changed
    )
    assert saved.score.recognised
    second = _post(
        tinh,
        unit_url(code, "/quyet-dinh"),
        {
            "decision": "recognised",
            "number": "31/QĐ-UBND",
            "date": today().strftime("%d/%m/%Y"),
            "appeal": str(appeal.id),
        },
    )
    assert "Đã ghi quyết định." in second.text
    rows = review.decisions_of(year.store, YEAR, code)
    assert [r.decision for r in rows] == ["not_recognised", "recognised"]
    assert rows[1].replaces == first.id and rows[1].basis == "tinh" and rows[1].contradiction is None
    [appeal] = review.appeals_of(year.store, YEAR, code)
    assert (appeal.state, appeal.new_decision_id) == ("accepted", rows[1].id)
    again = _post(
        tinh,
        unit_url(code, "/quyet-dinh"),
        {
            "decision": "recognised",
            "number": "32/QĐ-UBND",
            "date": today().strftime("%d/%m/%Y"),
            "appeal": str(appeal.id),
        },
    )
    assert "kiến nghị này chưa được chấp nhận hoặc đã có quyết định mới" in again.text

    # every step in the unit's timeline and in the history
    timeline = xa.get(unit_url(code)).text
    timeline = timeline[timeline.index("Quá trình xử lý") :]
    assert in_order(timeline, APPEAL_STEPS)
    shown = CliRunner().invoke(main, ["history", code, "--db", year.config.db])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    expected = [
        "  quyết định trước: Không công nhận (số 30/QĐ-UBND",
        "  kiến nghị của xã ngày",
        "  quyết định: Công nhận (số 31/QĐ-UBND",
    ]
    found = [next(i for i, line in enumerate(lines) if line.startswith(e)) for e in expected]
    assert found == sorted(found)
    assert "tỉnh chấp nhận — Đã đối chiếu phiếu: tính lại" in shown.output
    assert "theo điểm phúc tra của tỉnh" in shown.output and "thay quyết định trước" in shown.output
    history = json.loads(CliRunner().invoke(main, ["history", code, "--db", year.config.db, "--json"]).output)
    last = history["years"][-1]
    assert [d["number"] for d in last["replaced"]] == ["30/QĐ-UBND"]
    assert last["appeals"][0]["new_decision_id"] == last["decision"]["id"]


def test_a_late_appeal_is_refused_with_its_deadline(year: Portal) -> None:
    code = _recognised(year, False, USED)
    USED.add(code)
    tinh, xa = year.client("tinh"), _commune(year, code)
    _post(
        tinh,
        unit_url(code, "/quyet-dinh"),
        {"decision": "not_recognised", "number": "40/QĐ-UBND", "date": "01/12/2024"},
    )
    page = xa.get(unit_url(code))
    assert (
        "Đã hết thời hạn kiến nghị: hạn cuối 16/12/2024 (quyết định số 40/QĐ-UBND ngày 01/12/2024)."
        in page.text
    )
    assert 'name="grounds"' not in page.text
    refused = _post(xa, unit_url(code, "/kien-nghi"), {"grounds": "Xin xem lại"})
    assert (
        "Không gửi được kiến nghị: đã hết thời hạn kiến nghị: quyết định số 40/QĐ-UBND ngày 01/12/2024, "
        "hạn cuối 16/12/2024." in refused.text
    )
    assert review.appeals_of(year.store, YEAR, code) == []


def test_no_appeal_when_the_rule_file_sets_no_period(year: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    code = _recognised(year, False, USED)
    USED.add(code)
    tinh = year.client("tinh")
    _post(
        tinh,
        unit_url(code, "/quyet-dinh"),
        {"decision": "not_recognised", "number": "41/QĐ-UBND", "date": today().strftime("%d/%m/%Y")},
    )
    loaded = review.criteria_of(year.store, YEAR)
    without = SimpleNamespace(model=loaded.model.model_copy(update={"appeals": None}))
    monkeypatch.setattr(review, "criteria_of", lambda store, year: without)
    with pytest.raises(review.ReviewError, match="bộ tiêu chí không quy định thời hạn kiến nghị"):
        review.file_appeal(
            year.store, accounts.find(year.store, "phuctra"), "test", YEAR, code, "xin xem lại"
        )


def test_revocation_from_the_portal_is_kept_in_history(year: Portal) -> None:
    code = _recognised(year, True, USED)
    USED.add(code)
    tinh = year.client("tinh")
    day = today().strftime("%d/%m/%Y")
    _post(
        tinh, unit_url(code, "/quyet-dinh"), {"decision": "recognised", "number": "50/QĐ-UBND", "date": day}
    )
    without = _post(tinh, unit_url(code, "/thu-hoi"), {"number": "51/QĐ-UBND", "date": day, "reason": ""})
    assert (
        "Chưa thu hồi: cần số quyết định (ô “Số quyết định thu hồi”) và lý do (ô “Lý do thu hồi”) "
        "không để trống." in without.text
    )
    one_line = _post(tinh, unit_url(code, "/thu-hoi"), {"number": "51/\nQĐ", "date": day, "reason": "Sai"})
    assert "số quyết định là một dòng (ví dụ 45/QĐ-UBND)" in one_line.text  # as `cqtt revoke` checks
    done = _post(
        tinh,
        unit_url(code, "/thu-hoi"),
        {"number": "51/QĐ-UBND", "date": day, "reason": "Phát hiện vi phạm sau công nhận"},
    )
    assert "Đã ghi quyết định thu hồi công nhận." in done.text
    current, revoked = review.current_decision(year.store, YEAR, code)
    assert current.number == "50/QĐ-UBND" and revoked is not None and revoked.number == "51/QĐ-UBND"
    shown = CliRunner().invoke(main, ["history", code, "--db", year.config.db])
    assert "THU HỒI công nhận (số 51/QĐ-UBND" in shown.output
    assert "Thu hồi công nhận" in tinh.get(unit_url(code)).text


def test_the_decision_list_lists_the_recognised_units(year: Portal, tmp_path: Path) -> None:
    """The .docx for signature holds every unit whose current decision recognises it, and only
    those; its rendering in LibreOffice is checked in test_records."""
    from docx import Document

    tinh = year.client("tinh")
    response = tinh.get(f"/nam/{YEAR}/danh-sach-cong-nhan.docx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    path = tmp_path / "ds.docx"
    path.write_bytes(response.data)
    text = "\n".join(
        [p.text for p in Document(str(path)).paragraphs]
        + [c.text for t in Document(str(path)).tables for row in t.rows for c in row.cells]
    )
    recognised = []
    for r in unit_rows(year.store, YEAR):
        current, revoked = review.current_decision(year.store, YEAR, r.unit.code)
        if current is not None and current.decision == "recognised" and revoked is None:
            recognised.append(r.unit.name)
    assert recognised
    for name in recognised:
        assert name in text
    refused = [
        r.unit.name
        for r in unit_rows(year.store, YEAR)
        if (c := review.current_decision(year.store, YEAR, r.unit.code)[0]) is not None
        and c.decision != "recognised"
    ]
    assert refused and not any(f"\n{name}\n" in f"\n{text}\n" for name in refused)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text


def test_the_decisions_are_a_list_searched_filtered_and_downloaded_as_shown(year: Portal) -> None:
    """Each unit with a decision appears once with its current decision (a revocation shown as
    such); the filter on decisions against the scores keeps exactly those the review page flags;
    the download holds the rows as shown."""
    tinh = year.client("tinh")
    page = tinh.get(f"/nam/{YEAR}/quyet-dinh", query_string={"sap_xep": "code"})
    assert page.status_code == 200
    rows = list_rows(page)
    current = {}
    for r in unit_rows(year.store, YEAR):
        decided, revoked = review.current_decision(year.store, YEAR, r.unit.code)
        if decided is not None:
            current[r.unit.code] = "Thu hồi công nhận" if revoked else review.DECISIONS[decided.decision]
    assert len(current) >= 4  # the earlier tests' decisions, appeals and revocation
    assert {r[0]: r[3] for r in rows} == current and [r[0] for r in rows] == sorted(current)
    flagged = {code for code, _, _ in review.summary(year.store, YEAR)["flagged"]}
    against = list_rows(tinh.get(f"/nam/{YEAR}/quyet-dinh", query_string={"contradicts": "co"}))
    assert flagged and {r[0] for r in against} == flagged and all(r[7] for r in against)
    some = next(r for r in rows if r[0] == next(iter(current)))
    words = listing.folded(some[1]).split()[-2:]  # "Phường Ngô Quyền" sought as "ngo quyen"
    found = list_rows(tinh.get(f"/nam/{YEAR}/quyet-dinh", query_string={"q": " ".join(words)}))
    assert some in found and all(words[-1] in listing.folded(r[1]) for r in found)
    data = tinh.get(f"/nam/{YEAR}/quyet-dinh.xlsx", query_string={"sap_xep": "code"})
    assert data.status_code == 200
    book = list_book(data.data)
    assert [r[:5] + r[7:] for r in book] == [r[:5] + r[7:] for r in rows]
    assert [r[5][:10] for r in book] == ["-".join(reversed(r[5].split("/"))) for r in rows]  # a date
    assert [float(r[6] or 0) for r in book] == [float(r[6].replace(",", ".") or 0) for r in rows]
    assert year.client("huyen").get(f"/nam/{YEAR}/quyet-dinh").status_code == 403


def test_an_uploaded_application_verified_unchanged_needs_no_reason(tmp_path: Path) -> None:
    """A workbook names the items of a list by label ("Tờ trình; Báo cáo"); the form sends them back
    as ticked boxes. The same list is not a correction: no reason is asked for it."""
    made = make_portal(str(tmp_path / "c.sqlite"), tmp_path)
    try:
        dossiers.upload_workbook(
            made.store, None, "test", YEAR, None, ROOT / "samples/bac-giang-2024.xlsx", "bac-giang-2024.xlsx"
        )
        d = dossiers.dossier(made.store, YEAR, made.unit)
        declared = dossiers.latest(dossiers.versions(made.store, d.id), "declared")
        assert any(";" in declared.data.get(k, "") for k in ("ho_so", "trang_thiet_bi_mot_cua"))
        huyen = made.client("huyen")
        saved = huyen.post(
            unit_url(made.unit, "/tham-dinh"),
            data={"csrf_token": csrf_of(huyen), **as_form(declared.data)},
            follow_redirects=True,
        )
        assert "Đã lưu kết quả xác minh" in saved.text, saved.text[-3000:]
        verified = dossiers.latest(dossiers.versions(made.store, d.id), "verified")
        assert verified is not None and verified.notes == {}
        assert verified.score.total == declared.score.total
    finally:
        made.close()
