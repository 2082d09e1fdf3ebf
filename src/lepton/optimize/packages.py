"""Variant package folders: one writer for every kind, so a variant is measured and
published exactly as it will be served.
"""

from __future__ import annotations

import copy
import json
import pickle
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import onnx

from lepton.learn.package import MANIFEST, NATIVE, ONNX
from lepton.optimize.result import OptimizeResult, Variant


def write_variant_package(
    variant: Variant,
    graph: onnx.ModelProto | None,
    manifest: dict[str, Any],
    table: list[dict[str, Any]] | None = None,
) -> None:
    """The graph (and a changed native pipeline, if any) once, the manifest every time."""
    folder = variant.folder
    (folder / "onnx").mkdir(parents=True, exist_ok=True)
    if graph is not None and not (folder / ONNX).exists():
        onnx.save(graph, folder / ONNX)
    serving = {"onnx": ONNX}
    native = variant.model
    if native is not None and not (folder / NATIVE).exists():
        (folder / "native").mkdir(exist_ok=True)
        with (folder / NATIVE).open("wb") as fh:
            pickle.dump(native, fh, protocol=pickle.HIGHEST_PROTOCOL)
    if native is not None:
        serving["native"] = NATIVE
    out = copy.deepcopy(manifest)
    out["serving"] = serving
    out["variant"] = {
        "name": variant.name,
        "description": variant.description,
        "max_abs_diff": variant.max_abs_diff,
        "measurement": variant.measurement.to_dict() if variant.measurement else None,
    }
    if table is not None:
        out["optimization"] = table
    out["created_at"] = datetime.now(UTC).isoformat()
    (folder / MANIFEST).write_text(json.dumps(out, indent=1, default=_json_default))


def write_manifests(
    result: OptimizeResult, manifest: dict[str, Any], lineage_parent: dict[str, Any]
) -> None:
    """Final manifests for the variant packages: lineage to the parent and the measured table."""
    table = result.table()
    parent_manifest = copy.deepcopy(manifest)
    parent_manifest.setdefault("lineage", {})["parent"] = lineage_parent
    for variant in result.variants[1:]:
        write_variant_package(variant, None, parent_manifest, table)


def served_file(variant: Variant) -> Path:
    """The file that is loaded to serve ``variant`` (its size is the variant's size)."""
    return variant.folder / (NATIVE if variant.kind == "native" else ONNX)


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)
