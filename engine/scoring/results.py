"""Results of a scoring run as pydantic models: what the JSON output and the workbook are made of.

Every number can be traced: a criterion result holds the evidence used, the rule that matched and a
Vietnamese explanation; a unit result holds every mandatory criterion, disqualifier and requirement
with its outcome and every reason that blocks recognition; the run holds the criteria file's hash.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Sequence
from typing import Any, Literal

import orjson
from pydantic import BaseModel, Field, PrivateAttr, field_serializer

from engine.spool import Spool

Status = Literal["scored", "not_applicable", "missing_evidence"]

# Version of the results format (JSON and workbook). 1: files written before the version was
# recorded (no `schema_version` key, no hidden binding sheet). 2: adds the exact evidence values
# per unit (`values`), the seal (per unit and for the run) and the workbook's binding sheet.
# Every reader (`cqtt recheck`, `cqtt sample`) reads every version listed here. The optional
# `history` key (the year before, from a history store) was added within version 2: it is outside
# the seal and readers that do not know it ignore it. 3: national scale. The JSON says what every
# unit shares once (`catalogue`, `texts`; engine.outputs.resultsjson, docs/results-format.md) and
# the workbook's Chi tiết sheet continues on "Chi tiết 2", "3"… at Excel's row limit (the binding
# lists the parts). The in-memory model keeps the version-2 shape.
RESULTS_SCHEMA = 3
READABLE_SCHEMAS = (1, 2, 3)


class EvidenceUsed(BaseModel):
    id: str
    label: str
    value: Any = None
    shown: str


class CriterionResult(BaseModel):
    id: str
    title: str
    group: str
    points: float
    max_points: float
    applicable: bool
    status: Status
    rule: str
    explanation: str
    evidence: list[EvidenceUsed] = Field(default_factory=list)
    mandatory: bool = False
    source: str | None = None  # the document cited, or "Đề xuất của bản mẫu: why"
    proposed: bool = False  # proposed by the model set rather than taken from a document


class GroupResult(BaseModel):
    id: str
    title: str
    points: float
    max_points: float
    share: float
    rescaled: bool = False
    self_score: float | None = None


GateKind = Literal["mandatory", "disqualifier", "requirement"]


class GateResult(BaseModel):
    """A mandatory criterion, disqualifier or requirement and its outcome for one unit."""

    id: str
    title: str
    kind: GateKind
    ok: bool
    explanation: str
    source: str | None = None  # as for a criterion


class Flag(BaseModel):
    code: str
    severity: int  # 1 most severe
    message: str
    facts: dict[str, Any] = Field(default_factory=dict)


class UnitResult(BaseModel):
    code: str
    name: str
    group: str
    year: int | None = None
    proposed: bool
    self_score: float | None = None
    total: float
    max_total: float
    recognised: bool
    blocking: list[str] = Field(default_factory=list)
    rank: int = 0
    group_rank: int = 0
    criteria: list[CriterionResult]
    groups: list[GroupResult]
    gates: list[GateResult] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    source: str = ""
    comment: str | None = None
    evidence: dict[str, str] = Field(default_factory=dict)
    evidence_invalid: dict[str, str] = Field(default_factory=dict)
    evidence_problems: list[str] = Field(default_factory=list)  # ids invalid or missing where needed
    values: dict[str, Any] = Field(default_factory=dict)  # exact typed evidence, in plain JSON terms
    seal: dict[str, str] = Field(default_factory=dict)  # part -> digest (engine.scoring.seal)
    _packed: bytes | None = PrivateAttr(default=None)
    _spooled: tuple[Spool, int, int] | None = PrivateAttr(default=None)

    def packed(
        self, criteria_json: Sequence[bytes | None] | None = None, dictionary: bytes | None = None
    ) -> UnitResult:
        """A light copy for ranking and summaries, carrying this full result compressed.

        At national scale the full results (every criterion with its evidence and explanation)
        would take most of a gigabyte as objects; packed they take a few KB per unit.
        `criteria_json` may give a criterion result's JSON already made (the engine gives the same
        result object to many units); `dictionary` names a preset dictionary registered with
        `packing_dictionary`, which holds the texts every unit repeats (titles, labels, sources):
        the unit compresses to less than half, in two thirds of the time.
        """
        light = self.model_copy(
            update={"criteria": [], "gates": [], "evidence": {}, "evidence_invalid": {}, "values": {}}
        )
        if criteria_json is None:
            data = self.model_dump_json().encode("utf-8")
        else:
            parts = [
                made or r.model_dump_json().encode("utf-8")
                for r, made in zip(self.criteria, criteria_json, strict=True)
            ]
            rest = self.model_dump_json(exclude={"criteria"}).encode("utf-8")
            data = b'{"criteria":[' + b",".join(parts) + b"]," + rest[1:]
        if dictionary is None:
            light._packed = b"\x00" + zlib.compress(data, 1)
        else:
            packer = _DICTIONARIES[dictionary][1].copy()  # cheaper than loading the dictionary
            light._packed = b"\x01" + dictionary + packer.compress(data) + packer.flush()
        return light

    @staticmethod
    def unpack(packed: bytes) -> UnitResult:
        """A full result from what `packed` compressed."""
        return UnitResult.model_validate_json(_unpacked_json(packed))

    @staticmethod
    def unpack_record(packed: bytes) -> dict[str, Any]:
        """What `packed` compressed as plain JSON data (the shape of `model_dump(mode="json")`),
        not validated again: it was made from a valid result by this process or its workers.
        What the long sheets and the JSON file are written from: validating every unit's full
        result back into models was a seventh of a national run's main process."""
        data = _unpacked_json(packed)
        try:
            record: dict[str, Any] = orjson.loads(data)
        except orjson.JSONDecodeError:  # an integer beyond 64 bits, which orjson does not read
            record = json.loads(data)
        return record

    def take_packed(self) -> bytes:
        """The packed full result of a light unit, which no longer holds it."""
        if self._packed is None:
            raise ValueError(f"đơn vị {self.code}: không phải kết quả rút gọn")
        packed, self._packed = self._packed, None
        return packed

    def attach_full(self, spool: Spool, offset: int, length: int) -> None:
        """Say where this light unit's packed full result lies (see engine.scoring.ranked)."""
        self._spooled = (spool, offset, length)

    def full(self) -> UnitResult:
        """The full result (this unit itself when it was never packed), with the current ranks."""
        if self._spooled is not None:
            spool, offset, length = self._spooled
            packed = spool.get(offset, length)
        elif self._packed is not None:
            packed = self._packed
        else:
            return self
        unit = UnitResult.unpack(packed)
        unit.rank, unit.group_rank, unit.seal = self.rank, self.group_rank, dict(self.seal)
        return unit

    def full_record(self) -> dict[str, Any]:
        """The full result as plain JSON data, with the current ranks (see `unpack_record`)."""
        if self._spooled is not None:
            record = UnitResult.unpack_record(self._spooled[0].get(*self._spooled[1:]))
        elif self._packed is not None:
            record = UnitResult.unpack_record(self._packed)
        else:
            return self.model_dump(mode="json")
        record.update(rank=self.rank, group_rank=self.group_rank, seal=dict(self.seal))
        return record


def _unpacked_json(packed: bytes) -> bytes:
    if packed[:1] == b"\x01":
        key, body = packed[1 : 1 + DICTIONARY_ID_BYTES], packed[1 + DICTIONARY_ID_BYTES :]
        unpacker = zlib.decompressobj(zdict=_DICTIONARIES[key][0])
        return unpacker.decompress(body) + unpacker.flush()
    return zlib.decompress(packed[1:])


# Preset dictionaries for packing full results, by id. Packed results never leave the process
# that packed them or its forked workers (they live in a run's temporary files), which register
# the same dictionaries: nothing packed with one is ever read without it.
DICTIONARY_ID_BYTES = 8
_DICTIONARIES: dict[bytes, tuple[bytes, Any]] = {}  # id -> (dictionary, compressor holding it)


def packing_dictionary(text: bytes) -> bytes:
    """Register a preset dictionary for `UnitResult.packed` (zlib uses its last 32 KB, where the
    most frequent strings belong) and return its id."""
    text = text[-32768:]
    key = hashlib.blake2b(text, digest_size=DICTIONARY_ID_BYTES).digest()
    if key not in _DICTIONARIES:
        _DICTIONARIES[key] = (text, zlib.compressobj(1, zdict=text))
    return key


class CriteriaInfo(BaseModel):
    id: str
    version: str
    title: str
    status: str
    sha256: str
    file: str


class GroupSummary(BaseModel):
    group: str
    units: int  # scored
    proposed: int
    recognisable: int
    proposed_not_recognisable: int
    recognised_share: float  # of the group's population: scored and not submitted
    flags: int
    not_submitted: int = 0


class NotSubmittedUnit(BaseModel):
    """A unit listed (a template's row with nothing filled, or the unit list) that has not applied:
    not scored, not ranked, not flagged, counted in the population of every share."""

    code: str
    name: str
    group: str
    source: str


class CriterionSummary(BaseModel):
    id: str
    title: str
    applicable_units: int
    full_points_units: int
    full_points_share: float | None


class Summary(BaseModel):
    units: int  # scored
    proposed: int
    recognisable: int
    proposed_recognisable: int
    proposed_not_recognisable: int
    recognised_share: float  # recognisable / population
    target_share: float | None = None
    meets_target: bool | None = None
    borderline: int
    units_with_evidence_issues: int
    evidence_issues: int
    flags_by_code: dict[str, int]
    groups: list[GroupSummary]
    criteria: list[CriterionSummary]
    not_submitted: int = 0
    population: int = 0  # the units a share is taken over: scored and not submitted
    scope: str = ""  # whose units, in words: "toàn tỉnh", "Huyện Lục Nam", "3 nhóm thẩm định trong tệp"
    whole_province: bool = False  # the population is a whole unit list given with --units
    replaced_by_tallies: int = 0  # typed survey values replaced by a tally (not errors)
    tallies_changed: list[str] = Field(default_factory=list)  # units whose result the tallies changed
    recognisable_as_typed: int | None = None  # eligible units with the typed survey values instead
    # of `not_submitted`, those that applied but whose appraisal is not finished (the portal's
    # downloads): not scored, never counted eligible, in the population
    awaiting_appraisal: int | None = None


class EvidenceProblem(BaseModel):
    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: Any = None
    unit: str | None = None
    message: str
    kind: str = "problem"  # or "replaced": a typed value replaced by a survey tally


class UnitPrior(BaseModel):
    """What the history store says of a unit's year before (not sealed: it comes from the store,
    not from the evidence, so a re-check without the store reads the same seal)."""

    year: int
    codes: list[str] = Field(default_factory=list)  # the code(s) of that year (old codes if merged)
    total: float | None = None
    criteria: str | None = None  # id@version scored under that year
    recognised: bool | None = None  # by the decision, else by that year's score
    decision: str | None = None  # the decision's label, or "Thu hồi công nhận"
    change: float | None = None  # this year's total minus last year's
    first_recognition: bool = False
    recognition_lost: bool = False
    decided_this_year: bool = False  # the province's decision for this year exists
    withdrawal_candidate: bool = False  # recognised this year, yet a disqualifier is found now
    withdrawal_reason: str | None = None


class PriorYears(BaseModel):
    """The year before, from the history store, for the units of a run."""

    year: int
    units: dict[str, UnitPrior] = Field(default_factory=dict)
    previous_units: int = 0
    previous_recognisable: int = 0
    previous_recognised: int = 0  # by decision, withdrawals excluded
    previous_share_by_group: dict[str, float] = Field(default_factory=dict)

    @property
    def previous_share(self) -> float | None:
        return self.previous_recognisable / self.previous_units if self.previous_units else None


class RunResult(BaseModel):
    """A scoring run. `units` are ranked and light (no per-criterion detail); `unit.full()` gives
    each unit's complete result, one at a time."""

    schema_version: int = RESULTS_SCHEMA
    tool: str
    generated_at: str | None = None
    criteria: CriteriaInfo
    units: Sequence[UnitResult]  # engine runs: a RankedUnits (engine.scoring.ranked), on disk
    summary: Summary
    evidence_problems: list[EvidenceProblem] = Field(default_factory=list)
    inputs: list[dict[str, str]] = Field(default_factory=list)
    seal: str | None = None  # digest over every unit's seal and the criteria file's hash
    history: PriorYears | None = None  # only when scored with a history store that knows earlier years
    not_submitted: list[NotSubmittedUnit] = Field(default_factory=list)

    @field_serializer("units")
    def _units_as_list(self, units: Sequence[UnitResult]) -> list[UnitResult]:
        """A run's units kept on disk are dumped like a list (tests, API use; the results JSON
        is written unit by unit, engine.outputs.resultsjson)."""
        return units if isinstance(units, list) else list(units)
