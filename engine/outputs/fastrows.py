"""Long sheets written as SpreadsheetML text, spliced into the workbook openpyxl saves.

openpyxl's write-only mode builds an element per cell and serialises it through its XML layer:
about 18 µs a cell, two thirds of a national run's time for the two long sheets (Chi tiết, 22
rows a unit, and Minh chứng). Here a long sheet is created by openpyxl as usual (widths, frozen
panes, print setup, autofilter, heading row); its body rows are produced later, as text, straight
into the sheet's entry of the zip file while the saved workbook is copied. The cells are the ones
openpyxl writes (inline strings, numbers as "%.16g", booleans as 1/0, the same style ids), but
for the texts that repeat from unit to unit, which go to a shared-strings table as Excel writes
them (`SharedStrings`): every reader, LibreOffice and `cqtt recheck` included, sees the same
values, formats and styles.

Copying the saved workbook also fixes every entry's time to the run's time (and the document
properties to it), so that the same inputs give a byte-identical workbook.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO
from xml.etree import ElementTree

from openpyxl.utils import get_column_letter

from engine.outputs import rowfit
from engine.outputs.xlsxstyle import Styled
from engine.text import safe_text

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Rows joined per write. A chunk is held three times over (the rows, the joined text, its UTF-8):
# 2,000 rows of Minh chứng were some 15 MB, and the freed blocks stayed with the process.
_FLUSH_ROWS = 200
# Elements a worksheet may have right after <dimension> (SpreadsheetML order); sheetData always is.
_AFTER_DIMENSION = ("<sheetViews", "<sheetFormatPr", "<cols", "<sheetData")
# The parts that name the shared-strings table: held back and written after it.
_DECLARING = ("[Content_Types].xml", "xl/_rels/workbook.xml.rels")
_MODIFIED = re.compile(r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


Row = Sequence[Any]  # values (str, int, float, bool, None) or Styled


@dataclass
class DeferredSheet:
    title: str
    first_row: int
    width: int
    rows: Iterable[Row]
    count: int  # how many rows `rows` yields (declared in <dimension>, checked when written)
    announce: str | None  # what `save` tells its phase callback when it starts this sheet
    shared: frozenset[int] = frozenset()  # columns (from 0) whose texts go to the shared table
    apart: bool = False  # rows made by a forked child when the save may use more processes

    @property
    def dimension(self) -> str:
        return f'<dimension ref="A1:{get_column_letter(self.width)}{self.first_row - 1 + self.count}"/>'


def defer(
    wb: Any,
    ws: Any,
    width: int,
    rows: Iterable[Row],
    count: int,
    first_row: int = 2,
    announce: str | None = "",
    shared: Iterable[int] = (),
    apart: bool = False,
) -> None:
    """Write `rows` (`count` of them) as the body of `ws` from `first_row` when the workbook is
    saved by `save`. `announce`: the phase to report when writing starts ("" the sheet's title,
    None nothing). `shared`: the columns (from 0) whose texts repeat from unit to unit (titles,
    explanations, rules, sources): written once in the workbook's shared-strings table and
    referred to by number (see `SharedStrings`); texts of other columns are written in the cell.
    `apart`: the rows may be made by a forked child meanwhile (see `save`); such a sheet has no
    shared columns.

    The sheet gets a <dimension>: openpyxl writes none in write-only mode, and without one every
    reader that opens the workbook read-only (openpyxl, so `cqtt recheck`) scans the whole sheet
    before the first row (10 s for 100,000 rows)."""
    deferred: dict[str, DeferredSheet] = wb.__dict__.setdefault("_cqtt_deferred", {})
    said = f"sheet “{ws.title}”" if announce == "" else announce
    if apart and shared:
        raise ValueError("a sheet written apart cannot use the shared table")
    deferred[ws.title] = DeferredSheet(
        ws.title, first_row, width, rows, count, said, frozenset(shared), apart
    )


class SharedStrings:
    """The workbook's shared-strings table (xl/sharedStrings.xml), made while the long sheets
    are written: a text that repeats on every unit's rows is written once, and each cell holds
    its number. Excel writes every text this way; inline texts made a national workbook over
    3 GB of sheet XML, most of it the same explanations again, and deflating it was a tenth of
    the run.

    Texts enter in first-seen order (the same inputs give the same table) until `limit`
    distinct texts are held; later new texts are written inline, so the memory held stays
    bounded whatever the number of units."""

    PART = "xl/sharedStrings.xml"
    CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"

    def __init__(self, limit: int = 50_000) -> None:
        self.index: dict[str, int] = {}
        self.limit = limit

    def number(self, text: str) -> int | None:
        """The text's number in the table (added if there is room), or None: write it inline."""
        found = self.index.get(text)
        if found is None and len(self.index) < self.limit and _text_body(text):
            found = self.index[text] = len(self.index)
        return found

    def xml(self) -> Iterator[bytes]:
        """The part's XML, in pieces."""
        yield (f'<sst xmlns="{_MAIN[1:-1]}" uniqueCount="{len(self.index)}">').encode()
        chunk: list[str] = []
        for text in self.index:
            chunk.append(f"<si>{_text_body(text)[4:-5]}</si>")  # <is><t>…</t></is> -> <t>…</t>
            if len(chunk) >= _FLUSH_ROWS:
                yield "".join(chunk).encode("utf-8")
                chunk = []
        yield ("".join(chunk) + "</sst>").encode("utf-8")

    def declare(self, content_types: bytes, workbook_rels: bytes) -> tuple[bytes, bytes]:
        """[Content_Types].xml and the workbook's relationships, naming the table's part."""
        override = f'<Override PartName="/{self.PART}" ContentType="{self.CONTENT_TYPE}"/>'
        relationship = (
            f'<Relationship Type="{self.RELATIONSHIP}" Target="sharedStrings.xml" Id="rIdStrings"/>'
        )
        return (
            content_types.replace(b"</Types>", override.encode() + b"</Types>"),
            workbook_rels.replace(b"</Relationships>", relationship.encode() + b"</Relationships>"),
        )


@functools.lru_cache(maxsize=8192)
def _text_body(text: str) -> str:
    """`<is>…</is>` of a text cell; titles, rules and sources repeat on every unit, so cached."""
    text = safe_text(text)
    if not text:
        return ""
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
    return f"<is><t{space}>{text}</t></is>"


def _text_cell(ref: str, text: str, style: str) -> str:
    body = _text_body(text)
    if not body:
        return f'<c r="{ref}"{style} t="inlineStr"/>'  # as openpyxl writes an empty string
    return f'<c r="{ref}"{style} t="inlineStr">{body}</c>'


def _cell(ref: str, value: Any, style: str, table: SharedStrings | None = None) -> str:
    if isinstance(value, str):
        if table is not None and (number := table.number(value)) is not None:
            return f'<c r="{ref}"{style} t="s"><v>{number}</v></c>'
        return _text_cell(ref, value, style)
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"{style} t="n"><v>{value}</v></c>'
    if isinstance(value, float):
        return f'<c r="{ref}"{style} t="n"><v>{value:.16g}</v></c>'
    if value is None:
        return f'<c r="{ref}"{style}/>' if style else ""
    raise TypeError(f"cannot write {type(value).__name__} to a cell")


def sheet_rows(
    sheet: DeferredSheet, fit: rowfit.SheetFit | None = None, table: SharedStrings | None = None
) -> Iterator[str]:
    """The body rows of a deferred sheet as XML text, in chunks; with `fit`, each row whose
    wrapped text needs more than one line gets the height it needs; with `table`, the texts of
    the sheet's shared columns go to it."""
    letters = [get_column_letter(i) for i in range(1, sheet.width + 1)]
    tables = [table if table is not None and i in sheet.shared else None for i in range(sheet.width)]
    wrapped = set() if fit is None else {i for i, f in enumerate(fit.styles.formats) if f.wrap or f.size > 10}
    number = sheet.first_row
    chunk: list[str] = []
    for row in sheet.rows:
        cells = []
        tall: list[tuple[int, str | None, int]] = []
        for col, (letter, shared, value) in enumerate(zip(letters, tables, row, strict=False), start=1):
            if isinstance(value, Styled):
                cells.append(_cell(f"{letter}{number}", value.value, f' s="{value.style}"', shared))
                if value.style in wrapped and isinstance(value.value, str):
                    tall.append((col, value.value, value.style))
            elif value is not None:
                cells.append(_cell(f"{letter}{number}", value, "", shared))
        height = fit.height(number, tall) if tall and fit is not None else None
        if height is None:
            chunk.append(f'<row r="{number}">{"".join(cells)}</row>')
        else:
            chunk.append(f'<row r="{number}" ht="{height:g}" customHeight="1">{"".join(cells)}</row>')
        number += 1
        if len(chunk) >= _FLUSH_ROWS:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)
    if number - sheet.first_row != sheet.count:  # the <dimension> would lie: readers lose rows
        raise RuntimeError(f"sheet {sheet.title}: {number - sheet.first_row} rows, {sheet.count} declared")


def _sheet_paths(source: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> its part's path inside the package."""
    book = ElementTree.fromstring(source.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(source.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL}Relationship")}
    paths = {}
    for sheet in book.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_REL}id"), "")
        paths[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return paths


def _sheet_xml(source: zipfile.ZipFile, path: str) -> tuple[str, str, str]:
    """A saved sheet's XML as (what precedes <sheetData>, its rows, what follows </sheetData>)."""
    xml = source.read(path).decode("utf-8")
    xml = xml.replace("<sheetData />", "<sheetData></sheetData>").replace(
        "<sheetData/>", "<sheetData></sheetData>"
    )
    head, tail = xml.split("</sheetData>")  # once: text inside cells has "<" escaped
    before, rows = head.split("<sheetData>")
    return before, rows, tail


def _write_apart(
    saved: io.BytesIO, path: str, sheet: DeferredSheet, styles: rowfit.Styles, into: BinaryIO
) -> Callable[[], None]:
    """The work of a forked child writing a sheet's body rows (UTF-8 XML) to `into`."""

    def work() -> None:
        with zipfile.ZipFile(saved) as source:
            before, _rows, tail = _sheet_xml(source, path)
        fit = rowfit.sheet_fit(styles, before, tail)
        for text in sheet_rows(sheet, fit):
            into.write(text.encode("utf-8"))
        into.flush()

    return work


def save(
    wb: Any,
    handle: BinaryIO,
    when: dt.datetime,
    phase: Callable[[str], None] | None = None,
    processes: int = 1,
) -> None:
    """Save `wb` to `handle`, writing each deferred sheet's rows into its part, every entry
    dated `when` (naive UTC). With more than one process, the rows of the sheets deferred
    `apart` are made by forked children while this process writes the others (the same bytes
    either way: those sheets never use the shared table, whose numbers depend on the order)."""
    from engine.outputs import alongside

    wb.properties.created = wb.properties.modified = when
    wb.__dict__["_cqtt_styles_written"] = True  # xlsxstyle.styled refuses new styles from here on
    saved = io.BytesIO()
    wb.save(saved)
    deferred: dict[str, DeferredSheet] = wb.__dict__.get("_cqtt_deferred", {})
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    children: dict[str, tuple[alongside.Child, BinaryIO]] = {}  # sheet path -> child, its rows
    try:
        with zipfile.ZipFile(saved) as source, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as out:
            paths = _sheet_paths(source)
            by_path = {path: deferred[title] for title, path in paths.items() if title in deferred}
            if len(by_path) != len(deferred):  # a sheet whose rows would silently never be written
                raise RuntimeError(f"deferred sheets not found in the saved workbook: {sorted(deferred)}")
            names = set(source.namelist())
            styles = rowfit.Styles.parse(source.read("xl/styles.xml"))
            if processes > 1 and alongside.available():
                for path, later in by_path.items():
                    if later.apart:
                        made = tempfile.TemporaryFile()
                        work = _write_apart(saved, path, later, styles, made)
                        children[path] = (alongside.Child(work, f"sheet “{later.title}”"), made)
            shared = rowfit.shared_strings(
                source.read("xl/sharedStrings.xml") if "xl/sharedStrings.xml" in names else None
            )
            worksheets = set(paths.values())
            # A table of the long sheets' repeated texts, unless the saved workbook has its own.
            wanted = any(d.shared for d in deferred.values()) and SharedStrings.PART not in names
            table = SharedStrings() if wanted else None
            declarations: dict[str, tuple[zipfile.ZipInfo, bytes]] = {}  # written last, naming the table
            for info in source.infolist():
                entry = zipfile.ZipInfo(info.filename, stamp)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = info.external_attr
                sheet = by_path.get(info.filename)
                if table is not None and info.filename in _DECLARING:
                    declarations[info.filename] = (entry, source.read(info.filename))
                    continue
                if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" with the clock
                    modified = f"\\g<1>{when:%Y-%m-%dT%H:%M:%S}Z\\g<2>"
                    text = re.sub(_MODIFIED, modified, source.read(info.filename).decode("utf-8"))
                    out.writestr(entry, text.encode("utf-8"))
                    continue
                if info.filename not in worksheets:
                    out.writestr(entry, source.read(info.filename))
                    continue
                before, rows, tail = _sheet_xml(source, info.filename)
                fit = rowfit.sheet_fit(styles, before, tail)
                head = f"{before}<sheetData>{rowfit.fit_rows(rows, fit, shared)}"
                if sheet is None:
                    out.writestr(entry, f"{head}</sheetData>{tail}".encode())
                    continue
                if phase is not None and sheet.announce:
                    phase(sheet.announce)
                if "<dimension" not in head:
                    at = min(i for i in (head.find(t) for t in _AFTER_DIMENSION) if i >= 0)
                    head = head[:at] + sheet.dimension + head[at:]
                with out.open(entry, "w", force_zip64=True) as part:
                    part.write(head.encode("utf-8"))
                    if info.filename in children:
                        child, body = children.pop(info.filename)
                        child.wait()
                        body.seek(0)
                        shutil.copyfileobj(body, part, 1 << 20)
                        body.close()
                    else:
                        for text in sheet_rows(sheet, fit, None if sheet.apart else table):
                            part.write(text.encode("utf-8"))
                    part.write(b"</sheetData>" + tail.encode("utf-8"))
            if table is not None:
                _write_table(out, table, stamp, declarations)
    finally:
        for child, body in children.values():  # left unread: this save failed or was stopped
            child.stop()
            body.close()


def _write_table(
    out: zipfile.ZipFile,
    table: SharedStrings,
    stamp: tuple[int, int, int, int, int, int],
    declarations: dict[str, tuple[zipfile.ZipInfo, bytes]],
) -> None:
    """The shared-strings part, then the content types and relationships that name it."""
    strings = zipfile.ZipInfo(SharedStrings.PART, stamp)
    strings.compress_type = zipfile.ZIP_DEFLATED
    strings.external_attr = 0o600 << 16
    with out.open(strings, "w", force_zip64=True) as part:
        for piece in table.xml():
            part.write(piece)
    if len(declarations) != len(_DECLARING):
        raise RuntimeError(f"the saved workbook lacks {set(_DECLARING) - set(declarations)}")
    types_entry, types = declarations[_DECLARING[0]]
    rels_entry, rels = declarations[_DECLARING[1]]
    types, rels = table.declare(types, rels)
    out.writestr(types_entry, types)
    out.writestr(rels_entry, rels)


def finish(wb: Any, handle: BinaryIO, when: str | None = None) -> None:
    """Save a workbook that has no long sheets of its own the same way (every row's height fitted
    to its text), dated `when` (an ISO time; the clock when None)."""
    moment = dt.datetime.now(dt.UTC)
    if when:
        try:
            moment = dt.datetime.fromisoformat(when)
        except ValueError:
            pass
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    save(wb, handle, moment)
