"""Several records as one Word file to print in one go (a team's biên bản thẩm định): each record
is a section of its own, starting on a new page, its pages numbered from 1 ("Trang k"), with its
styles, numbering and tables kept.

Joining .docx files is not concatenating XML (styles, numbering and relationships have ids of
their own in each file), so it is done by docxcompose, which maps them."""

from __future__ import annotations

import copy
import io
from collections.abc import Sequence
from typing import Any


def combined(parts: Sequence[bytes]) -> bytes:
    """The .docx files in order as one .docx, each after the first from a new page."""
    from docx import Document
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn
    from docxcompose.composer import Composer

    if not parts:
        raise ValueError("no record to combine")
    master = Document(io.BytesIO(parts[0]))
    body = master.element.body
    last = body.find(qn("w:sectPr"))
    if last is None:
        last = body.get_or_add_sectPr()
    _restart_numbering(last)
    composer = Composer(master)
    for part in parts[1:]:
        # the record before ends its section here: a paragraph holding a copy of the section's
        # properties (same page, header and footer), the next one starts on a new page
        ending = parse_xml(f"<w:p {nsdecls('w')}><w:pPr/></w:p>")
        section = copy.deepcopy(last)
        kind = section.find(qn("w:type"))
        if kind is not None:
            section.remove(kind)
        section.insert(0, parse_xml(f'<w:type {nsdecls("w")} w:val="nextPage"/>'))
        ending.find(qn("w:pPr")).append(section)
        last.addprevious(ending)
        composer.append(Document(io.BytesIO(part)))
    for footer in _footers(master):
        _pages_of_section(footer)
    out = io.BytesIO()
    composer.save(out)
    return out.getvalue()


def _restart_numbering(section: Any) -> None:
    """Pages of the section counted from 1."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn

    for old in section.findall(qn("w:pgNumType")):
        section.remove(old)
    numbering = parse_xml(f'<w:pgNumType {nsdecls("w")} w:start="1"/>')
    # schema order: after the page margins and borders, before the columns
    anchor = section.find(qn("w:cols"))
    if anchor is not None:
        anchor.addprevious(numbering)
    else:
        section.append(numbering)


def _footers(document: Any) -> list[Any]:
    found = []
    for section in document.sections:
        for part in (section.footer, section.header):
            if not part.is_linked_to_previous:
                found.append(part._element)
    return found


def _pages_of_section(element: Any) -> None:
    """A record's pages are counted from 1 in its own section; "of n pages" would count the whole
    file's (NUMPAGES), and the field that counts a section's (SECTIONPAGES) is computed by Word
    but shown as its stored value by LibreOffice. So the combined file writes "Trang k": the total
    and the "/" before it are left out (each record alone keeps "Trang k/n")."""
    from docx.oxml.ns import qn

    for field in list(element.iter(qn("w:fldSimple"))):
        if "NUMPAGES" not in field.get(qn("w:instr"), ""):
            continue
        before = field.getprevious()
        texts = list(before.iter(qn("w:t"))) if before is not None else []
        if texts and texts[-1].text and texts[-1].text.rstrip().endswith("/"):
            texts[-1].text = texts[-1].text.rstrip()[:-1].rstrip()
        field.getparent().remove(field)
