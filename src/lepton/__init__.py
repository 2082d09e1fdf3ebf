"""Lepton: from a proof of concept to a monitored production AI service.

The public API is imported lazily so that ``lepton config`` and friends start
fast and a submodule can be used without pulling in the whole stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lepton.errors import LeptonError
from lepton.version import VERSION as __version__

if TYPE_CHECKING:
    from lepton.api import Dataset, DatasetVersion, Model, Recipe, catalog, fit, load, project
    from lepton.config import Settings, load_settings
    from lepton.serve.client import Client


_LAZY = {
    "Dataset": "lepton.api",
    "DatasetVersion": "lepton.api",
    "Recipe": "lepton.api",
    "catalog": "lepton.api",
    "project": "lepton.api",
    "fit": "lepton.api",
    "load": "lepton.api",
    "Model": "lepton.api",
    "Settings": "lepton.config",
    "Client": "lepton.serve.client",
    "load_settings": "lepton.config",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lepton' has no attribute {name!r}")


__all__ = [
    "Client",
    "Dataset",
    "DatasetVersion",
    "LeptonError",
    "Model",
    "Recipe",
    "Settings",
    "__version__",
    "catalog",
    "fit",
    "load",
    "load_settings",
    "project",
]
