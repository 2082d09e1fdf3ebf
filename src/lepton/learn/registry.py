"""Resolve ``MODEL[@VERSION|@alias]`` to a model version and load its package.

Packages fetched from the project's own artifact store are trusted: the store
verified every file's hash against the manifest written at publish time.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lepton.learn.onnx_predictor import OnnxPredictor
from lepton.learn.package import load_native, read_manifest
from lepton.learn.predictor import Predictor
from lepton.names import parse_ref
from lepton.store.metadata.records import ModelVersionRecord
from lepton.store.project import Project

if TYPE_CHECKING:
    from lepton.learn.vision.onnx_predictor import OnnxImagePredictor


def resolve(project: Project, ref: str) -> ModelVersionRecord:
    name, version = parse_ref(ref, kind="model name")
    selector: int | str | None = int(version) if version and version.isdigit() else version
    if selector == "latest":
        selector = None
    return project.metadata.get_model_version(name, selector)


def package_folder(project: Project, record: ModelVersionRecord) -> Path:
    """A local folder holding the package: the store's own folder, or a verified cached copy.

    The artifact is checked against the content hash recorded when the version was
    registered, so the pickle inside is only ever loaded from what Lepton itself wrote.
    """
    project.artifacts.verify(record.artifact_key, record.metadata.get("artifact_hash"))
    local = project.artifacts.local_path(record.artifact_key)
    if local is not None:
        return local
    cache = project.settings.home / "cache" / record.artifact_key
    return project.artifacts.get_dir(record.artifact_key, cache)  # no-op when the copy is current


def load_predictor(project: Project, ref: str) -> tuple[Predictor, ModelVersionRecord]:
    """The package's native pipeline (needs ``native/``; optimized variants may lack it)."""
    record = resolve(project, ref)
    folder = package_folder(project, record)
    return Predictor(load_native(folder), read_manifest(folder), folder), record


def load_package_predictor(
    project: Project, ref: str
) -> tuple[Predictor | OnnxPredictor | OnnxImagePredictor, ModelVersionRecord]:
    """The package's native pipeline, or its ONNX graph for packages that hold only that."""
    record = resolve(project, ref)
    folder = package_folder(project, record)
    manifest = read_manifest(folder)
    if "native" not in manifest.get("serving", {}):
        from lepton.learn.vision.model import is_image_manifest

        if is_image_manifest(manifest):
            from lepton.learn.vision.onnx_predictor import OnnxImagePredictor

            return OnnxImagePredictor.load(folder), record
        return OnnxPredictor.load(folder), record
    return Predictor(load_native(folder), manifest, folder), record
