"""Scoring methods, one module each, registered by name in `REGISTRY`.

Importing this package registers every method. A rule file names a method in `method.type`; the
engine looks it up here and never special-cases a criterion.
"""

from . import check, linear, per_item, survey, tiers, yes_no  # noqa: F401  (registration)
from .base import REGISTRY, Award, Problem, Scorer

__all__ = ["REGISTRY", "Award", "Problem", "Scorer"]
