"""Citizens answer the satisfaction surveys online: a public form per unit, survey form and year
(the forms the rule file declares under `surveys:`), open while the province's collection window
is, and tallies counted from the responses the province holds.

Counting is `cqtt survey tally`'s own code (engine.scoring.tally) on the stored responses: the
same duplicates, bursts, answers outside the levels and the same satisfied/total rule. The tally of
a form collected online is the unit's evidence for that form: it replaces whatever was typed, at
every save and when the province brings the scores up to date.

What is kept: the answers and their time; a contact only as a keyed hash (HMAC with a key derived
from the installation's secret), to see the same respondent twice; an address only as a keyed
hash, and only while rate limiting looks back at it (`Limits.minutes`).

Each time the form is opened it carries a one-time ticket (a random number signed with a key of
the installation, itsdangerous): an answer is taken only with a ticket not used before and not
older than `TICKET_HOURS`, so an answer sent again (a replayed request) is not counted again.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import io
import json
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from engine.clock import VIETNAM, now, today
from engine.errors import CqttError
from engine.intake.responses import ONLINE, Problem, ReadResponses, Response, normal_contact
from engine.outputs.excelcsv import AsText, excel_csv
from engine.portal import audit
from engine.portal.roles import Account
from engine.portal.units import all_units, criteria_of
from engine.rules.model import SurveyForm
from engine.scoring.tally import FormTally, TallyResult, tally
from engine.store import surveys as rows
from engine.store.connect import Store


class SurveyError(CqttError):
    """A step of the province's survey work that cannot be taken (one Vietnamese line)."""


class SurveyRefused(CqttError):
    """A response not taken, with why (`kind`): closed, invalid, ticket, used, address, form,
    contact."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


# -- limits and keys ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Limits:
    """How many responses are taken within `minutes`: from one address (an office tablet or a
    village meeting's Wi-Fi shares one), for one unit and form; and how many are kept from one
    contact for a form and year (only the first is counted). A refused citizen waits at most
    `minutes`."""

    minutes: int = 10
    per_address: int = 30
    per_form: int = 300
    per_contact: int = 3

    @classmethod
    def from_environment(cls) -> Limits:
        def number(name: str, default: int) -> int:
            raw = os.environ.get(name, "")
            return int(raw) if raw.isdigit() and int(raw) > 0 else default

        return cls(
            number("CQTT_SURVEY_WINDOW_MINUTES", cls.minutes),
            number("CQTT_SURVEY_PER_ADDRESS", cls.per_address),
            number("CQTT_SURVEY_PER_FORM", cls.per_form),
            number("CQTT_SURVEY_PER_CONTACT", cls.per_contact),
        )


@dataclass(frozen=True)
class Keys:
    """Keys derived from the installation's secret, one per use (HMAC-SHA-256 of a label)."""

    link: bytes
    contact: bytes
    address: bytes
    ticket: bytes

    @classmethod
    def derive(cls, secret: bytes) -> Keys:
        def key(label: str) -> bytes:
            return hmac.new(secret, f"cqtt khao-sat {label}".encode(), hashlib.sha256).digest()

        return cls(key("duong-dan"), key("lien-he"), key("dia-chi"), key("phieu-mot-lan"))


TICKET_HOURS = 12  # a form left open longer is loaded again before it is sent


def _tickets(keys: Keys, year: int, code: str, form_id: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(keys.ticket, salt=f"cqtt-phieu {year}/{code}/{form_id}")


def issue_ticket(keys: Keys, year: int, code: str, form_id: str) -> str:
    """The one-time ticket the form carries this time it is opened (nothing is stored yet)."""
    return str(_tickets(keys, year, code, form_id).dumps(secrets.token_hex(16)))


def _check_ticket(keys: Keys, year: int, code: str, form_id: str, ticket: str) -> tuple[str, dt.datetime]:
    """What the ticket vouches for: its hash (what is kept once used) and when it was issued."""
    reload = "tải lại trang phiếu rồi chọn và gửi lại"
    try:
        nonce, issued = _tickets(keys, year, code, form_id).loads(
            ticket, max_age=TICKET_HOURS * 3600, return_timestamp=True
        )
    except SignatureExpired:
        raise SurveyRefused("ticket", f"Trang phiếu đã mở quá {TICKET_HOURS} giờ; {reload}.") from None
    except BadSignature:
        not_ours = f"Phiếu gửi lên không phải phiếu cổng vừa mở cho bạn; {reload}."
        raise SurveyRefused("ticket", not_ours) from None
    return hashlib.sha256(str(nonce).encode()).hexdigest(), issued


def link_token(keys: Keys, year: int, code: str, form_id: str) -> str:
    """The part of a unit's public link that cannot be guessed from its code (80 bits)."""
    digest = hmac.new(keys.link, f"{year}:{code}:{form_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode().lower()


def token_ok(keys: Keys, year: int, code: str, form_id: str, token: str) -> bool:
    return hmac.compare_digest(link_token(keys, year, code, form_id), token.lower())


def respondent_of(keys: Keys, contact: str) -> str:
    digest = hmac.new(keys.contact, normal_contact(contact).encode(), hashlib.sha256).hexdigest()
    return "lien_he:" + digest[:32]


def _address_key(keys: Keys, address: str) -> str:
    return "dia_chi:" + hmac.new(keys.address, address.encode(), hashlib.sha256).hexdigest()[:32]


# -- the collection windows ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    year: int
    form: str
    opens_on: dt.date
    closes_on: dt.date

    def state(self, day: dt.date) -> str:
        if day < self.opens_on:
            return "chua_mo"
        return "dang_mo" if day <= self.closes_on else "da_dong"


STATE_LABELS = {
    "chua_mo": "Chưa mở",
    "dang_mo": "Đang nhận phiếu",
    "da_dong": "Đã kết thúc",
    None: "Chưa đặt",
}


def forms_of(store: Store, year: int) -> list[SurveyForm]:
    return list(criteria_of(store, year).model.surveys)


def form_of(store: Store, year: int, form_id: str) -> SurveyForm | None:
    return next((f for f in forms_of(store, year) if f.id == form_id), None)


def windows(store: Store, year: int) -> dict[str, Window]:
    with store.read() as conn:
        found = rows.windows(conn, year)
    return {r.form_id: Window(r.year, r.form_id, r.opens_on, r.closes_on) for r in found}


def online_fields(store: Store, year: int) -> dict[str, SurveyForm]:
    """Evidence field -> its survey form, for the forms collected online this year (a window was
    set): their tallies are the units' evidence."""
    opened = windows(store, year)
    return {f.evidence: f for f in forms_of(store, year) if f.id in opened}


def set_window(
    store: Store,
    account: Account,
    address: str,
    year: int,
    form_id: str,
    opens_on: dt.date,
    closes_on: dt.date,
) -> Window:
    form = form_of(store, year, form_id)
    if form is None:
        raise SurveyError(f"bộ tiêu chí năm {year} không có mẫu phiếu “{form_id}”")
    if closes_on < opens_on:
        raise SurveyError("ngày kết thúc phải từ ngày bắt đầu trở đi")
    if opens_on.year != year or closes_on.year != year:
        raise SurveyError(
            f"phiếu của năm {year} chỉ nhận ý kiến trong năm {year} (01/01/{year}–31/12/{year}): "
            "ý kiến ngoài năm đánh giá không được tính, như `cqtt survey tally --year`"
        )
    return _store_window(store, account, address, year, form_id, opens_on, closes_on)


def _store_window(
    store: Store,
    account: Account,
    address: str,
    year: int,
    form_id: str,
    opens_on: dt.date,
    closes_on: dt.date,
) -> Window:
    with store.write() as conn:
        rows.set_window(
            conn, year, form_id, opens_on=opens_on, closes_on=closes_on, set_by=account.id, set_at=now()
        )
        audit.record(
            conn, account, address, "survey_window_set", f"{year}/{form_id}",
            {"opens_on": opens_on.isoformat(), "closes_on": closes_on.isoformat()},
        )  # fmt: skip
    return Window(year, form_id, opens_on, closes_on)


def close_window(store: Store, account: Account, address: str, year: int, form_id: str) -> Window:
    """Stop taking responses from now (the window ends yesterday)."""
    found = windows(store, year).get(form_id)
    if found is None or found.state(today()) != "dang_mo":
        raise SurveyError("mẫu phiếu này không đang nhận phiếu")
    yesterday = today() - dt.timedelta(days=1)  # may be the last day of the year before: still closed
    return _store_window(store, account, address, year, form_id, min(found.opens_on, yesterday), yesterday)


# -- taking a response --------------------------------------------------------------------------------
def check_answers(form: SurveyForm, raw: dict[str, str]) -> tuple[dict[str, int], dict[str, str]]:
    """The answers as levels (1..n) from the form's radio buttons, and a message per question
    that has none or an answer outside the levels."""
    answers: dict[str, int] = {}
    errors: dict[str, str] = {}
    for q in form.questions:
        value = (raw.get(q.id) or "").strip()
        if not value:
            errors[q.id] = "Chọn một mức đánh giá"
        elif value.isdigit() and 1 <= int(value) <= len(form.levels):
            answers[q.id] = int(value)
        else:
            errors[q.id] = "Câu trả lời không thuộc các mức của phiếu"
    return answers, errors


def check_contact(contact: str) -> str | None:
    """A message when a contact is given but is neither a phone number nor an e-mail address."""
    text = contact.strip()
    if not text:
        return None
    digits = sum(c.isdigit() for c in text)
    looks_like_mail = "@" in text and "." in text.split("@")[-1] and " " not in text
    if len(text) > 200 or not (looks_like_mail or 9 <= digits <= 15):
        return "Ghi số điện thoại (ví dụ 0912 345 678) hoặc email, hoặc để trống"
    return None


@dataclass
class Taken:
    id: int
    counted: bool  # False: the same contact already answered this form this year


def submit(
    store: Store,
    keys: Keys,
    limits: Limits,
    year: int,
    code: str,
    form: SurveyForm,
    answers: dict[str, int],
    contact: str,
    address: str,
    ticket: str,
) -> Taken:
    """Keep one response, if its form is open, its one-time ticket good and unused, and no limit
    is reached. Submissions take turns (the limits count each other's rows, on PostgreSQL too)."""
    window = windows(store, year).get(form.id)
    state = window.state(today()) if window else None
    if window is None or state == "chua_mo":
        when = f" từ ngày {window.opens_on:%d/%m/%Y}" if window else ""
        raise SurveyRefused("closed", f"Phiếu khảo sát này chưa mở{when}.")
    if state == "da_dong":
        raise SurveyRefused(
            "closed", f"Phiếu khảo sát này đã kết thúc nhận ý kiến ngày {window.closes_on:%d/%m/%Y}."
        )
    if set(answers) != {q.id for q in form.questions} or not all(
        1 <= v <= len(form.levels) for v in answers.values()
    ):
        raise SurveyRefused("invalid", "Phiếu chưa trả lời đủ các câu hỏi.")
    ticket_hash, issued = _check_ticket(keys, year, code, form.id, ticket)
    respondent = respondent_of(keys, contact) if contact.strip() else None
    moment = now()
    since = moment - dt.timedelta(minutes=limits.minutes)
    by_address, by_form = _address_key(keys, address), f"phieu:{year}/{code}/{form.id}"
    with store.write() as conn:
        rows.take_turn(conn)
        rows.forget_hits_before(conn, since)  # addresses not kept longer
        if rows.hits_since(conn, by_address, since) >= limits.per_address:
            raise SurveyRefused(
                "address",
                "Đã nhận nhiều phiếu từ cùng một mạng trong ít phút; "
                f"vui lòng gửi lại sau {limits.minutes} phút.",
            )
        if rows.hits_since(conn, by_form, since) >= limits.per_form:
            raise SurveyRefused(
                "form",
                f"Phiếu này đang nhận quá nhiều ý kiến cùng lúc; vui lòng gửi lại sau {limits.minutes} phút.",
            )
        earlier = 0
        if respondent is not None:
            earlier = rows.answered_by(conn, year, form.id, respondent)
            if earlier >= limits.per_contact:
                raise SurveyRefused(
                    "contact",
                    "Số điện thoại hoặc email này đã gửi phiếu này; mỗi người chỉ được tính một phiếu.",
                )
        if not rows.use_ticket(conn, ticket_hash, issued, moment):
            raise SurveyRefused(
                "used", "Phiếu này đã được gửi và đã tính; mỗi lần mở trang phiếu chỉ gửi được một lần."
            )
        taken = rows.add_response(
            conn, year=year, unit_code=code, form_id=form.id, answered_at=moment,
            answers=json.dumps(answers, sort_keys=True), respondent=respondent,
        )  # fmt: skip
        rows.add_hits(conn, [by_address, by_form], moment)
    return Taken(taken, earlier == 0)


# -- counting -----------------------------------------------------------------------------------------
def read_online(store: Store, year: int, codes: list[str] | None = None) -> ReadResponses:
    """The stored responses as the survey reader gives them (`cqtt survey tally` counts these).
    For some units only: with the earlier responses of their respondents to other units, so that
    a duplicate is the same as when the whole province is counted."""
    forms = {f.id: f for f in forms_of(store, year)}
    with store.read() as conn:
        found = rows.responses(conn, year) if codes is None else rows.responses_of_units(conn, year, codes)
    out = ReadResponses()
    for r in found:
        form = forms.get(r.form_id)
        if form is None:
            continue  # a form the year's rule set no longer has
        answered = r.answered_at if r.answered_at.tzinfo else r.answered_at.replace(tzinfo=dt.UTC)
        out.responses.append(
            Response(
                ONLINE,
                None,
                r.id,
                r.unit_code,
                form,
                answered.astimezone(VIETNAM).replace(tzinfo=None),
                r.respondent,
                {k: int(v) for k, v in json.loads(r.answers).items()},
                {q.id: q.label for q in form.questions},
            )  # fmt: skip
        )
        out.rows += 1
    return out


_CACHE: dict[tuple[str, int], tuple[tuple[Any, ...], TallyResult]] = {}


def tallies(store: Store, year: int, codes: list[str] | None = None) -> TallyResult:
    """The tallies of the forms collected online (`cqtt survey tally` on the stored responses),
    for the whole year or some units; the whole year's is kept until a response or a window
    changes."""
    opened = windows(store, year)
    if codes is None:
        with store.read() as conn:
            stamp = (rows.latest_response_id(conn, year), tuple(sorted(opened.items())))
        cached = _CACHE.get((store.label, year))
        if cached is not None and cached[0] == stamp:
            return cached[1]
    loaded = criteria_of(store, year)
    names = {u.code: u.name for u in all_units(store, year)}
    result = tally(read_online(store, year, codes), loaded, year, names)
    result.forms = [f for f in result.forms if f.id in opened]
    result.tallies = {k: t for k, t in result.tallies.items() if k[1] in opened}
    online = {f.id for f in result.forms}
    result.problems = [p for p in result.problems if _online_problem(p, online)]
    if codes is not None:
        wanted = set(codes)
        result.tallies = {k: t for k, t in result.tallies.items() if k[0] in wanted}
        result.problems = [p for p in result.problems if p.unit in wanted]
        result.names = {c: n for c, n in names.items() if c in wanted}
    else:
        _CACHE[(store.label, year)] = (stamp, result)
    return result


def _online_problem(p: Problem, online: set[str]) -> bool:
    forms = {f.strip() for f in (p.form or "").split(",") if f.strip()}
    return not forms or forms <= online


def live_values(store: Store, year: int, codes: list[str]) -> dict[str, dict[str, str]]:
    """Unit -> {evidence field: "satisfied/total"} for every form collected online (0/0 when
    nobody answered yet)."""
    fields = online_fields(store, year)
    if not fields or not codes:
        return {}
    counted = tallies(store, year, codes)
    found: dict[str, dict[str, str]] = {}
    for code in codes:
        found[code] = {}
        for evidence, form in fields.items():
            t = counted.tallies.get((code, form.id))
            found[code][evidence] = t.text if t else "0/0"
    return found


@dataclass
class UnitSurvey:
    form: SurveyForm
    window: Window | None
    state: str | None
    tally: FormTally | None
    problems: list[str] = field(default_factory=list)

    @property
    def share(self) -> float | None:
        return self.tally.satisfied / self.tally.total if self.tally and self.tally.total else None


def unit_surveys(store: Store, year: int, code: str) -> tuple[list[UnitSurvey], list[str]]:
    """Each survey form of the year for one unit (window, live tally, its problems), and the unit's
    problems that are not about one form (a criterion below its minimum of respondents)."""
    opened = windows(store, year)
    counted = tallies(store, year, [code]) if opened else None
    found = []
    general: list[str] = []
    for form in forms_of(store, year):
        window = opened.get(form.id)
        problems = [
            p.format()
            for p in (counted.problems if counted else [])
            if p.form == form.id and p.kind != "below_minimum"
        ]
        found.append(
            UnitSurvey(
                form,
                window,
                window.state(today()) if window else None,
                counted.tallies.get((code, form.id)) if counted else None,
                problems,
            )  # fmt: skip
        )
    if counted:
        general = [p.message for p in counted.problems if p.kind == "below_minimum"]
    return found, general


@dataclass
class FormSummary:
    form: SurveyForm
    window: Window | None
    state: str | None
    received: int = 0  # responses kept
    counted: int = 0  # after duplicates
    satisfied: int = 0
    units: int = 0  # units with at least one counted response
    duplicates: int = 0


@dataclass
class Summary:
    forms: list[FormSummary]
    below_minimum: list[tuple[str, str]]  # (unit, message)
    bursts: list[tuple[str, str, str]]  # (unit, form, message)
    open_forms: int


def summary(store: Store, year: int) -> Summary:
    """What the province sees of the year's online surveys: per form, responses received and
    counted, and the alarms (bursts of identical answers, units below a minimum)."""
    opened = windows(store, year)
    with store.read() as conn:
        received = rows.received_by_form(conn, year)
    counted = tallies(store, year) if opened else None
    forms = []
    for form in forms_of(store, year):
        window = opened.get(form.id)
        s = FormSummary(form, window, window.state(today()) if window else None, received.get(form.id, 0))
        if counted:
            for (_, form_id), t in counted.tallies.items():
                if form_id == form.id:
                    s.counted += t.total
                    s.satisfied += t.satisfied
                    s.units += t.total > 0
            s.duplicates = sum(1 for p in counted.problems if p.kind == "duplicate" and p.form == form.id)
        forms.append(s)
    below = sorted(
        (p.unit or "", p.message) for p in (counted.problems if counted else []) if p.kind == "below_minimum"
    )
    bursts = sorted(
        (p.unit or "", p.form or "", p.message)
        for p in (counted.problems if counted else [])
        if p.kind == "burst"
    )
    return Summary(forms, below, bursts, sum(1 for f in forms if f.state == "dang_mo"))


# -- exports ------------------------------------------------------------------------------------------
def responses_csv(store: Store, year: int) -> bytes:
    """Every stored response, as `cqtt survey tally` reads them back and Excel opens them: UTF-8
    with a BOM, codes kept as text (="07201"), one column per question of every form named
    "[form.question]", answers as their level's label, the contact only as its keyed hash."""
    forms = forms_of(store, year)
    names = {u.code: u.name for u in all_units(store, year)}
    columns = [(f, q) for f in forms for q in f.questions]
    heading: list[object] = ["Mã đơn vị", "Tên đơn vị", "Mẫu phiếu", "Thời điểm", "Mã người trả lời"]
    lines = [heading + [f"{f.id.upper()} — {q.label} [{f.id}.{q.id}]" for f, q in columns]]
    with store.read() as conn:
        found = rows.responses(conn, year)
    for r in found:
        answers = {k: int(v) for k, v in json.loads(r.answers).items()}
        answered = r.answered_at if r.answered_at.tzinfo else r.answered_at.replace(tzinfo=dt.UTC)
        cells: list[object] = [
            AsText(r.unit_code),
            names.get(r.unit_code, ""),
            r.form_id,
            answered.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M:%S"),
            r.respondent or "",
        ]
        for f, q in columns:
            cells.append(f.levels[answers[q.id] - 1] if f.id == r.form_id and q.id in answers else "")
        lines.append(cells)
    return excel_csv(lines)


def tallies_workbook(store: Store, year: int) -> bytes:
    """The tallies workbook of `cqtt survey tally`, from the stored responses."""
    from engine.outputs.tallybook import write_tallies

    result = tallies(store, year)
    handle = io.BytesIO()
    write_tallies(handle, result)
    return handle.getvalue()


def responses_of(store: Store, year: int, code: str, form_id: str) -> int:
    with store.read() as conn:
        return rows.count_for(conn, year, code, form_id)


# -- the list of units and forms ------------------------------------------------------------------
ALARMS = {
    "chua_co_phieu": "Chưa có phiếu",
    "duoi_toi_thieu": "Chưa đủ số phiếu tối thiểu",
    "hang_loat": "Phiếu giống hệt nhau hàng loạt",
    "trung_nguoi": "Trùng người gửi",
}

_ALARM_OF = {"below_minimum": "duoi_toi_thieu", "burst": "hang_loat", "duplicate": "trung_nguoi"}


def listed_rows(store: Store, year: int) -> list[dict[str, Any]]:
    """Each unit and each form collected online as a row of plain values (the province's list of
    responses by unit, searched and downloaded like the units' list): the responses counted, the
    satisfied among them and their share, and what needs a look."""
    opened = windows(store, year)
    forms = [f for f in forms_of(store, year) if f.id in opened]
    if not forms:
        return []
    counted = tallies(store, year)
    alarms: dict[tuple[str, str], set[str]] = {}
    for p in counted.problems:
        kind = _ALARM_OF.get(p.kind)
        if kind is None or p.unit is None:
            continue
        named = {f.strip() for f in (p.form or "").split(",") if f.strip()} or {f.id for f in forms}
        for form_id in named:
            alarms.setdefault((p.unit, form_id), set()).add(kind)
    out = []
    for unit in all_units(store, year):
        for form in forms:
            t = counted.tallies.get((unit.code, form.id))
            total = t.total if t else 0
            found = set(alarms.get((unit.code, form.id), set()))
            if total == 0:
                found.add("chua_co_phieu")
            out.append(
                {
                    "code": unit.code,
                    "name": unit.name,
                    "team": unit.district,
                    "form": form.id,
                    "form_label": f"{form.id.upper()} — {form.label}",
                    "counted": total,
                    "satisfied": t.satisfied if t else 0,
                    "share": round(t.satisfied / total * 100, 1) if t and total else None,
                    "alarms": sorted(found),
                    "alarm_label": "; ".join(ALARMS[a] for a in ALARMS if a in found),
                }
            )
    return out
