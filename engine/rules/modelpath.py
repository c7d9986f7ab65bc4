"""Walk a pydantic model along an error `loc`: which keys were allowed there, and the user's path.

Pydantic puts union tags and validator names inside `loc` (`method.tiers.tiers[0]`, `function-after`);
users never wrote those, so they are dropped from the path shown and the line looked up.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types an annotation may hold (Annotated, Optional and unions opened)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        found: list[Any] = []
        for arg in typing.get_args(annotation):
            found.extend(_unwrap(arg))
        return found
    return [annotation]


def _field_annotation(model: type[BaseModel], key: str) -> Any:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.annotation
    return None


def _keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def walk(root: type[BaseModel], loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[str] | None]:
    """Return the user's path (tags removed) and the keys allowed at the deepest model reached."""
    path: list[Any] = []
    candidates: list[Any] = [root]
    allowed: list[str] | None = _keys(root)
    for part in loc:
        models = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        lists = [c for c in candidates if typing.get_origin(c) is list]
        if isinstance(part, int) and lists:
            path.append(part)
            candidates = _unwrap(typing.get_args(lists[0])[0])
            inner = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
            allowed = _keys(inner[0]) if len(inner) == 1 else allowed
            continue
        if isinstance(part, str) and models:
            # A tag of a union: the name of a member (discriminator value or tag)
            tagged = [m for m in models if _tag_of(m) == part]
            if tagged and len(models) > 1:
                candidates = tagged
                allowed = _keys(tagged[0])
                continue
            owners = [m for m in models if _field_annotation(m, part) is not None]
            path.append(part)
            if not owners:
                return tuple(path), allowed
            candidates = _unwrap(_field_annotation(owners[0], part))
            inner = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
            allowed = _keys(inner[0]) if len(inner) == 1 else allowed
            continue
        if isinstance(part, str) and not models:
            if part.startswith(("function-", "tagged-union", "union")) or part in (
                "compare",
                "all",
                "any",
                "not",
                "list",
                "dict",
            ):
                continue
        path.append(part)
    return tuple(path), allowed


def _tag_of(model: type[BaseModel]) -> str | None:
    info = model.model_fields.get("type")
    if info is not None:
        args = typing.get_args(info.annotation)
        if args and isinstance(args[0], str):
            return args[0]
    names = {"Compare": "compare", "All": "all", "AnyOf": "any", "Not": "not"}
    return names.get(model.__name__)
