"""A portal for the tests: the sample province's unit list for 2024, one account per role (with a
second commune and district outside the first one's scope), and clients signed in as each."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from flask import Flask
from flask.testing import FlaskClient

from engine.portal import accounts, units
from engine.portal.accounts import HASHER
from engine.store.connect import Store, open_store
from engine.store.schema import accounts as accounts_table
from web import create_app
from web.config import PortalConfig

ROOT = Path(__file__).parent.parent
YEAR = 2024
DISTRICT = "Huyện Lục Nam"
OTHER_DISTRICT = "Huyện Hiệp Hòa"
PASSWORD = "mat-khau-thu-nghiem-2024"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def full_unit_values() -> dict[str, str]:
    """A unit that scores 100/100 under bac-giang@2024 (the rule tests' defaults), as typed."""
    tests = yaml.safe_load((ROOT / "criteria/bac-giang/2024.tests.yaml").read_text("utf-8"))
    values = {k: str(v) for k, v in tests["defaults"].items()}
    values.update({"de_nghi": "Có", "tu_cham": "100"})
    return values


def set_password(store: Store, login: str, password: str = PASSWORD) -> None:
    with store.write() as conn:
        conn.execute(
            accounts_table.update()
            .where(accounts_table.c.login == login)
            .values(password_hash=HASHER.hash(password), must_change=False)
        )


@dataclass
class Portal:
    app: Flask
    store: Store
    config: PortalConfig
    unit: str  # a commune of DISTRICT
    neighbour: str  # another commune of DISTRICT
    outsider: str  # a commune of OTHER_DISTRICT
    logins: dict[str, str] = field(default_factory=dict)  # name -> login

    def close(self) -> None:
        self.app.extensions["cqtt.store"].close()
        self.store.close()

    def client(self, name: str | None) -> FlaskClient:
        """A client signed in as one of the accounts (None: a visitor)."""
        client = self.app.test_client()
        if name is None:
            return client
        token = csrf_of(client, "/dang-nhap")
        sent = client.post(
            "/dang-nhap", data={"csrf_token": token, "login": self.logins[name], "password": PASSWORD}
        )
        assert sent.status_code == 302, sent.text
        return client


def csrf_of(client: FlaskClient, path: str = "/doi-mat-khau") -> str:
    page = client.get(path)
    found = TOKEN.search(page.text)
    assert found, (path, page.status_code, page.text[:500])
    return found.group(1)


_BUILT: dict[int, Path] = {}  # year -> an SQLite portal made once in this process, copied for each test


def make_portal(db: str, folder: Path, year: int = YEAR) -> Portal:
    """The portal, its unit list loaded for `year` (the surveys' tests need the current year: a
    response counts only in its own year). On SQLite the first one a process makes is kept and
    copied for the next (loading the list and hashing seven passwords takes seconds); a store the
    caller already filled (another year's results) is built on, never replaced."""
    import shutil
    import tempfile

    sqlite = "://" not in db
    fresh = sqlite and not Path(db).exists()  # a store the caller filled first is never replaced
    if fresh and year in _BUILT:
        shutil.copyfile(_BUILT[year], db)
        store = open_store(db)
    else:
        store = open_store(db)
        units.load(store, ROOT / "samples/units/bac-giang.csv", year, "bac-giang@2024")
    listed = units.all_units(store, year)
    mine = [u.code for u in listed if u.district == DISTRICT]
    outsider = next(u.code for u in listed if u.district == OTHER_DISTRICT)
    logins = {
        "xa": f"xa{mine[0]}",
        "xa-khac": f"xa{outsider}",
        "huyen": "lucnam",
        "huyen-khac": "hiephoa",
        "tinh": "phuctra",
        "chinh-sach": "chinhsach",
        "quan-tri": "quantri",
    }
    roles = {
        "xa": ("xa", mine[0], None),
        "xa-khac": ("xa", outsider, None),
        "huyen": ("huyen", None, DISTRICT),
        "huyen-khac": ("huyen", None, OTHER_DISTRICT),
        "tinh": ("tinh", None, None),
        "chinh-sach": ("chinh-sach", None, None),
        "quan-tri": ("quan-tri", None, None),
    }
    if not (fresh and year in _BUILT):
        for name, (role, unit, district) in roles.items():
            accounts.add(store, logins[name], role, unit, district)
            set_password(store, logins[name])
        if fresh:
            kept = Path(tempfile.mkdtemp(prefix="cqtt-cong-mau-")) / "cong.sqlite"
            shutil.copyfile(db, kept)
            _BUILT[year] = kept
    config = PortalConfig(db=db, data_dir=folder / "du-lieu", secure_cookies=False)
    app = create_app(config)
    return Portal(app, store, config, mine[0], mine[1], outsider, logins)


def sample_for_year(year: int, folder: Path) -> Path:
    """The 2024 sample workbook with its Năm column saying `year` (a portal year's upload takes
    only rows of that year)."""
    source = ROOT / "samples/bac-giang-2024.xlsx"
    if year == 2024:
        return source
    from openpyxl import load_workbook

    book = load_workbook(source)
    sheet = book["Nhập liệu"]
    column = next(c.column for c in sheet[2] if c.value == "Năm")
    for row in range(4, sheet.max_row + 1):
        if sheet.cell(row, column).value is not None:
            sheet.cell(row, column).value = year
    target = folder / f"minh-chung-{year}.xlsx"
    book.save(target)
    return target


ITEMS_FIELDS = ("trang_thiet_bi_mot_cua", "ho_so")


def as_form(values: dict[str, Any]) -> dict[str, Any]:
    """Values as the form sends them: a list of items as the ids of the boxes ticked."""
    from engine.intake.cells import parse_items
    from engine.rules.loader import load_ref

    decls = load_ref("bac-giang@2024").model.evidence_by_id()
    sent: dict[str, Any] = {}
    for key, value in values.items():
        if key in ITEMS_FIELDS and isinstance(value, str):
            sent[key] = sorted(parse_items(value, decls[key]))
            sent[f"{key}__shown"] = "1"
        else:
            sent[key] = value
    return sent


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """A POST with the session's CSRF token, as the portal's own forms send."""
    body = {"csrf_token": csrf_of(client), **as_form(data or {})}
    return client.post(path, data=body, **kwargs)


def submit_dossier(client: FlaskClient, code: str, values: dict[str, Any], year: int = YEAR) -> Any:
    """Submit as the commune does: the form ("Kiểm tra trước khi nộp"), then the check page's
    "Nộp hồ sơ" for the version it shows, with its notes marked as seen. The form's refusal (400)
    or the final page is returned."""
    sent = post(client, f"/nam/{year}/don-vi/{code}/ho-so", {**values, "action": "submit"})
    if sent.status_code != 302:
        return sent
    check = client.get(sent.headers["Location"])
    version = re.search(r'name="version" value="(\d+)"', check.text)
    assert version is not None, check.text[:2000]
    return post(
        client,
        f"/nam/{year}/don-vi/{code}/kiem-tra-truoc-khi-nop",
        {"version": version.group(1), "seen": "1"},
    )


def verify_base(client: FlaskClient, code: str, year: int = YEAR) -> str:
    """The verification the team's verify page starts from (its hidden "base")."""
    page = client.get(f"/nam/{year}/don-vi/{code}/tham-dinh")
    found = re.search(r'name="base" value="(\d+)"', page.text)
    assert found is not None, page.text[:2000]
    return found.group(1)


def list_rows(page: object) -> list[list[str]]:
    """The cells of a searchable list's rows as text (web/templates/listing.html)."""
    table = re.search(r'<table class="list" id="danh-sach">.*?<tbody>(.*?)</tbody>', page.text, re.S)  # type: ignore[attr-defined]
    assert table is not None, page.text[:2000]  # type: ignore[attr-defined]
    found = []
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        found.append([re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return found


def list_book(data: bytes) -> list[list[str]]:
    """The rows of a list's download under its three heading lines, as text."""
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data)).active
    return [
        ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(min_row=4, values_only=True)
    ]


def unit_url(code: str, tail: str = "") -> str:
    return f"/nam/{YEAR}/don-vi/{code}{tail}"


def district_url(district: str, tail: str = "") -> str:
    return f"/nam/{YEAR}/huyen/{district}{tail}"


# The steps of an appeal heard and answered, as the unit's timeline shows them, in order.
APPEAL_STEPS = [
    "Quyết định: Không công nhận",
    "Xã gửi kiến nghị",
    "Tỉnh chấp nhận kiến nghị",
    "Tỉnh kiểm tra thực địa",
    "Quyết định: Công nhận",
]


def in_order(text: str, parts: list[str]) -> bool:
    """Every part is in the text, each after the one before."""
    positions = [text.index(p) for p in parts]
    return positions == sorted(positions)
