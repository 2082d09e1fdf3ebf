"""Model families AutoML searches over, by name, from the registry (see ``registry``)."""

from __future__ import annotations

from lepton.learn.families.base import Family, FitResult, TaskInfo
from lepton.learn.families.registry import (
    FamilySpec,
    family_names,
    family_spec,
    get_family,
    register_family,
    unregister_family,
)

__all__ = [
    "Family",
    "FamilySpec",
    "FitResult",
    "TaskInfo",
    "family_names",
    "family_spec",
    "get_family",
    "register_family",
    "unregister_family",
]
