"""Variant package folders: one writer for every kind, so a variant is measured and
published exactly as it will be served.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import onnx

from lepton.optimize.result import OptimizeResult, Variant
from lepton.runtime.manifest import NATIVE, ONNX, PackageManifest, VariantSpec
from lepton.runtime.package import write_package


def write_variant_package(
    variant: Variant,
    graph: onnx.ModelProto | None,
    manifest: PackageManifest,
    table: list[dict[str, Any]] | None = None,
) -> None:
    """The graph (and a changed native pipeline, if any) once, the manifest every time."""
    folder = variant.folder
    folder.mkdir(parents=True, exist_ok=True)
    spec = VariantSpec(
        variant.name,
        variant.description,
        variant.max_abs_diff,
        variant.measurement.to_dict() if variant.measurement else None,
    )
    write_package(
        folder,
        manifest.replace(
            serving={},
            variant=spec,
            optimization=table,
            created_at=datetime.now(UTC).isoformat(),
        ),
        native=variant.model if not (folder / NATIVE).exists() else None,
        onnx=graph if graph is not None and not (folder / ONNX).exists() else None,
    )


def write_manifests(
    result: OptimizeResult, manifest: PackageManifest, lineage_parent: dict[str, Any]
) -> None:
    """Final manifests for the variant packages: lineage to the parent and the measured table."""
    table = result.table()
    parent_manifest = manifest.replace(lineage={**manifest.lineage, "parent": lineage_parent})
    for variant in result.variants[1:]:
        write_variant_package(variant, None, parent_manifest, table)


def served_file(variant: Variant) -> Path:
    """The file that is loaded to serve ``variant`` (its size is the variant's size)."""
    return variant.folder / (NATIVE if variant.kind == "native" else ONNX)
