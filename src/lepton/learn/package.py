"""Turn a trained model into a package: its typed manifest plus the runtime's one writer.

The model itself says what it takes and what it is made of (``input_schema``,
``ensemble_specs``, ``manifest_extra``), so this module has one path for every kind.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from lepton.runtime.manifest import ColumnSpec, MemberSpec, OutputSpec, PackageManifest
from lepton.runtime.package import NativeModel
from lepton.runtime.package import write_package as write_package_files
from lepton.version import VERSION


class PackagedModel(NativeModel, Protocol):
    """A trained model that can describe itself in a manifest."""

    @property
    def temperature(self) -> float: ...

    @property
    def dropped_columns(self) -> dict[str, str]: ...

    def input_schema(self, frame: pd.DataFrame | None = None) -> tuple[ColumnSpec, ...]: ...

    def ensemble_specs(self) -> tuple[MemberSpec, ...]: ...

    def manifest_extra(self) -> dict[str, Any]: ...


def code_version() -> str:
    """Lepton's version plus the git commit when running from a checkout."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"{VERSION}+{sha}" if sha else VERSION


def build_manifest(
    model: PackagedModel,
    *,
    metrics: dict[str, Any],
    lineage: dict[str, Any],
    training_frame: pd.DataFrame | None = None,
    extra: dict[str, Any] | None = None,
) -> PackageManifest:
    """The manifest of a freshly trained model (``serving`` is filled in by the writer)."""
    schema = model.input_schema(training_frame)
    return PackageManifest(
        kind=model.kind,
        task=model.task,
        target=model.target_name,
        input_schema=schema,
        output_schema=OutputSpec.for_task(model.task, model.target_name, model.labels),
        metrics=metrics,
        lineage={**lineage, "code_version": code_version()},
        ensemble=model.ensemble_specs(),
        temperature=model.temperature,
        dropped_columns=dict(model.dropped_columns),
        extra={**model.manifest_extra(), **(extra or {})},
    )


def write_package(
    folder: Path,
    model: PackagedModel,
    *,
    metrics: dict[str, Any],
    lineage: dict[str, Any],
    leaderboard: pd.DataFrame,
    training_frame: pd.DataFrame | None = None,
    extra: dict[str, Any] | None = None,
) -> PackageManifest:
    """Write a complete package for a trained model into ``folder`` (empty or new)."""
    manifest = build_manifest(
        model, metrics=metrics, lineage=lineage, training_frame=training_frame, extra=extra
    )
    (folder / "native").mkdir(parents=True, exist_ok=True)
    leaderboard.to_csv(folder / "native" / "leaderboard.csv", index=False)
    return write_package_files(folder, manifest, native=model)
