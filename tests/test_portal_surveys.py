"""Citizens' surveys online, through the application's routes (Flask's client) on SQLite: links
that cannot be guessed, collection windows, answers checked, contacts kept only as keyed hashes,
the limits per address, form and contact, and the tallies: the responses posted through the form
and the same responses exported to CSV and run through `cqtt survey tally` give the same counts.
The phone-sized browser flow and the printed poster are in test_portal_surveys_browser.py."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import io
import re
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import segno
from browser_helpers import start, stop
from click.testing import CliRunner
from openpyxl import load_workbook
from portal_helpers import DISTRICT, ROOT, Portal, csrf_of, list_book, list_rows, make_portal, sample_for_year

from cli import main
from engine.clock import now, today
from engine.intake.csvtext import excel_text
from engine.portal import dossiers, listing, surveys, units
from engine.portal.demo import appraise_as_submitted
from engine.portal.roles import Account
from engine.store.schema import survey_hits, survey_responses

UNITS = ROOT / "samples/units/bac-giang.csv"
# A response counts only in its own year (as with `cqtt survey tally --year`): the portal's year here
# is the current one, with the 2024 rules and sample.
THIS_YEAR = today().year
LAST_DAY = dt.date(THIS_YEAR, 12, 31)


def unit_url(code: str, tail: str = "") -> str:
    return f"/nam/{THIS_YEAR}/don-vi/{code}{tail}"


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    folder = tmp_path_factory.mktemp("khao-sat")
    made = make_portal(str(folder / "cong.sqlite"), folder, THIS_YEAR)
    done = dossiers.upload_workbook(
        made.store, None, "test", THIS_YEAR, None, sample_for_year(THIS_YEAR, folder), "minh-chung.xlsx"
    )
    appraise_as_submitted(made.store, THIS_YEAR, done.submitted)
    yield made
    made.close()


def _keys(portal: Portal) -> surveys.Keys:
    return surveys.Keys.derive(portal.config.secret_key())


def _link(portal: Portal, code: str, form_id: str) -> str:
    return f"/ks/{THIS_YEAR}/{code}/{form_id}/{surveys.link_token(_keys(portal), THIS_YEAR, code, form_id)}"


def _province(portal: Portal) -> Account:
    from engine.portal import accounts

    return accounts.find(portal.store, portal.logins["tinh"])


def _open(portal: Portal, form_id: str, days: int = 30) -> None:
    """The province opens a form from today for `days` days (through its page)."""
    client = portal.client("tinh")
    sent = client.post(
        f"/nam/{THIS_YEAR}/khao-sat/{form_id}/thoi-gian",
        data={
            "csrf_token": csrf_of(client),
            "opens_on": today().strftime("%d/%m/%Y"),
            "closes_on": min(today() + dt.timedelta(days=days), LAST_DAY).strftime("%d/%m/%Y"),
        },
        follow_redirects=True,
    )
    assert "nhận ý kiến từ" in sent.text, sent.text


def _answers(portal: Portal, form_id: str, levels: list[int]) -> dict[str, str]:
    form = surveys.form_of(portal.store, THIS_YEAR, form_id)
    assert form is not None
    return {q.id: str(level) for q, level in zip(form.questions, levels, strict=True)}


_ADDRESSES = iter(range(1, 2**24))


def _send(
    portal: Portal,
    code: str,
    form_id: str,
    levels: list[int],
    contact: str = "",
    address: str | None = None,
) -> object:
    """A citizen posts the public form (no session, no CSRF token), each from their own address
    unless one is given."""
    client = portal.app.test_client()
    n = next(_ADDRESSES)
    where = address or f"10.{n >> 16}.{(n >> 8) & 255}.{n & 255}"
    link = _link(portal, code, form_id)
    return client.post(
        link,
        data={**_answers(portal, form_id, levels), "lien_he": contact, "phieu": _ticket(client, link)},
        environ_base={"REMOTE_ADDR": where},
    )


def _ticket(client: object, link: str) -> str:
    """The one-time ticket the public form carries when it is opened ("" when it is not open)."""
    page = client.get(link)  # type: ignore[attr-defined]
    found = re.search(r'name="phieu" value="([^"]+)"', page.text)
    return found.group(1) if found else ""


def _stored(portal: Portal, code: str, form_id: str) -> int:
    return surveys.responses_of(portal.store, THIS_YEAR, code, form_id)


def _codes(portal: Portal, count: int, skip: int = 0) -> list[str]:
    listed = [u.code for u in surveys.all_units(portal.store, THIS_YEAR)]
    return listed[10 + skip : 10 + skip + count]


# -- the link ----------------------------------------------------------------------------------------
def test_a_link_that_was_not_made_by_the_portal_finds_nothing(portal: Portal) -> None:
    code, other = _codes(portal, 2)
    visitor = portal.app.test_client()
    good = _link(portal, code, "pks01")
    assert visitor.get(good).status_code == 200
    token = good.rsplit("/", 1)[1]
    for path in (
        f"/ks/{THIS_YEAR}/{code}/pks01/{token[:-1]}a"
        if token[-1] != "a"
        else f"/ks/{THIS_YEAR}/{code}/pks01/{token[:-1]}b",
        f"/ks/{THIS_YEAR}/{other}/pks01/{token}",  # another unit's link with this one's token
        f"/ks/{THIS_YEAR}/{code}/pks02/{token}",  # another form
        f"/ks/{THIS_YEAR}/{code}/pks99/{token}",  # a form the rule set does not have
        f"/ks/{THIS_YEAR + 1}/{code}/pks01/{token}",  # a year the portal does not hold
    ):
        assert visitor.get(path).status_code == 404, path
        assert visitor.post(path, data=_answers(portal, "pks01", [3, 3, 3])).status_code == 404, path
    assert _stored(portal, code, "pks01") == 0


def test_before_its_window_a_form_says_when_it_opens_and_takes_nothing(portal: Portal) -> None:
    (code,) = _codes(portal, 1, skip=2)
    visitor = portal.app.test_client()
    page = visitor.get(_link(portal, code, "pks02"))
    assert page.status_code == 200 and "Phiếu khảo sát này chưa mở" in page.text
    starts = min(today() + dt.timedelta(days=5), LAST_DAY)
    if starts > today():  # (on the last day of the year no window can start later in it)
        surveys.set_window(portal.store, _province(portal), "test", THIS_YEAR, "pks02", starts, LAST_DAY)
        page = visitor.get(_link(portal, code, "pks02"))
        assert f"từ ngày {starts:%d/%m/%Y}" in page.text
        assert "Gửi phiếu" not in page.text
    sent = _send(portal, code, "pks02", [3, 3, 3])
    assert sent.status_code == 403  # type: ignore[attr-defined]
    assert _stored(portal, code, "pks02") == 0


# -- taking a response -----------------------------------------------------------------------------
def test_an_incomplete_or_forged_answer_is_shown_again_and_not_kept(portal: Portal) -> None:
    (code,) = _codes(portal, 1, skip=3)
    _open(portal, "pks03")
    visitor = portal.app.test_client()
    link = _link(portal, code, "pks03")
    form = surveys.form_of(portal.store, THIS_YEAR, "pks03")
    assert form is not None
    first, second, third = (q.id for q in form.questions)
    missing = visitor.post(
        link, data={first: "3", second: "2", "lien_he": "", "phieu": _ticket(visitor, link)}
    )
    assert missing.status_code == 400 and "Chọn một mức đánh giá" in missing.text
    label = html.escape(form.questions[2].label, quote=True)
    named = f'<a href="#q-{third}">Câu 3 “{label}”: Chọn một mức đánh giá</a>'
    assert named in missing.text  # the summary names the question
    assert '<a class="skip-link" href="#noi-dung">' in missing.text
    assert 'value="3" checked' in missing.text.replace("\n", " ") or "checked" in missing.text
    forged = visitor.post(link, data={first: "3", second: "2", third: "7", "phieu": _ticket(visitor, link)})
    assert forged.status_code == 400 and "Câu trả lời không thuộc các mức của phiếu" in forged.text
    contact = visitor.post(
        link,
        data={first: "3", second: "2", third: "3", "lien_he": "gọi tôi", "phieu": _ticket(visitor, link)},
    )
    assert contact.status_code == 400 and "Ghi số điện thoại" in contact.text
    assert _stored(portal, code, "pks03") == 0
    taken = visitor.post(
        link,
        data={
            first: "3",
            second: "2",
            third: "3",
            "lien_he": "0912 345 678",
            "phieu": _ticket(visitor, link),
        },
    )
    assert taken.status_code == 303 and taken.headers["Location"].endswith("/cam-on")
    assert _stored(portal, code, "pks03") == 1


def test_a_contact_is_kept_only_as_a_keyed_hash(portal: Portal) -> None:
    (code,) = _codes(portal, 1, skip=4)
    _open(portal, "pks03")
    assert _send(portal, code, "pks03", [3, 3, 3], contact="+84 913.222.444").status_code == 303  # type: ignore[attr-defined]
    assert _send(portal, code, "pks03", [2, 2, 2], contact="Nguyen.Van.A@Example.vn").status_code == 303  # type: ignore[attr-defined]
    with portal.store.read() as conn:
        kept = [
            r.respondent
            for r in conn.execute(survey_responses.select().where(survey_responses.c.unit_code == code)).all()
        ]
    keys = _keys(portal)
    # the same person written another way is the same respondent; the hash needs the installation's key
    assert kept == [
        surveys.respondent_of(keys, "0913222444"),
        surveys.respondent_of(keys, "nguyen.van.a@example.vn"),
    ]
    plain = hashlib.sha256(b"0913222444").hexdigest()
    assert all(plain[:32] not in (r or "") for r in kept)
    raw = Path(portal.config.db).read_bytes()
    for needle in ("0913222444", "913222444", "913.222.444", "nguyen.van.a", "Nguyen.Van.A"):
        assert needle.encode() not in raw, needle
    wal = Path(portal.config.db + "-wal")
    if wal.exists():
        assert b"913222444" not in wal.read_bytes()


def test_the_same_contact_is_counted_once_and_capped(portal: Portal) -> None:
    (code,) = _codes(portal, 1, skip=5)
    _open(portal, "pks06")
    limits = surveys.Limits.from_environment()
    for _ in range(limits.per_contact):
        assert _send(portal, code, "pks06", [3, 3, 3], contact="0988 000 111").status_code == 303  # type: ignore[attr-defined]
    refused = _send(portal, code, "pks06", [3, 3, 3], contact="0988000111")
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert "mỗi người chỉ được tính một phiếu" in refused.text  # type: ignore[attr-defined]
    assert _send(portal, code, "pks06", [1, 1, 1], contact="").status_code == 303  # type: ignore[attr-defined]
    assert _stored(portal, code, "pks06") == limits.per_contact + 1
    counted = surveys.tallies(portal.store, THIS_YEAR, [code]).tallies[(code, "pks06")]
    assert counted.text == "1/2"  # the contact once (satisfied), the anonymous one (not)


def test_one_address_is_slowed_down_for_minutes_not_shut_out(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CQTT_SURVEY_PER_ADDRESS", "3")
    (code,) = _codes(portal, 1, skip=6)
    _open(portal, "pks05")
    levels = [3] * 7
    office = "203.113.1.1"
    for _ in range(3):
        assert _send(portal, code, "pks05", levels, address=office).status_code == 303  # type: ignore[attr-defined]
    refused = _send(portal, code, "pks05", levels, address=office)
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert f"vui lòng gửi lại sau {surveys.Limits.minutes} phút" in refused.text  # type: ignore[attr-defined]
    assert _send(portal, code, "pks05", levels, address="203.113.1.2").status_code == 303  # type: ignore[attr-defined]
    assert _stored(portal, code, "pks05") == 4
    # the office's hits are kept as keyed hashes, and only while the limit looks back at them
    with portal.store.read() as conn:
        keys = [r.key for r in conn.execute(survey_hits.select()).all()]
    assert not any("203.113" in k for k in keys)
    minutes = surveys.Limits.from_environment().minutes
    with portal.store.write() as conn:
        conn.execute(survey_hits.update().values(at=now() - dt.timedelta(minutes=minutes, seconds=1)))
    assert _send(portal, code, "pks05", levels, address=office).status_code == 303  # type: ignore[attr-defined]
    with portal.store.read() as conn:
        left = conn.execute(survey_hits.select()).all()
    assert len(left) == 2  # the two of the response just taken; the older ones are gone


def test_a_form_flooded_from_many_addresses_is_slowed_down(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CQTT_SURVEY_PER_FORM", "4")
    code, other = _codes(portal, 2, skip=7)
    _open(portal, "pks01")
    for _ in range(4):
        assert _send(portal, code, "pks01", [3, 3, 3]).status_code == 303  # type: ignore[attr-defined]
    refused = _send(portal, code, "pks01", [3, 3, 3])
    assert refused.status_code == 429 and "quá nhiều ý kiến cùng lúc" in refused.text  # type: ignore[attr-defined]
    assert _send(portal, other, "pks01", [3, 3, 3]).status_code == 303  # type: ignore[attr-defined]


def test_a_closed_form_says_so_and_takes_nothing(portal: Portal) -> None:
    (code,) = _codes(portal, 1, skip=9)
    form_id = "pks07"
    _open(portal, form_id)
    tinh = portal.client("tinh")
    closing = tinh.post(
        f"/nam/{THIS_YEAR}/khao-sat/{form_id}/dong", data={"csrf_token": csrf_of(tinh)}, follow_redirects=True
    )
    assert f"Đã kết thúc nhận phiếu {form_id.upper()}" in closing.text
    visitor = portal.app.test_client()
    page = visitor.get(_link(portal, code, form_id))
    closed = (today() - dt.timedelta(days=1)).strftime("%d/%m/%Y")
    assert f"đã kết thúc nhận ý kiến ngày {closed}" in page.text
    form = surveys.form_of(portal.store, THIS_YEAR, form_id)
    assert form is not None
    sent = _send(portal, code, form_id, [3] * len(form.questions))
    assert sent.status_code == 403  # type: ignore[attr-defined]
    assert _stored(portal, code, form_id) == 0


# -- counting ----------------------------------------------------------------------------------------
def _post_a_village_meeting(portal: Portal, codes: list[str]) -> None:
    """Responses of several kinds: satisfied and not, a contact answering twice (and once for
    another unit), a burst of identical answers from one tablet."""
    plan = [
        (codes[0], "pks04", [3, 3, 3], "0911 111 111"),
        (codes[0], "pks04", [3, 2, 3], ""),
        (codes[0], "pks04", [3, 1, 3], ""),  # a question at the lowest level: not satisfied
        (codes[0], "pks04", [2, 3, 3], "0911111111"),  # the same contact again: not counted
        (codes[1], "pks04", [3, 3, 3], "0911 111 111"),  # and for another unit: not counted either
        (codes[1], "pks04", [1, 1, 1], "an@example.vn"),
        (codes[0], "pks06", [3, 3, 2], "0911 111 111"),  # another form: counted
    ]
    for code, form_id, levels, contact in plan:
        assert _send(portal, code, form_id, levels, contact=contact).status_code == 303  # type: ignore[attr-defined]
    tablet = "192.168.1.20"
    for _ in range(5):
        assert _send(portal, codes[2], "pks04", [3, 3, 3], address=tablet).status_code == 303  # type: ignore[attr-defined]


def test_the_portal_counts_as_cqtt_survey_tally_counts_the_export(portal: Portal, tmp_path: Path) -> None:
    codes = _codes(portal, 3, skip=12)
    _open(portal, "pks04")
    _open(portal, "pks06")
    _post_a_village_meeting(portal, codes)
    tinh = portal.client("tinh")
    exported = tinh.get(f"/nam/{THIS_YEAR}/khao-sat/phieu-tra-loi.csv")
    assert exported.status_code == 200
    assert exported.data.startswith("\ufeff".encode())
    text = exported.data.decode("utf-8-sig")
    assert f'="{codes[0]}"' in text  # Excel keeps the leading zero
    assert "0911" not in text
    responses = tmp_path / "phieu-tra-loi.csv"
    responses.write_bytes(exported.data)
    out = tmp_path / "kiem-dem.csv"
    result = CliRunner().invoke(
        main,
        [
            "survey", "tally", str(responses), "--criteria", "bac-giang@2024", "--year", str(THIS_YEAR),
            "--units", str(UNITS), "--csv", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    by_cli = {
        excel_text(row["ma_don_vi"]): {k: excel_text(v) for k, v in row.items()}
        for row in csv.DictReader(io.StringIO(out.read_text("utf-8-sig")))
    }
    online = surveys.tallies(portal.store, THIS_YEAR)
    fields = {f.id: f.evidence for f in online.forms}
    portal_counts = {(c, f): t.text for (c, f), t in online.tallies.items() if t.total}
    cli_counts = {
        (code, form_id): row[fields[form_id]]
        for code, row in by_cli.items()
        for form_id in fields
        if row.get(fields[form_id]) not in ("", "0/0", None)
    }
    assert portal_counts == cli_counts
    # and the counts are the ones a person makes by hand
    assert portal_counts[(codes[0], "pks04")] == "2/3"
    assert portal_counts[(codes[1], "pks04")] == "0/1"
    assert portal_counts[(codes[2], "pks04")] == "5/5"
    assert portal_counts[(codes[0], "pks06")] == "0/1"  # the general question not at the top level
    # the same problems, by kind and unit
    kinds = {(p.kind, p.unit) for p in online.problems if p.kind in ("duplicate", "burst")}
    assert ("duplicate", codes[0]) in kinds and ("duplicate", codes[1]) in kinds
    assert ("burst", codes[2]) in kinds
    assert "phiếu giống hệt nhau" in result.output and "trùng" in result.output
    # the tallies workbook the province downloads is the same count
    book = tinh.get(f"/nam/{THIS_YEAR}/khao-sat/kiem-dem.xlsx")
    assert book.status_code == 200
    sheets = load_workbook(io.BytesIO(book.data), read_only=True)
    cells = {str(c.value) for ws in sheets.worksheets for row in ws.iter_rows() for c in row if c.value}
    assert "2/3" in cells and "5/5" in cells
    # the province's page and the dashboard raise the burst
    page = tinh.get(f"/nam/{THIS_YEAR}/khao-sat")
    assert "phiếu giống hệt nhau" in page.text
    dashboard = tinh.get("/", follow_redirects=True)
    alarm = re.search(r'id="bao-dong-khao-sat".*?</div>', dashboard.text, re.S)
    assert alarm and codes[2] in alarm.group(0)
    # the unit's page shows the count against the minimum and the share satisfied
    unit = portal.client("tinh").get(unit_url(codes[0], "/khao-sat"))
    assert "2/3" in unit.text and "66,7" in unit.text


def test_the_province_brings_the_scores_up_to_date_with_the_tallies(portal: Portal) -> None:
    from engine.portal.roles import SUBMITTED

    submitted = [  # a unit whose row read (a row with an unreadable value stays a draft)
        c
        for c in _codes(portal, 5, skip=20)
        if (d := dossiers.dossier(portal.store, THIS_YEAR, c)) and d.state in SUBMITTED
    ]
    codes = submitted[:1]
    _open(portal, "pks04")
    for levels in ([3, 3, 3], [3, 3, 3], [1, 1, 1]):
        assert _send(portal, codes[0], "pks04", levels).status_code == 303  # type: ignore[attr-defined]
    tinh = portal.client("tinh")
    done = tinh.post(
        f"/nam/{THIS_YEAR}/khao-sat/cap-nhat-diem", data={"csrf_token": csrf_of(tinh)}, follow_redirects=True
    )
    assert "được tính lại theo số phiếu hiện có" in done.text
    evidence = surveys.online_fields(portal.store, THIS_YEAR)
    field = next(f for f, form in evidence.items() if form.id == "pks04")
    d = dossiers.dossier(portal.store, THIS_YEAR, codes[0])
    assert d is not None
    version = dossiers.current(portal.store, d)
    assert version is not None and version.data[field] == "2/3"
    assert version.source == dossiers.SURVEY_SOURCE


def test_the_qr_code_holds_the_public_link(portal: Portal) -> None:
    code = portal.unit
    xa = portal.client("xa")
    page = xa.get(unit_url(code, "/khao-sat"))
    assert page.status_code == 200
    link = "http://localhost" + _link(portal, code, "pks04")
    assert link in page.text
    qr = xa.get(unit_url(code, "/khao-sat/pks04/qr.svg"))
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    expected = io.BytesIO()
    segno.make(link, error="m", micro=False).save(
        expected, kind="svg", scale=4, border=4, xmldecl=False, title="Mã QR phiếu khảo sát"
    )
    assert qr.data == expected.getvalue()
    for kind in ("to-roi", "the"):
        printed = xa.get(unit_url(code, f"/khao-sat/pks04/{kind}"))
        assert printed.status_code == 200 and link in printed.text
    # the team prints every unit's poster of the form in one file, a page each
    huyen = portal.client("huyen")
    team = huyen.get(f"/nam/{THIS_YEAR}/huyen/{DISTRICT}/khao-sat/pks04/to-roi")
    listed = units.of_district(portal.store, THIS_YEAR, DISTRICT)
    assert team.status_code == 200 and team.text.count('<div class="sheet') == len(listed)
    for u in listed:
        assert "http://localhost" + _link(portal, u.code, "pks04") in team.text
    assert team.text.count('class="sheet next"') == len(listed) - 1  # a page break before each next
    district_page = huyen.get(f"/nam/{THIS_YEAR}/huyen/{DISTRICT}")
    assert f"/nam/{THIS_YEAR}/huyen/{DISTRICT}/khao-sat/pks04/to-roi" in urllib.parse.unquote(
        district_page.text
    )


def test_the_store_refuses_to_change_or_delete_a_response(portal: Portal) -> None:
    (code,) = _codes(portal, 1, skip=25)
    _open(portal, "pks04")
    assert _send(portal, code, "pks04", [3, 3, 3]).status_code == 303  # type: ignore[attr-defined]
    db = sqlite3.connect(portal.config.db)
    try:
        for statement in (
            "UPDATE survey_responses SET answers = '{}' WHERE unit_code = ?",
            "DELETE FROM survey_responses WHERE unit_code = ?",
        ):
            with pytest.raises(sqlite3.DatabaseError):
                db.execute(statement, (code,))
    finally:
        db.close()
    assert _stored(portal, code, "pks04") == 1


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@pytest.mark.parametrize("proxies", [0, 1])
def test_behind_a_proxy_each_citizen_is_limited_by_their_own_address(
    portal: Portal, monkeypatch: pytest.MonkeyPatch, proxies: int
) -> None:
    """On the real server (waitress): with --behind-proxy the address the proxy forwards is the
    one limited (else a whole province behind one nginx would share one limit); without it, a
    forwarded address a client writes itself is ignored."""
    monkeypatch.setenv("CQTT_SURVEY_PER_ADDRESS", "2")  # the server inherits it
    (code,) = _codes(portal, 1, skip=30 + proxies)
    _open(portal, "pks05")
    with portal.store.write() as conn:
        conn.execute(survey_hits.delete())
    extra = ["--behind-proxy", str(proxies)] if proxies else []
    process, url = start(portal.config.db, portal.config.data_dir, extra)
    opener = urllib.request.build_opener(_Stay())
    statuses = []
    try:
        for i in range(3):
            with opener.open(url + _link(portal, code, "pks05"), timeout=30) as opened:
                ticket = re.search(r'name="phieu" value="([^"]+)"', opened.read().decode()).group(1)  # type: ignore[union-attr]
            request = urllib.request.Request(
                url + _link(portal, code, "pks05"),
                data=urllib.parse.urlencode({**_answers(portal, "pks05", [3] * 7), "phieu": ticket}).encode(),
                headers={"X-Forwarded-For": f"198.51.100.{i + 1}"},
                method="POST",
            )
            try:
                with opener.open(request, timeout=30) as response:
                    statuses.append(response.status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
    finally:
        stop(process)
    assert statuses == ([303, 303, 303] if proxies else [303, 303, 429])
    with portal.store.read() as conn:
        keys = {r.key for r in conn.execute(survey_hits.select()).all() if r.key.startswith("dia_chi:")}
    assert len(keys) == (3 if proxies else 1)


def test_the_responses_by_unit_are_a_list_that_agrees_with_the_tallies(portal: Portal) -> None:
    """Each unit and form collected online is a row; the counts add up to the province's summary
    per form; a filter keeps the units without a response; a search finds a name typed without
    diacritics; the download is the list as shown."""
    _open(portal, "pks01")
    for code in _codes(portal, 2, skip=60):
        assert _send(portal, code, "pks01", [3, 3, 2]).status_code == 303  # type: ignore[attr-defined]
    tinh = portal.client("tinh")
    summary = surveys.summary(portal.store, THIS_YEAR)
    opened = [s for s in summary.forms if s.window is not None]
    assert opened
    for s in opened:
        args = {"form": s.form.id, "sap_xep": "counted", "giam": "1"}
        first = tinh.get(f"/nam/{THIS_YEAR}/khao-sat/theo-don-vi", query_string=args)
        assert first.status_code == 200
        total = int(re.search(r"<strong>(\d+)</strong> trong", first.text).group(1))  # type: ignore[union-attr]
        assert total == len(surveys.all_units(portal.store, THIS_YEAR))  # one row per unit
        rows: list[list[str]] = []
        for n in range(1, (total + 49) // 50 + 1):
            rows += list_rows(
                tinh.get(f"/nam/{THIS_YEAR}/khao-sat/theo-don-vi", query_string={**args, "trang": str(n)})
            )
        counted = [int(r[4]) for r in rows]
        assert counted == sorted(counted, reverse=True)
        assert sum(counted) == s.counted and sum(int(r[5]) for r in rows) == s.satisfied
        assert sum(1 for c in counted if c) == s.units
        book = list_book(tinh.get(f"/nam/{THIS_YEAR}/khao-sat/theo-don-vi.xlsx", query_string=args).data)
        assert [r[:6] + r[7:] for r in book] == [r[:6] + r[7:] for r in rows]
    none = list_rows(
        tinh.get(
            f"/nam/{THIS_YEAR}/khao-sat/theo-don-vi",
            query_string={"form": opened[0].form.id, "alarms": "chua_co_phieu"},
        )
    )
    assert none and all(r[4] == "0" and "Chưa có phiếu" in r[7] for r in none)
    unit = surveys.all_units(portal.store, THIS_YEAR)[0]
    typed = listing.folded(unit.name)
    assert typed != unit.name.lower()
    found = list_rows(tinh.get(f"/nam/{THIS_YEAR}/khao-sat/theo-don-vi", query_string={"q": typed}))
    assert found and all(r[1] == unit.name for r in found) and len(found) == len(opened)
    assert portal.client("huyen").get(f"/nam/{THIS_YEAR}/khao-sat/theo-don-vi").status_code == 403
