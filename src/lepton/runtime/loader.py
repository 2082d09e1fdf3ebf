"""Resolve ``MODEL[@VERSION|@alias]`` and load what serves it: the serving loader.

Packages fetched from the project's own artifact store are trusted: the store verifies
every file against the content hash recorded when the version was registered, so a
pickle inside is only ever loaded from what Lepton itself wrote. Which ONNX runner a
package needs is its kind's business (``lepton.runtime.kinds``), not this module's.
"""

from __future__ import annotations

from pathlib import Path

from lepton.errors import StoreError
from lepton.names import parse_ref
from lepton.runtime.kinds.registry import get_kind
from lepton.runtime.manifest import PackageManifest, read_manifest
from lepton.runtime.native import NativePredictor
from lepton.runtime.package import load_native
from lepton.runtime.predictor import Predictor
from lepton.store.metadata.records import ModelVersionRecord
from lepton.store.project import Project


def resolve(project: Project, ref: str) -> ModelVersionRecord:
    name, version = parse_ref(ref, kind="model name")
    selector: int | str | None = int(version) if version and version.isdigit() else version
    if selector == "latest":
        selector = None
    return project.metadata.get_model_version(name, selector)


def package_folder(project: Project, record: ModelVersionRecord) -> Path:
    """A local folder holding the package: the store's own folder, or a verified cached copy."""
    project.artifacts.verify(record.artifact_key, record.metadata.get("artifact_hash"))
    local = project.artifacts.local_path(record.artifact_key)
    if local is not None:
        return local
    cache = project.settings.home / "cache" / record.artifact_key
    return project.artifacts.get_dir(record.artifact_key, cache)  # no-op when the copy is current


def load_onnx(folder: Path, manifest: PackageManifest, *, threads: int = 1) -> Predictor:
    """The package's ONNX graph, run by the runner its kind declares."""
    runner = get_kind(manifest.kind).entry("onnx_predictor")
    predictor: Predictor = runner.load(folder, threads=threads)
    return predictor


def load_folder(folder: Path, *, threads: int = 1) -> Predictor:
    """A verified package folder's predictor: native when it has one, else its ONNX graph."""
    manifest = read_manifest(folder)
    if manifest.has_native:
        return NativePredictor(load_native(folder), manifest, folder)
    return load_onnx(folder, manifest, threads=threads)


def load_predictor(project: Project, ref: str) -> tuple[NativePredictor, ModelVersionRecord]:
    """The package's native pipeline (needs ``native/``; optimized variants may lack it)."""
    record = resolve(project, ref)
    folder = package_folder(project, record)
    return NativePredictor(load_native(folder), read_manifest(folder), folder), record


def load_package_predictor(project: Project, ref: str) -> tuple[Predictor, ModelVersionRecord]:
    """The package's native pipeline, or its ONNX graph for packages that hold only that."""
    record = resolve(project, ref)
    return load_folder(package_folder(project, record)), record


def load_serving_predictor(
    project: Project, ref: str, *, threads: int = 1
) -> tuple[Predictor, ModelVersionRecord]:
    """The predictor for ``ref``'s chosen variant (``lepton optimize``), or the native one.

    The record returned is the version ``ref`` resolves to (the parent), so deployments
    and monitoring keep talking about the version the user chose; ``predictor.variant``
    says what actually runs.
    """
    record = resolve(project, ref)
    chosen = record.metadata.get("optimization", {}).get("chosen") or {}
    if not chosen or chosen.get("variant") == "native":
        return load_predictor(project, f"{record.name}@{record.version}")
    variant = project.metadata.get_model_version(str(chosen["model"]), int(chosen["version"]))
    folder = package_folder(project, variant)
    manifest = read_manifest(folder)
    parent = manifest.parent
    if parent.get("model") != record.name or parent.get("version") != record.version:
        raise StoreError(
            f"{variant.name}@{variant.version} is not a variant of {record.name}@{record.version}"
        )
    return load_onnx(folder, manifest, threads=threads), record
