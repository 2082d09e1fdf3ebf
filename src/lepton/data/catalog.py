"""Dataset versions: immutable, content-addressed snapshots kept in the project's stores.

Adding data reads a source, infers its schema, profiles it and publishes one
artifact folder (``data.parquet`` + ``schema.json`` + ``profile.json`` +
``recipe.json``; image files under ``images/``) before the metadata row that
makes it visible is written in one transaction. The same content added twice is
the same version; a failure at any step leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lepton.data.hashing import frame_content_hash
from lepton.data.limits import ReadLimits
from lepton.data.profile import Profile, profile_frame
from lepton.data.read import SourceData
from lepton.data.recipe import Recipe
from lepton.data.schema import FILE_KINDS, Schema, infer_schema
from lepton.data.sources import read_source
from lepton.data.splits import split_frame
from lepton.errors import DataError, LeptonError
from lepton.names import parse_ref, validate_name
from lepton.store.metadata.records import DatasetSummary, DatasetVersionRecord
from lepton.store.project import Project

DATA_FILE = "data.parquet"
IMAGES_DIR = "images"


@dataclass(frozen=True)
class DatasetVersion:
    """One immutable version of a named dataset, with its schema and profile."""

    name: str
    version: int
    content_hash: str
    artifact_key: str
    n_rows: int
    n_cols: int
    target: str | None
    schema: Schema
    profile: Profile
    recipe: list[dict[str, Any]] | None
    parent_version: int | None
    source: str | None
    created_at: str
    id: int
    _project: Project = field(repr=False, compare=False)

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def to_pandas(self) -> pd.DataFrame:
        """Load the version's rows (image paths resolved to files inside the store)."""
        with self._project.artifacts.open(self.artifact_key, DATA_FILE) as fh:
            frame = pd.read_parquet(fh)
        local = self._project.artifacts.local_path(self.artifact_key)
        image_cols = [c.name for c in self.schema.columns if c.kind in FILE_KINDS]
        if local is not None:
            for col in image_cols:
                frame[col] = [str(local / p) if isinstance(p, str) else p for p in frame[col]]
        return frame


class DataCatalog:
    """Adds, finds and derives dataset versions in one project."""

    def __init__(self, project: Project) -> None:
        self.project = project

    # -- writes -------------------------------------------------------------
    def add(
        self,
        path: str | Path,
        *,
        name: str,
        target: str | None = None,
        format: str | None = None,
        encoding: str | None = None,
        limits: ReadLimits | None = None,
    ) -> tuple[DatasetVersion, bool]:
        """Ingest a file or folder as a new version of ``name`` (``created`` is False if unchanged).

        ``limits`` bounds the source's fields and lines; it is checked before anything is
        stored, so a refused file leaves nothing behind.
        """
        validate_name(name, kind="dataset name")
        if format == "npz" or (format is None and Path(path).suffix.lower() == ".npz"):
            return self.add_arrays(path, name=name, target=target)[0]
        source = read_source(path, format=format, encoding=encoding, limits=limits)
        return self._publish_source(source, name, target, str(Path(path).resolve()))

    def add_arrays(
        self, path: str | Path, *, name: str, target: str | None = None
    ) -> list[tuple[DatasetVersion, bool]]:
        """Ingest an ``.npz`` of images and labels; a test part becomes ``NAME-test``.

        Every part is read and checked before anything is published, so a bad array
        leaves no version behind.
        """
        from lepton.data.arrays import read_npz

        validate_name(name, kind="dataset name")
        parts = read_npz(Path(path).expanduser(), first_only=False)
        try:
            out = []
            for part in parts:
                suffix = part.format.partition(":")[2]
                part_name = validate_name(
                    name if suffix in ("", "train") else f"{name}-{suffix}", kind="dataset name"
                )
                where = f"{Path(path).resolve()}{f' ({suffix})' if suffix else ''}"
                out.append(self._publish_source(part, part_name, target, where))
            return out
        finally:
            for part in parts:
                if part.scratch is not None:
                    shutil.rmtree(part.scratch, ignore_errors=True)

    def _publish_source(
        self, source: SourceData, name: str, target: str | None, origin: str
    ) -> tuple[DatasetVersion, bool]:
        if source.kind == "images" and target is None and "label" in source.frame.columns:
            target = "label"  # an image source's label is its class folder: the obvious target
        try:
            return self._publish(
                name,
                source.frame,
                target=target,
                recipe=None,
                parent=None,
                source=origin,
                image_root=_image_root(source),
            )
        finally:
            if source.scratch is not None:
                shutil.rmtree(source.scratch, ignore_errors=True)

    def add_frame(
        self,
        frame: pd.DataFrame,
        *,
        name: str,
        target: str | None = None,
        source: str | None = None,
    ) -> tuple[DatasetVersion, bool]:
        """Version an in-memory DataFrame (the Python API's ``Dataset.from_pandas``)."""
        validate_name(name, kind="dataset name")
        if frame.empty:
            raise DataError("the DataFrame has no rows; nothing to version")
        return self._publish(name, frame, target=target, recipe=None, parent=None, source=source)

    def clean(
        self, ref: str, recipe: Recipe, *, target: str | None = None
    ) -> tuple[DatasetVersion, bool]:
        """Apply a cleaning recipe to a version; the result is a new version with the fitted recipe."""
        parent = self.get(ref)
        frame = parent.to_pandas()
        if any(c.kind in FILE_KINDS for c in parent.schema.columns):
            raise DataError(f"{parent.ref} is a dataset of files; cleaning recipes apply to tables")
        cleaned, fitted, _reports = recipe.apply(frame)
        if cleaned.empty:
            raise DataError(f"the recipe removed every row of {parent.ref}; nothing would be left")
        effective_target = target or parent.target
        if effective_target is not None and effective_target not in cleaned.columns:
            raise DataError(f"the recipe dropped the target column {effective_target!r}")
        history = (parent.recipe or []) + fitted.to_list()
        return self._publish(
            parent.name,
            cleaned,
            target=effective_target,
            recipe=history,
            parent=parent.version,
            source=parent.source,
        )

    def split(
        self,
        ref: str,
        *,
        method: str = "random",
        test_size: float = 0.2,
        seed: int = 0,
        column: str | None = None,
    ) -> tuple[DatasetVersion, DatasetVersion]:
        """Split a version into ``NAME-train`` and ``NAME-test`` datasets, reproducibly."""
        parent = self.get(ref)
        if method == "stratified" and column is None:
            column = parent.target
        if any(c.kind in FILE_KINDS for c in parent.schema.columns):
            raise DataError(
                f"{parent.ref} is a dataset of files; image and speech tasks split it themselves"
            )
        frame = parent.to_pandas()
        train, test = split_frame(
            frame, method=method, test_size=test_size, seed=seed, column=column
        )
        origin = f"split of {parent.ref}: {method}, test_size={test_size}, seed={seed}"
        parts = []
        for suffix, part in (("train", train), ("test", test)):
            version, _ = self._publish(
                validate_name(f"{parent.name}-{suffix}", kind="dataset name"),
                part,
                target=parent.target,
                recipe=parent.recipe,
                parent=None,
                source=origin,
            )
            parts.append(version)
        return parts[0], parts[1]

    def _publish(
        self,
        name: str,
        frame: pd.DataFrame,
        *,
        target: str | None,
        recipe: list[dict[str, Any]] | None,
        parent: int | None,
        source: str | None,
        image_root: Path | None = None,
    ) -> tuple[DatasetVersion, bool]:
        frame = frame.reset_index(drop=True)
        schema = infer_schema(frame, target=target)
        profile = profile_frame(frame, schema, target=target)
        image_cols = [c.name for c in schema.columns if c.kind in FILE_KINDS]
        content_hash = _content_hash(frame, image_root, image_cols, target, recipe)
        key = f"datasets/{name}/{content_hash[:24]}"
        store = self.project.artifacts
        with tempfile.TemporaryDirectory(prefix="lepton-ds-") as tmp:
            folder = Path(tmp)
            stored = _copy_images(frame, image_cols, image_root, folder) if image_root else frame
            stored.to_parquet(folder / DATA_FILE, index=False)
            (folder / "schema.json").write_text(json.dumps(schema.to_dict(), indent=1))
            (folder / "profile.json").write_text(json.dumps(profile.to_dict(), indent=1))
            (folder / "recipe.json").write_text(json.dumps(recipe or [], indent=1))
            existed = store.exists(key)
            store.put_dir(folder, key)
        try:
            record, created = self.project.metadata.add_dataset_version(
                name,
                content_hash=content_hash,
                artifact_key=key,
                n_rows=len(frame),
                n_cols=frame.shape[1],
                schema=schema.to_dict(),
                profile=profile.to_dict(),
                recipe=recipe,
                target=target,
                source=source,
                parent_version=parent,
            )
        except BaseException:
            if not existed:
                store.delete(key)  # no orphan artifact for a version that never became visible
            raise
        return self._wrap(record), created

    # -- reads --------------------------------------------------------------
    def get(self, ref: str, version: int | None = None) -> DatasetVersion:
        """Resolve ``NAME`` or ``NAME@VERSION`` (``latest`` allowed) to a dataset version."""
        name, version_text = parse_ref(ref, kind="dataset name")
        if version is None and version_text not in (None, "latest"):
            assert version_text is not None
            if not version_text.isdigit():
                raise DataError(f"{ref!r}: a dataset version is a number, e.g. {name}@1")
            version = int(version_text)
        return self._wrap(self.project.metadata.get_dataset_version(name, version))

    def get_by_id(self, version_id: int) -> DatasetVersion:
        """The dataset version a model's lineage points at (its store id)."""
        return self._wrap(self.project.metadata.get_dataset_version_by_id(version_id))

    def versions(self, name: str) -> list[DatasetVersion]:
        validate_name(name, kind="dataset name")
        return [self._wrap(r) for r in self.project.metadata.list_dataset_versions(name)]

    def _wrap(self, record: DatasetVersionRecord) -> DatasetVersion:
        return DatasetVersion(
            name=record.name,
            version=record.version,
            content_hash=record.content_hash,
            artifact_key=record.artifact_key,
            n_rows=record.n_rows,
            n_cols=record.n_cols,
            target=record.target,
            schema=Schema.from_dict(record.schema),
            profile=Profile.from_dict(record.profile),
            recipe=record.recipe,
            parent_version=record.parent_version,
            source=record.source,
            created_at=record.created_at.isoformat(),
            id=record.id,
            _project=self.project,
        )

    def list(self) -> list[DatasetSummary]:
        return self.project.metadata.list_datasets()


def _image_root(source: SourceData) -> Path | None:
    """The folder a source's file paths are relative to (image and audio folders)."""
    if source.kind not in ("images", "audio"):
        return None
    return source.scratch or Path(source.path)


def _content_hash(
    frame: pd.DataFrame,
    image_root: Path | None,
    image_cols: list[str],
    target: str | None,
    recipe: list[dict[str, Any]] | None,
) -> str:
    """Hash of everything that defines a version: rows, image bytes, target and recipe."""
    digest = hashlib.sha256(frame_content_hash(frame).encode())
    digest.update(json.dumps({"target": target, "recipe": recipe}, sort_keys=True).encode())
    if image_root is not None:
        for col in image_cols:
            for rel in frame[col].dropna():
                digest.update(hashlib.sha256((image_root / str(rel)).read_bytes()).digest())
    return digest.hexdigest()


def _copy_images(
    frame: pd.DataFrame, image_cols: list[str], root: Path, folder: Path
) -> pd.DataFrame:
    """Copy the images into the version so it never depends on the user's folder again."""
    out = frame.copy()
    for col in image_cols:
        stored: list[str | None] = []
        for rel in frame[col]:
            if not isinstance(rel, str):
                stored.append(None)
                continue
            dest = folder / IMAGES_DIR / rel  # "images/": the folder of every copied file
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / rel, dest)
            stored.append(f"{IMAGES_DIR}/{rel}")
        out[col] = stored
    return out


__all__ = ["DataCatalog", "DatasetVersion", "LeptonError"]
