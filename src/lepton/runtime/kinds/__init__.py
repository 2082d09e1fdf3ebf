"""Model kinds: one module each (tabular, text, image, forecast, clustering, anomaly, rules,
recommend), found by the registry.

See ``registry`` for what a kind declares and why its parts are named, not imported.
"""

from __future__ import annotations

from lepton.runtime.kinds.registry import (
    ModelKind,
    all_kinds,
    check_options,
    get_kind,
    infer_kind,
    kind_for_task,
    register_kind,
    resolve,
)

__all__ = [
    "ModelKind",
    "all_kinds",
    "check_options",
    "get_kind",
    "infer_kind",
    "kind_for_task",
    "register_kind",
    "resolve",
]
