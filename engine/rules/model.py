"""The criteria set as a strict pydantic model: what a rule file may contain, and nothing else.

The scoring-method types come from the `scorers` registry, so adding a method module adds it to
the schema. Semantic checks that need the whole file (points adding up, tiers without gaps,
references) live in `engine.checks`.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

import scorers
from engine.rules.conditions import Condition, fields_read
from engine.rules.declarations import EvidenceDecl, Ident, Source, Strict
from scorers.base import Scorer

SetId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,40}$")]
Version = Annotated[str, StringConstraints(pattern=r"^(19|20)\d\d(\.\d+){0,2}$")]

if TYPE_CHECKING:  # the union is built from the registry at run time
    Method = Any
else:
    # Every registered scoring method's settings model, told apart by its `type` key.
    Method = Annotated[
        functools.reduce(operator.or_, scorers.REGISTRY.models()),
        Field(discriminator="type"),
    ]


PROPOSED_LABEL = "Đề xuất của bản mẫu"


class Provenance(Strict):
    """Where an item comes from: `source` (a document, article or section, date) when a legal or
    policy document says it, else `proposed` with one line saying why the model set proposes it.
    Policy staff must see, item by item, what is official and what is proposed."""

    source: Source | None = None
    proposed: str | None = Field(default=None, min_length=3)

    @model_validator(mode="after")
    def _one_of(self) -> Provenance:
        if self.source is not None and self.proposed is not None:
            raise ValueError(
                "ghi `source` (văn bản làm căn cứ) hoặc `proposed` (lý do bản mẫu đề xuất), không ghi cả hai"
            )
        return self

    @property
    def has_provenance(self) -> bool:
        return self.source is not None or self.proposed is not None

    def provenance(self) -> str:
        """The source as cited, or the model set's reason, or that neither is given."""
        if self.source is not None:
            return self.source.cite()
        if self.proposed is not None:
            return f"{PROPOSED_LABEL}: {self.proposed}"
        return "chưa ghi nguồn"


class Mandatory(Strict):
    """A mandatory criterion: failing it blocks recognition whatever the total."""

    min_points: float | None = Field(default=None, gt=0)
    label: str | None = None


class Criterion(Provenance):
    id: Ident
    title: str
    points: float = Field(gt=0)
    method: Method
    applies_when: Condition | None = None
    not_applicable: Literal["full", "rescale"] | None = None
    mandatory: bool | Mandatory = False
    note: str | None = None

    @model_validator(mode="after")
    def _applicability(self) -> Criterion:
        if self.applies_when is not None and self.not_applicable is None:
            raise ValueError(
                "có `applies_when` thì phải ghi `not_applicable: full` (tính đủ điểm) hoặc "
                "`not_applicable: rescale` (quy đổi điểm nhóm) cho trường hợp không áp dụng"
            )
        if self.applies_when is None and self.not_applicable is not None:
            raise ValueError("`not_applicable` chỉ dùng khi có `applies_when`")
        return self

    @property
    def scorer(self) -> Scorer:
        return scorers.REGISTRY.get(self.method.type)

    @property
    def is_mandatory(self) -> bool:
        return self.mandatory is not False

    @property
    def mandatory_min_points(self) -> float | None:
        """Points needed to meet a mandatory criterion; None means "more than zero"."""
        if isinstance(self.mandatory, Mandatory):
            return self.mandatory.min_points
        return None

    def evidence_read(self) -> set[str]:
        found = set(self.scorer.evidence_ids(self.method))
        if self.applies_when is not None:
            found |= fields_read(self.applies_when)
        return found


class Group(Strict):
    id: Ident
    title: str
    short: str | None = Field(default=None, max_length=30)  # column headings in workbooks
    points: float = Field(gt=0)
    criteria: list[Criterion] = Field(min_length=1)
    source: Source | None = None  # where the group and its points come from, when known


class Disqualifier(Provenance):
    """A condition that alone makes a unit not recognisable (điểm liệt)."""

    id: Ident
    title: str
    when: Condition


class Requirement(Provenance):
    """A condition every recognised unit must meet besides points (e.g. a complete file)."""

    id: Ident
    title: str
    when: Condition


class Recognition(Strict):
    min_total: float = Field(gt=0)
    min_group_share: float = Field(default=0, ge=0, le=1)
    require_mandatory: bool = True
    require_no_disqualifier: bool = True
    require_complete_evidence: bool = True
    requirements: list[Requirement] = Field(default_factory=list)


class SampleWeights(Strict):
    """Weights of the risk-weighted draw of units for on-site checks (`cqtt sample`): a unit's
    weight is `base` plus the weight of every risk it shows."""

    base: float = Field(default=1, gt=0)
    borderline: float = Field(default=3, ge=0)  # total within borderline_margin of the threshold
    self_score_inflated: float = Field(default=2, ge=0)  # self-score above the appraisal score
    group_at_minimum: float = Field(default=2, ge=0)  # a group within group_margin of its minimum
    few_respondents: float = Field(default=1, ge=0)  # a survey under few_respondents_factor x minimum
    first_proposal: float = Field(default=2, ge=0)  # never proposed before (known only with --db)
    group_margin: float = Field(default=0.1, ge=0, le=1)
    few_respondents_factor: float = Field(default=1.5, ge=1)


class FlagSettings(Strict):
    self_score_tolerance: float = Field(default=5, ge=0)
    group_self_score_tolerance: float | None = Field(default=2, ge=0)
    borderline_margin: float = Field(default=3, ge=0)
    target_share: float | None = Field(default=None, gt=0, le=1)
    sample_weights: SampleWeights = Field(default_factory=SampleWeights)


class SurveyQuestion(Strict):
    id: Ident
    label: str


class BurstCheck(Strict):
    """Identical responses for one unit and form, this many within this many minutes, are a burst
    a reviewer should look at (one person filling many forms)."""

    count: int = Field(default=5, ge=2)
    minutes: float = Field(default=10, gt=0)


class SurveyForm(Provenance):
    """A satisfaction survey form answered per unit (PKS01...): its questions, the answer levels
    from lowest to highest (an answer is read as its level, 1..n), and the rule that makes a
    respondent "satisfied". `cqtt survey tally` counts raw responses into the `evidence` field."""

    id: Ident
    label: str
    evidence: Ident
    levels: list[str] = Field(min_length=2, max_length=10)
    questions: list[SurveyQuestion] = Field(min_length=1, max_length=60)
    satisfied: Condition
    burst: BurstCheck = Field(default_factory=BurstCheck)


class Appeals(Provenance):
    """How long a commune has to contest a published decision (kiến nghị): `days` counted from the
    decision's date. A set without `appeals` offers no appeal period: none is invented."""

    days: int = Field(ge=1, le=365)


class Effective(Strict):
    from_: dt.date = Field(alias="from")
    to: dt.date | None = None

    def covers(self, year: int) -> bool:
        start = self.from_.year
        end = self.to.year if self.to else 9999
        return start <= year <= end


class CriteriaSet(Strict):
    id: SetId
    title: str
    version: Version
    status: Literal["model", "official"]
    note: str | None = None
    effective: Effective
    supersedes: Version | None = None
    sources: list[Source] = Field(default_factory=list)
    scale: float = Field(gt=0)
    evidence: list[EvidenceDecl] = Field(min_length=1)
    groups: list[Group] = Field(min_length=1)
    disqualifiers: list[Disqualifier] = Field(default_factory=list)
    recognition: Recognition
    flags: FlagSettings = Field(default_factory=FlagSettings)
    # Evidence fields renamed since an earlier version: {id here: id there}. An evidence file
    # written for either version is then read under both (and `criteria diff` can compare them).
    renamed: dict[Ident, Ident] = Field(default_factory=dict)
    surveys: list[SurveyForm] = Field(default_factory=list)
    appeals: Appeals | None = None

    def evidence_by_id(self) -> dict[str, EvidenceDecl]:
        return {e.id: e for e in self.evidence}

    def criteria(self) -> list[tuple[Group, Criterion]]:
        return [(g, c) for g in self.groups for c in g.criteria]

    def criterion(self, criterion_id: str) -> Criterion:
        for _, c in self.criteria():
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"
