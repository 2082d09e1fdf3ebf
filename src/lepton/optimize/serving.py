"""What the serving layer loads: the chosen variant of a model version, else its native pipeline."""

from __future__ import annotations

from lepton.errors import StoreError
from lepton.learn.onnx_predictor import OnnxPredictor
from lepton.learn.package import read_manifest
from lepton.learn.predictor import Predictor
from lepton.learn.registry import load_predictor, package_folder, resolve
from lepton.learn.vision.model import is_image_manifest
from lepton.learn.vision.onnx_predictor import OnnxImagePredictor
from lepton.store.metadata.records import ModelVersionRecord
from lepton.store.project import Project


def load_serving_predictor(
    project: Project, ref: str, *, threads: int = 1
) -> tuple[Predictor | OnnxPredictor | OnnxImagePredictor, ModelVersionRecord]:
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
    parent = manifest.get("lineage", {}).get("parent", {})
    if parent.get("model") != record.name or parent.get("version") != record.version:
        raise StoreError(
            f"{variant.name}@{variant.version} is not a variant of {record.name}@{record.version}"
        )
    if is_image_manifest(manifest):
        return OnnxImagePredictor.load(folder, threads=threads), record
    return OnnxPredictor.load(folder, threads=threads), record
