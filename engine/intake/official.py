"""Vietnam's commune-level units as they are since 1 July 2025 (34 provinces, 3,321 xã, phường and
đặc khu, no districts), from a maintained package of the administrative divisions
(`vietnam-provinces`, which follows the official list and its national codes), so that a province
loads its list by name instead of typing it.

The package is read here only: a province's units become the rows of a unit list like any CSV
(code, name, appraisal team), the team of each unit from the province's own teams file.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import gzip
import io
import unicodedata
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from vietnam_provinces import Province, Ward

from engine.errors import CqttError
from engine.intake.succession import SuccessionRow
from engine.intake.units import UnitRow, read_units

UNASSIGNED = "Chưa phân tổ thẩm định"


class OfficialListError(CqttError):
    pass


@dataclass(frozen=True)
class OfficialList:
    province: str  # as the list names it: "Bắc Ninh", "Thành phố Hà Nội"
    units: list[UnitRow]
    source: str  # the package and its version, for the audit log and the list's source
    unassigned: list[str]  # codes the teams file gave no team


def _plain(text: str) -> str:
    """A name compared as people type it: no diacritics, no "tỉnh"/"thành phố", any case."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn").casefold()
    text = text.replace("-", " ").replace("_", " ")
    for prefix in ("thanh pho ", "tp. ", "tp ", "tinh "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return " ".join(text.split())


def provinces() -> list[str]:
    return [p.name for p in Province.iter_all()]


def source() -> str:
    return f"danh mục đơn vị hành chính sau 01/07/2025 (vietnam-provinces {version('vietnam-provinces')})"


def national_count() -> int:
    """Every commune-level unit of the country (3,321 since 1 July 2025)."""
    return sum(1 for _ in Ward.iter_all())


def find_province(name: str) -> Province:
    """The province `name` means (diacritics, case and "tỉnh"/"thành phố" optional), or a refusal
    that suggests the closest names."""
    wanted = _plain(name)
    by_plain = {_plain(p.name): p for p in Province.iter_all()}
    found = by_plain.get(wanted)
    if found is not None:
        return found
    close = difflib.get_close_matches(wanted, list(by_plain), n=3, cutoff=0.5)
    hint = f"; có phải: {', '.join(by_plain[c].name for c in close)}?" if close else ""
    raise OfficialListError(
        f"không có tỉnh, thành phố “{name}” trong danh mục 34 tỉnh, thành phố sau 01/07/2025{hint}"
    )


def official_list(name: str, teams: Path | None = None) -> OfficialList:
    """The province's units with their national codes (5 digits), each with its appraisal team
    from `teams` (a unit list: ma_don_vi and nhom_tham_dinh or "Tổ thẩm định"); a unit the teams
    file leaves out is listed under UNASSIGNED and named; a code of the teams file that is not
    the province's is refused."""
    province = find_province(name)
    wards = sorted(
        (w for w in Ward.iter_all() if w.province_code == province.code), key=lambda w: int(w.code)
    )
    given: dict[str, str] = {}
    if teams is not None:
        rows = read_units(teams)
        codes = {f"{int(w.code):05d}" for w in wards}
        strangers = [(n, r.code) for n, r in enumerate(rows, start=2) if r.code.zfill(5) not in codes]
        if strangers:
            shown = ", ".join(f"dòng {n} (“{c}”)" for n, c in strangers[:10])
            raise OfficialListError(
                f"{teams}: {len(strangers)} mã không phải đơn vị của {province.name}: {shown}"
            )
        given = {r.code.zfill(5): r.group for r in rows if r.group}
    units = []
    for w in wards:
        code = f"{int(w.code):05d}"
        units.append(UnitRow(code, w.name, given.get(code, UNASSIGNED)))
    unassigned = [u.code for u in units if u.group == UNASSIGNED]
    return OfficialList(province.name, units, source(), unassigned)


SUCCESSION = Path(__file__).parent / "data" / "sap-nhap-2025.csv.gz"
SPLIT_NOTE = "một phần: đơn vị cũ được chia cho nhiều đơn vị mới"


def official_succession(province: str | None = None) -> tuple[list[SuccessionRow], str]:
    """Which old units formed each new one on 1 July 2025 (the whole country, or one province's
    new units), from the bundled table made from vietnamadminunits' open dataset
    (engine.intake.make_succession). An old unit split between several new ones is listed under
    each, its name followed by a note."""
    wanted = _plain(find_province(province).name) if province is not None else None
    text = gzip.decompress(SUCCESSION.read_bytes()).decode("utf-8")
    rows = []
    for n, r in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        if wanted is not None and _plain(r["tinh_moi"]) != wanted:
            continue
        old_name = r["ten_cu"] if r["phan"] == "toàn bộ" else f"{r['ten_cu']} ({SPLIT_NOTE})"
        rows.append(SuccessionRow(r["ma_moi"], r["ma_cu"], dt.date(2025, 7, 1), r["ten_moi"], old_name, n))
    return rows, "bảng sắp xếp đơn vị hành chính 01/07/2025 (từ dữ liệu mở vietnamadminunits 1.0.4)"
