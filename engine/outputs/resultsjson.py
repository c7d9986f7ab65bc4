"""The results JSON, version 3: what is the same for every unit is written once.

Versions 1 and 2 repeated, in every unit, each criterion's title, group, maximum and source, each
evidence field's label, each gate's title, and every explanation in full: 18-25 KB a unit, 1.8 GB
at 100,000 units. Version 3 says the same things once:

* `catalogue`: the criteria (title, group, maximum, mandatory, source, evidence read), groups,
  gates, evidence labels and flag severities, in the order the units list their rows;
* `texts`: every explanation, rule, reason and flag message, each distinct text once; a unit
  refers to a text by its index;
* `units`: per unit its identity, totals, ranks, seal and exact evidence values as in version 2,
  and rows of numbers and text indices for criteria, groups, gates and flags.

Nothing is lost: `expand` turns a version-3 document back into the version-2 shape, field for
field, and the tests check that for every sample unit. Every reader goes through `expand`, so it
reads the three versions alike. The format is documented in docs/results-format.md.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from typing import Any, BinaryIO

from engine.rules.model import CriteriaSet
from engine.scoring.ranked import full_records
from engine.scoring.results import RESULTS_SCHEMA, RunResult

COMPACT_SINCE = 3  # the first version that writes the catalogue and texts


class ResultsFormatError(ValueError):
    """A version-3 document that does not hold together; the message says where."""


class _Texts:
    """Distinct texts in first-seen order, so the same run gives the same indices.

    At 100,000 units there are some 80,000 of them (messages carry each unit's figures): each is
    known by a 16-byte BLAKE2 digest and its JSON text goes to a temporary file until the end,
    instead of every text staying in memory twice (as a key and in the final array)."""

    def __init__(self) -> None:
        self.index: dict[bytes, int] = {}
        self._spool = tempfile.TemporaryFile()

    def __call__(self, text: str) -> int:
        key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.index)
            self._spool.write((("," if found else "") + _dumps(text)).encode())
        return found

    def write(self, handle: BinaryIO) -> None:
        """The texts as a JSON array, copied from the temporary file."""
        handle.write(b"[")
        self._spool.seek(0)
        shutil.copyfileobj(self._spool, handle)
        self._spool.close()
        handle.write(b"]")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def catalogue_of(cs: CriteriaSet, first: dict[str, Any] | None) -> dict[str, Any]:
    """What every unit shares, from the criteria set and the first unit's rows (every later unit
    is checked against it as it is written). Units are full results as plain JSON data
    (UnitResult.full_record)."""
    from engine.scoring.flags import FLAG_LABELS

    catalogue: dict[str, Any] = {
        "max_total": first["max_total"] if first is not None else cs.scale,
        "evidence": [{"id": d.id, "label": d.label} for d in cs.evidence],
        "criteria": [],
        "groups": [],
        "gates": [],
        "flags": {code: {"severity": sev, "label": label} for code, (sev, label) in FLAG_LABELS.items()},
    }
    if first is None:
        return catalogue
    catalogue["criteria"] = [
        {
            "id": r["id"],
            "title": r["title"],
            "group": r["group"],
            "max_points": r["max_points"],
            "mandatory": r["mandatory"],
            "source": r["source"],
            "proposed": r["proposed"],
            "evidence": [(u["id"], u["label"]) for u in r["evidence"]],
        }
        for r in first["criteria"]
    ]
    catalogue["groups"] = [
        {"id": g["id"], "title": g["title"], "max_points": g["max_points"]} for g in first["groups"]
    ]
    catalogue["gates"] = [
        {"id": g["id"], "title": g["title"], "kind": g["kind"], "source": g["source"]} for g in first["gates"]
    ]
    return catalogue


def _shape_of(unit: dict[str, Any]) -> tuple[Any, ...]:
    """What the catalogue says of a unit: its rows' ids, titles, maxima and sources, in order."""
    return (
        [
            (r["id"], r["title"], r["group"], r["max_points"], r["mandatory"], r["source"], r["proposed"])
            + ([(u["id"], u["label"]) for u in r["evidence"]],)
            for r in unit["criteria"]
        ],
        [(g["id"], g["title"], g["max_points"]) for g in unit["groups"]],
        [(g["id"], g["title"], g["kind"], g["source"]) for g in unit["gates"]],
        unit["max_total"],
    )


def compact_unit(unit: dict[str, Any], text: _Texts) -> dict[str, Any]:
    """One full unit result (plain JSON data) in the version-3 form (rows in catalogue order)."""
    return {
        "code": unit["code"],
        "name": unit["name"],
        "group": unit["group"],
        "year": unit["year"],
        "proposed": unit["proposed"],
        "self_score": unit["self_score"],
        "total": unit["total"],
        "recognised": unit["recognised"],
        "blocking": [text(b) for b in unit["blocking"]],
        "rank": unit["rank"],
        "group_rank": unit["group_rank"],
        "criteria": [
            [r["points"], r["status"], r["applicable"], text(r["rule"]), text(r["explanation"])]
            for r in unit["criteria"]
        ],
        "groups": [[g["points"], g["share"], g["rescaled"], g["self_score"]] for g in unit["groups"]],
        "gates": [[g["ok"], text(g["explanation"])] for g in unit["gates"]],
        "flags": [[f["code"], text(f["message"]), f["facts"]] for f in unit["flags"]],
        "source": unit["source"],
        "comment": unit["comment"],
        "shown": {k: text(v) for k, v in unit["evidence"].items()},
        "evidence_invalid": unit["evidence_invalid"],
        "evidence_problems": unit["evidence_problems"],
        "values": unit["values"],
        "seal": unit["seal"],
    }


def write_json(handle: BinaryIO, run: RunResult, cs: CriteriaSet) -> None:
    """The results as version-3 JSON, one unit at a time (at national scale the document would
    otherwise be held whole in memory, twice)."""
    first = run.units[0].full_record() if run.units else None
    catalogue = catalogue_of(cs, first)
    shape = _shape_of(first) if first is not None else None
    head = json.loads(run.model_copy(update={"units": []}).model_dump_json())
    del head["units"]
    head["catalogue"] = catalogue
    handle.write(_dumps(head)[:-1].encode())
    handle.write(b',"units":[')
    text = _Texts()
    for index, unit in enumerate(full_records(run.units)):
        if _shape_of(unit) != shape:  # every unit's rows must be the catalogue's, in its order
            code = unit["code"]
            raise ResultsFormatError(f"đơn vị {code} không cùng danh mục tiêu chí với các đơn vị khác")
        if index:
            handle.write(b",")
        handle.write(_dumps(compact_unit(unit, text)).encode())
    handle.write(b'],"texts":')
    text.write(handle)
    handle.write(b"}")


# -- reading -------------------------------------------------------------------------------------
def _at(texts: list[str], index: Any, where: str) -> str:
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(texts):
        raise ResultsFormatError(f"{where}: chỉ số văn bản {index!r} không có trong “texts”")
    return texts[index]


def _rows(raw: Any, width: int, count: int | None, where: str) -> list[list[Any]]:
    if not isinstance(raw, list) or (count is not None and len(raw) != count):
        expected = f"{count} dòng" if count is not None else "một danh sách"
        raise ResultsFormatError(f"{where}: cần {expected} theo “catalogue”")
    for i, row in enumerate(raw):
        if not isinstance(row, list) or len(row) != width:
            raise ResultsFormatError(f"{where}[{i}]: cần {width} giá trị")
    return raw


def expand_unit(
    raw: dict[str, Any], catalogue: dict[str, Any], texts: list[str], where: str
) -> dict[str, Any]:
    """A version-3 unit in the version-2 shape."""
    shown = {k: _at(texts, v, f"{where}.shown.{k}") for k, v in (raw.get("shown") or {}).items()}
    values = raw.get("values") or {}
    criteria = []
    rows = _rows(raw.get("criteria"), 5, len(catalogue["criteria"]), f"{where}.criteria")
    for i, (c, row) in enumerate(zip(catalogue["criteria"], rows, strict=True)):
        points, status, applicable, rule, explanation = row
        criteria.append(
            {
                "id": c["id"],
                "title": c["title"],
                "group": c["group"],
                "points": points,
                "max_points": c["max_points"],
                "applicable": applicable,
                "status": status,
                "rule": _at(texts, rule, f"{where}.criteria[{i}][3]"),
                "explanation": _at(texts, explanation, f"{where}.criteria[{i}][4]"),
                "evidence": [
                    {"id": eid, "label": label, "value": values.get(eid), "shown": shown.get(eid, "(trống)")}
                    for eid, label in c["evidence"]
                ],
                "mandatory": c["mandatory"],
                "source": c["source"],
                "proposed": c["proposed"],
            }
        )
    groups = [
        {
            "id": g["id"],
            "title": g["title"],
            "points": row[0],
            "max_points": g["max_points"],
            "share": row[1],
            "rescaled": row[2],
            "self_score": row[3],
        }
        for g, row in zip(
            catalogue["groups"],
            _rows(raw.get("groups"), 4, len(catalogue["groups"]), f"{where}.groups"),
            strict=True,
        )
    ]
    gates = [
        {
            "id": g["id"],
            "title": g["title"],
            "kind": g["kind"],
            "ok": row[0],
            "explanation": _at(texts, row[1], f"{where}.gates[{i}][1]"),
            "source": g["source"],
        }
        for i, (g, row) in enumerate(
            zip(
                catalogue["gates"],
                _rows(raw.get("gates"), 2, len(catalogue["gates"]), f"{where}.gates"),
                strict=True,
            )
        )
    ]
    severities = {code: f.get("severity") for code, f in (catalogue.get("flags") or {}).items()}
    flags = [
        {
            "code": row[0],
            "severity": severities.get(row[0], 3),
            "message": _at(texts, row[1], f"{where}.flags[{i}][1]"),
            "facts": row[2],
        }
        for i, row in enumerate(_rows(raw.get("flags", []), 3, None, f"{where}.flags"))
    ]
    return {
        "code": raw.get("code"),
        "name": raw.get("name"),
        "group": raw.get("group"),
        "year": raw.get("year"),
        "proposed": raw.get("proposed"),
        "self_score": raw.get("self_score"),
        "total": raw.get("total"),
        "max_total": catalogue["max_total"],
        "recognised": raw.get("recognised"),
        "blocking": [_at(texts, b, f"{where}.blocking") for b in raw.get("blocking") or []],
        "rank": raw.get("rank"),
        "group_rank": raw.get("group_rank"),
        "criteria": criteria,
        "groups": groups,
        "gates": gates,
        "flags": flags,
        "source": raw.get("source"),
        "comment": raw.get("comment"),
        "evidence": shown,
        "evidence_invalid": raw.get("evidence_invalid") or {},
        "evidence_problems": raw.get("evidence_problems") or [],
        "values": values,
        "seal": raw.get("seal") or {},
    }


def _check_catalogue(catalogue: Any) -> dict[str, Any]:
    if not isinstance(catalogue, dict):
        raise ResultsFormatError("thiếu “catalogue” (danh mục tiêu chí) của định dạng phiên bản 3")
    for key in ("criteria", "groups", "gates", "evidence"):
        if not isinstance(catalogue.get(key), list) or not all(isinstance(x, dict) for x in catalogue[key]):
            raise ResultsFormatError(f"catalogue.{key}: cần một danh sách")
    for i, c in enumerate(catalogue["criteria"]):
        missing = {"id", "title", "group", "max_points", "mandatory", "evidence"} - set(c)
        if missing:
            raise ResultsFormatError(f"catalogue.criteria[{i}]: thiếu {', '.join(sorted(missing))}")
        if not all(isinstance(e, list) and len(e) == 2 for e in c["evidence"]):
            raise ResultsFormatError(f"catalogue.criteria[{i}].evidence: cần các cặp [mã, nhãn]")
        c.setdefault("source", None)
        c.setdefault("proposed", False)
    for key, needed in (
        ("groups", {"id", "title", "max_points"}),
        ("gates", {"id", "title", "kind"}),
        ("evidence", {"id", "label"}),
    ):
        for i, entry in enumerate(catalogue[key]):
            missing = needed - set(entry)
            if missing:
                raise ResultsFormatError(f"catalogue.{key}[{i}]: thiếu {', '.join(sorted(missing))}")
            entry.setdefault("source", None)
    catalogue.setdefault("max_total", None)
    return catalogue


def expand(data: dict[str, Any]) -> dict[str, Any]:
    """A results document of any version in the version-2 shape (versions 1 and 2 unchanged).
    Raises ResultsFormatError naming the place when a version-3 document does not hold together."""
    version = data.get("schema_version")
    if not isinstance(version, int) or not COMPACT_SINCE <= version <= RESULTS_SCHEMA:
        return data  # 1 and 2 are already in that shape; a newer one is refused by its reader
    catalogue = _check_catalogue(data.get("catalogue"))
    texts = data.get("texts")
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise ResultsFormatError("thiếu “texts” (các văn bản giải thích) của định dạng phiên bản 3")
    units: list[Any] = []
    for index, raw in enumerate(data.get("units") or []):
        if isinstance(raw, dict) and "code" in raw:
            units.append(expand_unit(raw, catalogue, texts, f"units[{index}]"))
        else:
            units.append(raw)  # left for the reader to report as it reports any bad unit
    out = {k: v for k, v in data.items() if k not in ("catalogue", "texts")}
    out["units"] = units
    return out


def read_results(path: Any) -> dict[str, Any]:
    """A results JSON file (any version) in the version-2 shape: for scripts and tests."""
    with open(path, "rb") as handle:
        return expand(json.load(handle))
