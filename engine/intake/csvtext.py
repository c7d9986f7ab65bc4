"""The text of a CSV file as Excel and people save it (shared by every reader of CSV files)."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

from engine.errors import EvidenceFileError

_VIETNAMESE = set(
    "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
    "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴĐ"
    "“”‘’–—…°²³×·•\u00a0"
)
CSV_ENCODING_HINT = "hãy lưu lại dạng “CSV UTF-8”"


def decode_csv(path: Path) -> str:
    """The text of a CSV as Excel and people save it: UTF-8 (with or without BOM), UTF-16 with a
    BOM ("Unicode Text"), or Windows Vietnamese (cp1258, whose separate tone marks are joined to
    their letters, NFC). Bytes that are none of these with confidence are refused in one line."""
    raw = path.read_bytes()
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise EvidenceFileError(str(path), f"tệp UTF-16 bị hỏng; {CSV_ENCODING_HINT}") from None
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            if b"\x00" in raw:
                raise EvidenceFileError(
                    str(path), f"tệp có vẻ là UTF-16 nhưng thiếu dấu BOM đầu tệp; {CSV_ENCODING_HINT}"
                ) from None
            try:
                text = raw.decode("cp1258")
            except UnicodeDecodeError:
                text = ""
            text = unicodedata.normalize("NFC", text)
            foreign = [c for c in text if ord(c) > 127]
            known = sum(c in _VIETNAMESE for c in foreign)
            if not text or not foreign or known < 0.9 * len(foreign):
                raise EvidenceFileError(
                    str(path),
                    "không xác định được bảng mã của tệp CSV (không phải UTF-8, UTF-16 có BOM hay "
                    f"Windows-1258); {CSV_ENCODING_HINT}",
                ) from None
    return unicodedata.normalize("NFC", text)


def excel_text(cell: str) -> str:
    """A cell written as ="07201" (how a CSV keeps a code's leading zero, or "10/12", as text when
    Excel opens it) is its text; so is a cell our exports defused with an apostrophe ('=…, '+…,
    '-…, '@…: text that would run as a formula, engine.outputs.excelcsv); any other cell is as it is."""
    if len(cell) >= 3 and cell.startswith('="') and cell.endswith('"'):
        return cell[2:-1].replace('""', '"')
    if len(cell) >= 2 and cell[0] == "'" and cell[1] in "=+-@\t\r":
        return cell[1:]
    return cell
