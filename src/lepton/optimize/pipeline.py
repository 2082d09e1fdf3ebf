"""``lepton optimize``: variants of a registered model version, published and chosen.

Order of events keeps failures harmless: the parent package is verified and loaded
(a corrupt one stops everything), variants are built and measured in a temporary
folder, each is published as its own immutable artifact, and then all of them are
registered — as versions of ``<model>.optimized`` — together with the parent's
``optimization`` record (table + chosen variant) in ONE transaction. If anything
fails the fresh artifacts are deleted: the parent is untouched and nothing is
half-registered.
"""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from lepton.data.catalog import DataCatalog
from lepton.errors import LeptonError
from lepton.optimize.driver import optimize_model
from lepton.optimize.export import FP32_TOLERANCE
from lepton.optimize.packages import write_manifests
from lepton.optimize.protocol import Progress
from lepton.optimize.result import OptimizeResult
from lepton.runtime.loader import package_folder, resolve
from lepton.runtime.manifest import read_manifest
from lepton.runtime.package import load_native
from lepton.store.metadata.records import ModelVersionRecord
from lepton.store.project import Project

MAX_HELDOUT_ROWS = 10_000


def variant_model_name(name: str) -> str:
    return f"{name}.optimized"


@dataclass
class OptimizeOutcome:
    parent: ModelVersionRecord
    result: OptimizeResult
    registered: dict[str, ModelVersionRecord]


def optimize(
    project: Project,
    ref: str,
    *,
    max_metric_drop: float = 0.005,
    objective: str = "latency",
    test_ref: str | None = None,
    tolerance: float = FP32_TOLERANCE,
    measure_memory: bool = True,
    measure_seconds: float = 1.5,
    on_progress: Progress | None = None,
) -> OptimizeOutcome:
    record = resolve(project, ref)
    if record.metadata.get("variant_of"):
        parent = record.metadata["variant_of"]
        raise LeptonError(
            f"{record.name}@{record.version} is already an optimized variant of "
            f"{parent.get('model')}@{parent.get('version')}; optimize that model instead"
        )
    folder = package_folder(project, record)
    manifest = read_manifest(folder)
    model = load_native(folder)
    heldout, train, label = _frames(project, record, test_ref)
    with tempfile.TemporaryDirectory(prefix="lepton-opt-") as tmp:
        result = optimize_model(
            model,
            manifest,
            folder,
            heldout,
            Path(tmp),
            train=train,
            max_metric_drop=max_metric_drop,
            objective=objective,
            tolerance=tolerance,
            heldout_label=label,
            measure_memory=measure_memory,
            measure_seconds=measure_seconds,
            on_progress=on_progress,
        )
        parent_ref = {"model": record.name, "version": record.version}
        write_manifests(result, manifest, parent_ref)
        registered, parent = _publish(project, record, result, parent_ref)
    return OptimizeOutcome(parent, result, registered)


def _frames(
    project: Project, record: ModelVersionRecord, test_ref: str | None
) -> tuple[pd.DataFrame, pd.DataFrame | None, str]:
    """Held-out rows (the run's test set unless given) and the training rows."""
    catalog = DataCatalog(project)
    params: dict[str, Any] = {}
    if record.run_id:
        params = project.metadata.get_run(record.run_id).params
    train_ref = params.get("dataset")
    train = catalog.get(train_ref).to_pandas() if train_ref else None
    test_ref = test_ref or params.get("test_dataset")
    if test_ref:
        heldout, label = catalog.get(test_ref).to_pandas(), f"held-out dataset {test_ref}"
    elif train is not None:
        heldout, label = (
            train,
            f"training rows of {train_ref} (no held-out set recorded; pass --test)",
        )
    else:
        raise LeptonError(
            f"{record.name}@{record.version} records no dataset to measure on; pass --test DATASET"
        )
    if len(heldout) > MAX_HELDOUT_ROWS:
        heldout = heldout.sample(MAX_HELDOUT_ROWS, random_state=0)
        label += f" ({MAX_HELDOUT_ROWS} sampled rows)"
    return heldout, train, label


def _publish(
    project: Project,
    record: ModelVersionRecord,
    result: OptimizeResult,
    parent_ref: dict[str, Any],
) -> tuple[dict[str, ModelVersionRecord], ModelVersionRecord]:
    name = variant_model_name(record.name)
    published: list[str] = []
    entries: list[dict[str, Any]] = []
    variants = [v for v in result.variants[1:] if v.measurement is not None]
    table = result.table()
    try:
        for variant in variants:
            key = f"models/{name}/{uuid.uuid4().hex[:12]}-{variant.name}"
            info = project.artifacts.put_dir(variant.folder, key)
            published.append(key)
            assert variant.measurement is not None
            entries.append(
                {
                    "artifact_key": key,
                    "task": record.task,
                    "run_id": record.run_id,
                    "dataset_version_id": record.dataset_version_id,
                    "metrics": {
                        k: float(v)
                        for k, v in variant.measurement.to_dict().items()
                        if isinstance(v, int | float)
                    },
                    "metadata": {
                        "variant_of": parent_ref,
                        "variant": variant.name,
                        "description": variant.description,
                        "max_abs_diff": variant.max_abs_diff,
                        "artifact_hash": info.content_hash,
                        "lineage": {"parent": parent_ref},
                    },
                }
            )

        def annotate(records: list[ModelVersionRecord]) -> dict[str, Any]:
            versions = {v.name: r.version for v, r in zip(variants, records, strict=True)}
            rows = [{**row, "model_version": versions.get(row["variant"])} for row in table]
            chosen = result.chosen
            target = (
                {"variant": "native", "model": record.name, "version": record.version}
                if chosen == "native"
                else {"variant": chosen, "model": name, "version": versions[chosen]}
            )
            return {
                "optimization": {
                    "objective": result.objective,
                    "max_metric_drop": result.max_metric_drop,
                    "metric": result.metric,
                    "heldout": result.heldout,
                    "notes": result.notes,
                    "table": rows,
                    "chosen": target,
                    "optimized_at": datetime.now(UTC).isoformat(),
                }
            }

        records, parent = project.metadata.register_model_variants(
            record.name, record.version, name, entries, annotate
        )
    except BaseException:
        for key in published:
            project.artifacts.delete(key)
        raise
    return {v.name: r for v, r in zip(variants, records, strict=True)}, parent
