"""Building blocks of a rule file shared by the criteria model and the scorers.

Kept apart from `engine.model` so that `scorers/` can use them without importing the model that
itself assembles the scorers' method types.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from engine.text import number

# Evidence, criterion and group ids become keys of durable_rules facts: lower-case ASCII, no `__`
# (reserved for derived keys such as `list_field__item`), and never `id` or `sid`.
Ident = Annotated[str, StringConstraints(pattern=r"^(?!id$|sid$)(?!.*__)[a-z][a-z0-9_]{0,62}$")]

EvidenceType = Literal["number", "percent", "yes_no", "count", "choice", "items", "survey"]

TYPE_LABELS: dict[str, str] = {
    "number": "số",
    "percent": "tỷ lệ %",
    "yes_no": "có/không",
    "count": "số lượng",
    "choice": "lựa chọn",
    "items": "danh sách mục có",
    "survey": "phiếu khảo sát (hài lòng/tổng phiếu)",
}

NUMERIC_TYPES = ("number", "percent", "count")
RULE_NUMBER_LOW, RULE_NUMBER_HIGH = 1e-4, 1e16  # what JSON writes without an exponent


class Strict(BaseModel):
    """Base of every rule-file model: unknown keys are refused, values are immutable, numbers are
    finite ("1e400" would otherwise become infinity)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, regex_engine="python-re", allow_inf_nan=False
    )

    @field_validator("*", mode="after")
    @classmethod
    def _carried_by_the_rules_engine(cls, value: Any) -> Any:
        """A number the compiled rules cannot carry is refused here, with its line, not by the rules
        engine at scoring time (error 204, no file or line): JSON writes 0.00001 and 1e16 with an
        exponent, which durable_rules does not read."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if value != 0 and not RULE_NUMBER_LOW <= abs(value) < RULE_NUMBER_HIGH:
                raise ValueError(
                    f"{value:g} nằm ngoài khoảng bộ máy luật so sánh được: ghi 0, hoặc một số có giá trị "
                    "tuyệt đối từ 0,0001 đến dưới 10 000 000 000 000 000"
                )
        return value


class Source(Strict):
    """Where a rule comes from: the legal or policy document, its date and article."""

    document: str
    date: dt.date | None = None
    article: str | None = None
    title: str | None = None

    def cite(self) -> str:
        parts = [self.document]
        if self.article:
            parts.append(self.article)
        if self.date:
            parts.append(f"ngày {self.date:%d/%m/%Y}")
        return ", ".join(parts)


class Choice(Strict):
    id: Ident
    label: str


class EvidenceDecl(Strict):
    """One evidence field a unit must supply: its type, unit and allowed range."""

    id: Ident
    label: str
    type: EvidenceType
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    required: bool = True
    choices: list[Choice] | None = None
    help: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> EvidenceDecl:
        if self.type in ("choice", "items") and not self.choices:
            raise ValueError(f"trường kiểu “{self.type}” cần danh sách `choices`")
        if self.type not in ("choice", "items") and self.choices:
            raise ValueError("chỉ trường kiểu `choice` hoặc `items` mới có `choices`")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"`min` ({self.min}) lớn hơn `max` ({self.max})")
        if self.type not in NUMERIC_TYPES and (self.min is not None or self.max is not None):
            raise ValueError("chỉ trường số, tỷ lệ % hoặc số lượng mới có `min`/`max`")
        return self

    @property
    def low(self) -> float | None:
        """Lowest allowed value: declared, or implied by the type (percent and count start at 0)."""
        if self.min is not None:
            return self.min
        return 0.0 if self.type in ("percent", "count") else None

    @property
    def high(self) -> float | None:
        if self.max is not None:
            return self.max
        return 100.0 if self.type == "percent" else None

    def range_text(self) -> str:
        """The allowed range as shown to users ("0 – 100"), or "" when unbounded."""
        low, high = self.low, self.high
        if low is None and high is None:
            return ""

        def show(x: float | None) -> str:
            if x is None:
                return "…"
            return number(x)

        return f"{show(low)} – {show(high)}"

    def choice_ids(self) -> list[str]:
        return [c.id for c in self.choices or []]

    def heading(self) -> str:
        """Column heading as shown to users: label and unit."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


_TALLY_FIELDS = {"satisfied", "total"}


class Tally(BaseModel):
    """A survey result: respondents satisfied or very satisfied, out of all respondents."""

    model_config = ConfigDict(frozen=True)

    satisfied: int = Field(ge=0)
    total: int = Field(ge=0)

    @model_validator(mode="after")
    def _not_more_than_total(self) -> Tally:
        if self.satisfied > self.total:
            raise ValueError("số phiếu hài lòng lớn hơn tổng số phiếu")
        # Both fields are always given; one shared "fields set" instead of one per instance
        # (a unit carries eight tallies, a national run 800,000: the sets outweighed the values).
        object.__setattr__(self, "__pydantic_fields_set__", _TALLY_FIELDS)
        return self

    def __str__(self) -> str:
        return f"{self.satisfied}/{self.total}"
