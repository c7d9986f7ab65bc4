"""Turn one raw evidence cell into a typed value, accepting Vietnamese habits and refusing guesses.

Accepted: "95%", "0,95" (a share), "1.234,5", "1,5", "Có"/"Không", "x", a blank cell. Refused, with
a reason that says how to write it: "1.234" in a decimal field (thousands or decimals?), "1" in a
percent field (1% or 100%?), unknown choices, text where a number belongs. The rules engine
compares strings with numbers without complaint, so nothing untyped may get past this module.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from typing import Any

from engine.numbers import as_shown, exact
from engine.rules.declarations import EvidenceDecl, Tally
from engine.suggest import ascii_fold, did_you_mean
from engine.text import number


class CellError(ValueError):
    """A cell that cannot be read unambiguously; the message says why and how to write it."""


YES = {"có", "co", "x", "yes", "y", "true", "đạt", "dat", "1", "đúng", "dung", "✓", "✔"}
NO = {"không", "khong", "no", "n", "false", "0", "không đạt", "khong dat", "sai", "-", "k"}
# How people write in the Đề nghị column that a unit is (or is not) proposed, compared without
# case, diacritics, spaces or punctuation ("Có đề nghị", "đ/n", "ĐN", "x").
PROPOSED_YES = {"co", "x", "yes", "y", "true", "1", "v", "denghi", "codenghi", "dn", "codn", "denghicongnhan"}
PROPOSED_NO = {"khong", "no", "n", "false", "0", "k", "kdn", "khongdenghi", "khongdn", "chuadenghi", "chuadn"}
EMPTY_LIST = {"không", "khong", "không có", "khong co", "(không có)", "-"}

_SPACES = re.compile(r"(?<=\d)[\s\u00a0\u202f](?=\d{3}\b)")


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def clean_text(raw: Any) -> str:
    return unicodedata.normalize("NFC", str(raw)).strip()


SMALLEST = 1e-4  # the rules engine cannot read numbers written with an exponent (1e-05, 1e+16)
LARGEST = 1e12


def parse_number(raw: Any, integer: bool = False) -> float:
    """A number from a cell: numbers pass; text follows Vietnamese or unambiguous English habits."""
    return _sane(_parse_number(raw, integer))


def _sane(value: float) -> float:
    if abs(value) >= LARGEST:
        raise CellError("số quá lớn")
    if value and abs(value) < SMALLEST:
        raise CellError("số quá nhỏ (dưới 0,0001)")
    return value


def _parse_number(raw: Any, integer: bool = False) -> float:
    if isinstance(raw, bool):
        raise CellError("cần một số, không phải giá trị đúng/sai")
    if isinstance(raw, (dt.date, dt.time, dt.timedelta)):
        shown = f"{raw:%d/%m/%Y}" if isinstance(raw, dt.date) else str(raw)
        raise CellError(f"ô đang là ngày giờ ({shown}), cần một số; đổi định dạng ô sang Number rồi nhập lại")
    if isinstance(raw, (int, float)):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise CellError("giá trị không phải số hữu hạn")
        return as_shown(float(raw))
    text = _SPACES.sub("", clean_text(raw))
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-").strip()
    if not re.fullmatch(r"[\d.,]+", body) or not re.search(r"\d", body):
        raise CellError("cần một số")
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        decimal = "." if body.rfind(".") > body.rfind(",") else ","
        group = "," if decimal == "." else "."
        whole, _, frac = body.rpartition(decimal)
        if not re.fullmatch(r"\d{1,3}(" + re.escape(group) + r"\d{3})*", whole) or not frac.isdigit():
            raise CellError("không đọc được số (dấu phân cách không đúng chỗ)")
        return sign * float(whole.replace(group, "") + "." + frac)
    sep = "." if dots else "," if commas else ""
    if not sep:
        return sign * float(body)
    parts = body.split(sep)
    grouped = re.fullmatch(r"\d{1,3}(" + re.escape(sep) + r"\d{3})+", body) is not None
    if len(parts) > 2:
        if not grouped:
            raise CellError("không đọc được số (dấu phân cách không đúng chỗ)")
        return sign * float(body.replace(sep, ""))
    whole, frac = parts
    if not whole or not frac:
        raise CellError("không đọc được số")
    if grouped and whole != "0":  # "1.234" or "1,234": thousands, or a decimal with three places?
        # ("0,993" is a share: no number is written with a thousands group after a lone 0)
        if integer:
            return sign * float(whole + frac)
        raise CellError(
            f"không rõ “{sep}” là dấu phân cách hàng nghìn hay dấu thập phân",
        )
    return sign * float(whole + "." + frac)


def _strip_unit(raw: Any, decl: EvidenceDecl) -> Any:
    if isinstance(raw, str) and decl.unit:
        text = clean_text(raw)
        if text.casefold().endswith(decl.unit.casefold()):
            return text[: -len(decl.unit)].strip()
    return raw


def _in_range(value: float, decl: EvidenceDecl, shown: str) -> float:
    low, high = decl.low, decl.high
    if (low is not None and value < low) or (high is not None and value > high):
        raise CellError(f"{shown} nằm ngoài khoảng cho phép ({decl.range_text()})")
    return value


def _fmt(x: float) -> str:
    return number(x)


def parse_percent(raw: Any, percent_format: bool = False) -> float:
    """A percentage on the 0-100 scale.

    "95%" and 95 are 95; a share strictly between 0 and 1 ("0,95", 0.95) is 95; a cell formatted
    as a percentage in Excel holds the share. A bare 1 is refused: 1% and 100% are both plausible.
    """
    if isinstance(raw, str) and clean_text(raw).endswith("%"):
        return parse_number(clean_text(raw)[:-1].strip())
    value = parse_number(raw)
    if percent_format and isinstance(raw, (int, float)):  # Excel keeps the share in % cells
        return _sane(_times_100(value))
    if 0 < value < 1:
        return _sane(_times_100(value))
    if value == 1:
        raise CellError(
            "không rõ là 1% hay 100%",
        )
    return value


def _times_100(share: float) -> float:
    """A share as a percentage, from the decimal as written: 0.57 * 100 in binary is
    56.99999999999999, which would fall below a tier that starts at 57 (a user typing 57% in
    Excel stores 0.57); 0.993 is 99.3 exactly, not 99.30000000000001."""
    return float(exact(share) * 100)


def is_percent_format(number_format: str | None) -> bool:
    """Whether Excel shows a cell as a percentage of its stored share: a % outside quotes and
    not escaped. `0"%"` or `0\\%` only print a % sign after the number as stored."""
    if not number_format:
        return False
    unquoted = re.sub(r'"[^"]*"|\\.', "", number_format)
    return "%" in unquoted


def parse_yes_no(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    text = clean_text(raw).casefold()
    if text in YES:
        return True
    if text in NO:
        return False
    raise CellError("cần “Có” hoặc “Không”")


def parse_proposal(raw: Any) -> bool:
    """Whether the Đề nghị cell says the unit is proposed; anything else is a CellError (a unit is
    never silently "not proposed")."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    text = clean_text(raw)
    if text in ("✓", "✔"):
        return True
    key = re.sub(r"[^a-z0-9]", "", ascii_fold(text).casefold())
    if key in PROPOSED_YES:
        return True
    if key in PROPOSED_NO:
        return False
    raise CellError("không rõ có đề nghị hay không (ghi “Có” hoặc “Không”)")


def dropdown_label(label: str) -> str:
    """A choice's label as the template's dropdown can offer it: an inline list is split at commas
    and ends at a double quote, so those become a space and a single quote."""
    return " ".join(label.replace(",", " ").replace('"', "'").split())


@functools.lru_cache(maxsize=256)
def _choice_keys(choices: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Every way a choice may be written (its id, its label, the label as the template's dropdown
    offers it; folded, no case) -> its id, the first choice winning. Made once per list of
    choices, not for every cell: a province's file has tens of thousands of list answers."""
    keys: dict[str, str] = {}
    for cid, label in choices:
        for form in (
            cid.casefold(),
            ascii_fold(label).casefold(),
            ascii_fold(dropdown_label(label)).casefold(),
        ):
            keys.setdefault(form, cid)
    return keys


@functools.lru_cache(maxsize=4096)
def _folded_answer(text: str) -> str:
    return ascii_fold(clean_text(text)).casefold()


def _match_choice(text: str, decl: EvidenceDecl) -> str:
    keys = _choice_keys(tuple((c.id, c.label) for c in decl.choices or []))
    found = keys.get(_folded_answer(text))
    if found is not None:
        return found
    hint = did_you_mean(text, [c.label for c in decl.choices or []])
    raise CellError(f"“{text}” không có trong danh sách lựa chọn" + (f"; {hint}" if hint else ""))


def parse_items(raw: Any, decl: EvidenceDecl) -> frozenset[str]:
    if isinstance(raw, (list, tuple, set, frozenset)):
        texts = [str(x) for x in raw if not is_blank(x)]
    else:
        text = clean_text(raw)
        if text.casefold() in EMPTY_LIST:
            return frozenset()
        texts = [t for t in re.split(r"[;\n,]+", text) if t.strip()]
    return frozenset(_match_choice(t, decl) for t in texts)


def parse_tally(raw: Any) -> Tally:
    """ "452/500" (satisfied/respondents), or a mapping {satisfied, total} from YAML/JSON."""
    if isinstance(raw, dict):
        satisfied = raw.get("satisfied", raw.get("hai_long"))
        total = raw.get("total", raw.get("tong"))
    else:
        match = re.fullmatch(r"\s*(\S+)\s*/\s*(\S+)\s*", clean_text(raw))
        if not match:
            raise CellError("cần dạng “số phiếu hài lòng/tổng số phiếu”, ví dụ 452/500")
        satisfied, total = match.groups()
    try:
        s, t = parse_number(satisfied, integer=True), parse_number(total, integer=True)
    except CellError:
        raise CellError("cần dạng “số phiếu hài lòng/tổng số phiếu”, ví dụ 452/500") from None
    if not (s.is_integer() and t.is_integer()) or s < 0 or t < 0:
        raise CellError("số phiếu phải là số nguyên không âm")
    if s > t:
        raise CellError("số phiếu hài lòng lớn hơn tổng số phiếu")
    if t > 1_000_000:
        raise CellError("tổng số phiếu quá lớn (tối đa 1.000.000)")
    return Tally(satisfied=int(s), total=int(t))


EXCEL_ERRORS = {
    "#N/A",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#NULL!",
    "#SPILL!",
    "#CALC!",
    "#GETTING_DATA",
}


def parse_cell(raw: Any, decl: EvidenceDecl, percent_format: bool = False) -> Any:
    """The typed value of a non-blank cell for `decl`, or `CellError`."""
    if isinstance(raw, str) and clean_text(raw).upper() in EXCEL_ERRORS:
        raise CellError(f"ô báo lỗi của Excel ({clean_text(raw).upper()}); sửa công thức hoặc nhập giá trị")
    kind = decl.type
    if kind == "yes_no":
        return parse_yes_no(raw)
    if kind == "choice":
        return _match_choice(clean_text(raw), decl)
    if kind == "items":
        return parse_items(raw, decl)
    if kind == "survey":
        return parse_tally(raw)
    raw = _strip_unit(raw, decl)
    if kind == "percent":
        value = parse_percent(raw, percent_format)
        return _in_range(value, decl, f"{_fmt(round(value, 4))}%")
    value = parse_number(raw, integer=kind == "count")
    if kind == "count":
        if not value.is_integer():
            raise CellError("số lượng phải là số nguyên")
        return int(_in_range(value, decl, _fmt(value)))
    return _in_range(value, decl, _fmt(value))


def hint_for(decl: EvidenceDecl) -> str:
    """How to write a value of this type, appended to error messages."""
    return {
        "percent": "ghi ví dụ 95% hoặc 0,95",
        "number": "ghi ví dụ 1234,5 (dấu phẩy là dấu thập phân)",
        "count": "ghi một số nguyên, ví dụ 12",
        "yes_no": "ghi “Có” hoặc “Không”",
        "choice": "chọn một mục trong danh sách",
        "items": "ghi các mục có, cách nhau bằng dấu chấm phẩy",
        "survey": "ghi “số phiếu hài lòng/tổng số phiếu”, ví dụ 452/500",
    }[decl.type]


def parse_date(raw: Any) -> dt.date:
    """A date as Vietnamese officials write it (15/12/2024, 15-12-2024, 15.12.2024), as ISO
    (2024-12-15), or a date cell. Raises ValueError for anything else, impossible days included."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = clean_text(raw)
    match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    if match:
        day, month, year = map(int, match.groups())
    else:
        match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
        if not match:
            raise ValueError(f"not a date: {text!r}")
        year, month, day = map(int, match.groups())
    return dt.date(year, month, day)
