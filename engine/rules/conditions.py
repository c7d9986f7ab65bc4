"""Conditions written in rule files: comparisons combined with all/any/not, held as data.

A condition is never code: it is a small tree that the compiler turns into durable_rules JSON.
Forms accepted in YAML::

    {field: so_hoi_nghi, gte: 1}                 # eq, ne, gt, gte, lt, lte
    {field: trang_thiet_bi, contains: may_tinh}  # an item of a list-of-items field
    {field: loai_don_vi, in: [xa, phuong]}       # one of several values
    {all: [COND, ...]}   {any: [COND, ...]}   {not: COND}
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
    model_validator,
)

Scalar = StrictBool | StrictInt | StrictFloat | StrictStr
COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte")
ORDERING = ("gt", "gte", "lt", "lte")
OPERATORS = (*COMPARISONS, "contains", "in")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Compare(_Strict):
    """One comparison of one evidence field; exactly one operator key."""

    field: str
    eq: Scalar | None = None
    ne: Scalar | None = None
    gt: StrictInt | StrictFloat | None = None
    gte: StrictInt | StrictFloat | None = None
    lt: StrictInt | StrictFloat | None = None
    lte: StrictInt | StrictFloat | None = None
    contains: StrictStr | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in", min_length=1)

    @model_validator(mode="after")
    def _one_operator(self) -> Compare:
        used = self.operators()
        if len(used) != 1:
            shown = ", ".join(used) if used else "không có"
            raise ValueError(
                f"mỗi so sánh cần đúng một phép so sánh ({', '.join(OPERATORS)}); ở đây: {shown}"
            )
        return self

    def operators(self) -> list[str]:
        return [op for op in OPERATORS if getattr(self, "in_" if op == "in" else op) is not None]

    @property
    def op(self) -> str:
        return self.operators()[0]

    @property
    def value(self) -> Any:
        return getattr(self, "in_" if self.op == "in" else self.op)


class All(_Strict):
    all: list[Condition] = Field(min_length=1)


class AnyOf(_Strict):
    any: list[Condition] = Field(min_length=1)


class Not(_Strict):
    not_: Condition = Field(alias="not")


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("all", "any", "not"):
            if key in value:
                return key
        return "compare"
    if isinstance(value, BaseModel):
        return {All: "all", AnyOf: "any", Not: "not"}.get(type(value), "compare")
    return "compare"


Condition = Annotated[
    Annotated[Compare, Tag("compare")]
    | Annotated[All, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[Not, Tag("not")],
    Discriminator(_kind),
]

All.model_rebuild()
AnyOf.model_rebuild()
Not.model_rebuild()

Node = Compare | All | AnyOf | Not


def children(cond: Node) -> list[Node]:
    if isinstance(cond, All):
        return list(cond.all)
    if isinstance(cond, AnyOf):
        return list(cond.any)
    if isinstance(cond, Not):
        return [cond.not_]
    return []


def comparisons(cond: Node) -> list[Compare]:
    """Every leaf comparison, in the order written."""
    if isinstance(cond, Compare):
        return [cond]
    found: list[Compare] = []
    for child in children(cond):
        found.extend(comparisons(child))
    return found


def fields_read(cond: Node) -> set[str]:
    return {c.field for c in comparisons(cond)}


_NEGATED = {"eq": "ne", "ne": "eq", "gt": "lte", "gte": "lt", "lt": "gte", "lte": "gt"}

# A normalised condition:
# ("cmp", field, op, value) | ("has", field, item, bool) | ("and" | "or", [normalised, ...])
Normal = tuple


def normalise(cond: Node, negate: bool = False) -> Normal:
    """Push `not` down to the leaves (De Morgan), since durable_rules has no general negation.

    `in` becomes an `or` of equalities (or an `and` of inequalities when negated); `contains`
    becomes a test of the boolean the evidence layer derives for each declared item.
    """
    if isinstance(cond, Not):
        return normalise(cond.not_, not negate)
    if isinstance(cond, (All, AnyOf)):
        parts = [normalise(c, negate) for c in children(cond)]
        is_and = isinstance(cond, All) != negate
        return ("and" if is_and else "or", parts)
    assert isinstance(cond, Compare)
    op, value = cond.op, cond.value
    if op == "contains":
        return ("has", cond.field, value, not negate)
    if op == "in":
        leaves = [("cmp", cond.field, "ne" if negate else "eq", v) for v in value]
        if len(leaves) == 1:
            return leaves[0]
        return ("and" if negate else "or", leaves)
    return ("cmp", cond.field, _NEGATED[op] if negate else op, value)


def describe(cond: Node) -> str:
    """A short human reading of a condition, for tables and explanations."""
    symbols = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
    if isinstance(cond, Compare):
        if cond.op == "contains":
            return f"{cond.field} có “{cond.value}”"
        if cond.op == "in":
            return f"{cond.field} thuộc {{{', '.join(map(_show, cond.value))}}}"
        return f"{cond.field} {symbols[cond.op]} {_show(cond.value)}"
    if isinstance(cond, Not):
        return f"không ({describe(cond.not_)})"
    joiner = " và " if isinstance(cond, All) else " hoặc "
    return "(" + joiner.join(describe(c) for c in children(cond)) + ")"


def _show(value: Any) -> str:
    if value is True:
        return "Có"
    if value is False:
        return "Không"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
