"""Folders of files (datasets, model packages, reports) in a local folder or object storage.

Publishing is atomic. Locally a folder is staged beside its destination and renamed into
place in one step; on object storage every file is uploaded first and the manifest
(``_lepton_manifest.json``: each file's size and SHA-256) last. An artifact exists only
once its manifest does, so a reader never sees a half-written artifact, and a crashed
upload leaves nothing visible. Keys are content-checked: publishing different bytes
under an existing key is refused rather than silently overwriting.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import fsspec

from lepton.errors import ConflictError, InvalidNameError, NotFoundError, StoreError
from lepton.names import validate_name

MANIFEST = "_lepton_manifest.json"
STAGING = ".staging"
KEY_DEPTH = 3  # every key Lepton publishes is kind/name/id (models/churn/<run id>, ...)
KEY_KINDS = ("datasets", "models")  # the kinds: only there are manifest-less files Lepton's
CHUNK = 1 << 20


@dataclass(frozen=True)
class ArtifactInfo:
    key: str
    files: dict[str, dict[str, Any]]  # relpath -> {"size", "sha256"}
    content_hash: str

    @property
    def total_bytes(self) -> int:
        return sum(int(f["size"]) for f in self.files.values())


@dataclass(frozen=True)
class StoredArtifact:
    """A published artifact as stored: its bytes and when its manifest was last written."""

    key: str
    bytes: int
    modified: float  # epoch seconds of the manifest (written last, or touched on re-publish)


def validate_key(key: str) -> str:
    """Keys are ``/``-joined safe names: never absolute, never ``..``, never empty segments."""
    if not key or key.startswith("/") or key.endswith("/"):
        raise InvalidNameError(f"invalid artifact key {key!r}")
    for segment in key.split("/"):
        validate_name(segment, kind="artifact key segment")
    return key


def _validate_relpath(relpath: str) -> str:
    parts = relpath.split("/")
    if (
        not relpath
        or relpath.startswith("/")
        or "\\" in relpath
        or any(p in ("", ".", "..") for p in parts)
    ):
        raise InvalidNameError(f"invalid file path {relpath!r} inside an artifact")
    return relpath


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def folder_manifest(folder: Path) -> dict[str, dict[str, Any]]:
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            rel = path.relative_to(folder).as_posix()
            if rel == MANIFEST:
                continue
            files[rel] = {"size": path.stat().st_size, "sha256": file_sha256(path)}
    return files


def manifest_hash(files: dict[str, dict[str, Any]]) -> str:
    canonical = json.dumps({k: v["sha256"] for k, v in sorted(files.items())}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


class ArtifactStore:
    """Artifact folders under a root URL: a local path (default) or ``s3://bucket/prefix``."""

    def __init__(self, url: str, storage_options: dict[str, Any] | None = None) -> None:
        self.url = url.rstrip("/")
        protocol = url.split("://", 1)[0] if "://" in url else "file"
        self.protocol = "file" if protocol in ("file", "local") else protocol
        options = dict(storage_options or {})
        if self.protocol == "s3":
            endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
            if endpoint and "endpoint_url" not in options:
                options["endpoint_url"] = endpoint
            self.root = self.url.split("://", 1)[1]
        else:
            self.root = str(Path(self.url.split("://", 1)[-1]).expanduser().resolve())
        try:
            self.fs = fsspec.filesystem(self.protocol, **options)
        except (ImportError, ValueError) as exc:
            raise StoreError(f"cannot open artifact store {url!r}: {exc}") from exc

    @property
    def is_local(self) -> bool:
        return self.protocol == "file"

    def _path(self, key: str, relpath: str | None = None) -> str:
        base = f"{self.root}/{validate_key(key)}"
        return base if relpath is None else f"{base}/{_validate_relpath(relpath)}"

    # -- writes ------------------------------------------------------------------------------
    def put_dir(self, folder: str | Path, key: str) -> ArtifactInfo:
        """Publish ``folder`` under ``key`` atomically; re-publishing identical content is a no-op."""
        folder = Path(folder)
        if not folder.is_dir():
            raise NotFoundError(f"{folder}: not a folder")
        files = folder_manifest(folder)
        info = ArtifactInfo(validate_key(key), files, manifest_hash(files))
        existing = self._try_info(key)
        if existing is not None:
            same = self._same_or_conflict(existing, info)
            self.touch(key)  # re-published: young again, so the collector's grace covers it
            return same
        manifest = json.dumps({"key": key, "files": files, "content_hash": info.content_hash})
        if self.is_local:
            self._put_local(folder, key, manifest)
        else:
            self._put_remote(folder, key, files, manifest)
        return info

    def _same_or_conflict(self, existing: ArtifactInfo, new: ArtifactInfo) -> ArtifactInfo:
        if existing.content_hash != new.content_hash:
            raise ConflictError(
                f"artifact {new.key!r} already exists with different content; "
                "artifacts are immutable, publish under a new key"
            )
        return existing

    def _put_local(self, folder: Path, key: str, manifest: str) -> None:
        final = Path(self._path(key))
        staging = Path(self.root) / STAGING / uuid.uuid4().hex
        try:
            shutil.copytree(folder, staging)
            (staging / MANIFEST).write_text(manifest)
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists() and not (final / MANIFEST).exists():
                shutil.rmtree(final)  # debris of a crash from before atomic publish; never visible
            try:
                os.rename(staging, final)
            except OSError:
                if not (final / MANIFEST).exists():
                    raise
                # another writer published the same key first: accept only identical content
                existing = self.info(key)
                self._same_or_conflict(existing, ArtifactInfo(key, *_manifest_parts(manifest)))
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def _put_remote(
        self, folder: Path, key: str, files: dict[str, dict[str, Any]], manifest: str
    ) -> None:
        base = self._path(key)
        try:
            for rel in files:
                self.fs.put_file(str(folder / rel), f"{base}/{rel}")
            with self.fs.open(f"{base}/{MANIFEST}", "w") as fh:  # the commit point
                fh.write(manifest)
        except Exception as exc:
            self._remove_remote(base)
            raise StoreError(f"publishing {key!r} to {self.url} failed: {exc}") from exc

    def delete(self, key: str) -> None:
        """Remove an artifact: its manifest first, so it stops being visible at once."""
        base = self._path(key)
        if self.is_local:
            path = Path(base)
            if path.exists():
                trash = Path(self.root) / STAGING / f"del-{uuid.uuid4().hex}"
                trash.parent.mkdir(parents=True, exist_ok=True)
                os.rename(path, trash)
                shutil.rmtree(trash, ignore_errors=True)
            return
        self._remove_remote(base)

    def _remove_remote(self, base: str) -> None:
        if self.fs.exists(f"{base}/{MANIFEST}"):
            self.fs.rm_file(f"{base}/{MANIFEST}")
        if self.fs.exists(base):
            self.fs.rm(base, recursive=True)

    def touch(self, key: str) -> None:
        """Mark an artifact as just written (its manifest's modification time is its age)."""
        path = self._path(key, MANIFEST)
        if self.is_local:
            os.utime(path)
            return
        with self.fs.open(path, "r") as fh:
            text = fh.read()
        with self.fs.open(path, "w") as fh:  # same bytes: readers see no change
            fh.write(text)

    def modified(self, key: str) -> float | None:
        """When the artifact's manifest was last written (epoch s); None if it is not there."""
        if not self.is_local:
            self.fs.invalidate_cache()
        try:
            return _modified(self.fs.info(self._path(key, MANIFEST)))
        except FileNotFoundError:
            return None

    def stored(self) -> list[StoredArtifact]:
        """Every published artifact with its size and age, from one listing of the store."""
        return self.survey()[0]

    def survey(self) -> tuple[list[StoredArtifact], list[StoredArtifact]]:
        """Published artifacts and incomplete uploads (files, no manifest), from one listing.

        An incomplete upload is grouped under its ``kind/name/id`` folder (the shape of every
        key Lepton writes, ``kind`` one of ``KEY_KINDS``) and dated by its newest file; files
        anywhere else (the store's root may be shared), or in a folder that holds a published
        artifact, are never reported.
        """
        if not self.is_local:
            self.fs.invalidate_cache()
        if not self.fs.exists(self.root):
            return [], []
        entries: dict[str, dict[str, Any]] = self.fs.find(self.root, detail=True)
        prefix = self.root.rstrip("/") + "/"
        files = {p[len(prefix) :]: e for p, e in entries.items() if p.startswith(prefix)}
        found: dict[str, list[float]] = {}
        for rel, entry in files.items():
            if rel.endswith(f"/{MANIFEST}") and not rel.startswith(f"{STAGING}/"):
                found[rel[: -len(MANIFEST) - 1]] = [0.0, _modified(entry)]
        loose: dict[str, list[float]] = {}
        for rel, entry in files.items():
            parts = rel.split("/")
            size = float(entry.get("size") or 0)
            for depth in range(len(parts) - 1, 0, -1):  # the nearest enclosing artifact
                owner = found.get("/".join(parts[:depth]))
                if owner is not None:
                    owner[0] += size
                    break
            else:
                if parts[0] not in KEY_KINDS or len(parts) <= KEY_DEPTH:
                    continue
                group = "/".join(parts[:KEY_DEPTH])
                if any(key.startswith(f"{group}/") for key in found):
                    continue
                seen = loose.setdefault(group, [0.0, 0.0])
                seen[0] += size
                seen[1] = max(seen[1], _modified(entry))
        published = [StoredArtifact(k, int(v[0]), v[1]) for k, v in sorted(found.items())]
        incomplete = [StoredArtifact(k, int(v[0]), v[1]) for k, v in sorted(loose.items())]
        return published, incomplete

    def remove_incomplete(self, key: str) -> bool:
        """Remove an incomplete upload's files; False (nothing removed) if any manifest is there."""
        base = self._path(key)
        if not self.is_local:
            self.fs.invalidate_cache()
        if not self.fs.exists(base):
            return True
        if any(path.endswith(f"/{MANIFEST}") for path in self.fs.find(base)):
            return False  # completed (or holds an artifact) since it was listed
        self.fs.rm(base, recursive=True)
        return True

    def staging_debris(self) -> list[StoredArtifact]:
        """Folders a crashed local writer left in staging (keys ``.staging/NAME``)."""
        staging = Path(self.root) / STAGING
        if not self.is_local or not staging.is_dir():
            return []
        out = []
        for entry in sorted(staging.iterdir()):
            paths = [entry, *entry.rglob("*")] if entry.is_dir() else [entry]
            size = sum(p.stat().st_size for p in paths if p.is_file())
            newest = max(p.stat().st_mtime for p in paths)
            out.append(StoredArtifact(f"{STAGING}/{entry.name}", size, newest))
        return out

    def remove_debris(self, key: str) -> None:
        """Remove one ``staging_debris`` entry (never a published artifact)."""
        name = key.removeprefix(f"{STAGING}/")
        validate_name(name, kind="staging entry")
        path = Path(self.root) / STAGING / name
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists():
            path.unlink()

    def gc_staging(self, older_than_s: float = 3600.0) -> int:
        """Remove staging debris left by crashed local writers; returns how many were removed."""
        if not self.is_local:
            return 0
        staging = Path(self.root) / STAGING
        removed = 0
        if staging.exists():
            for entry in staging.iterdir():
                if time.time() - entry.stat().st_mtime > older_than_s:
                    shutil.rmtree(entry, ignore_errors=True)
                    removed += 1
        return removed

    # -- reads -------------------------------------------------------------------------------
    def exists(self, key: str) -> bool:
        return bool(self.fs.exists(self._path(key, MANIFEST)))

    def info(self, key: str) -> ArtifactInfo:
        found = self._try_info(key)
        if found is None:
            raise NotFoundError(f"no artifact {key!r} in {self.url}")
        return found

    def _try_info(self, key: str) -> ArtifactInfo | None:
        try:
            with self.fs.open(self._path(key, MANIFEST), "r") as fh:
                files, content_hash = _manifest_parts(fh.read())
        except FileNotFoundError:
            return None
        # The hash is recomputed from the file list, never taken on trust: a manifest edited
        # to match a swapped file would otherwise keep the registered hash and pass verify().
        if manifest_hash(files) != content_hash:
            raise StoreError(
                f"artifact {key!r}: its manifest does not match its content hash; "
                "refusing to use it"
            )
        return ArtifactInfo(key, files, content_hash)

    def list(self, prefix: str = "") -> list[str]:
        """Keys of published artifacts under ``prefix`` (half-written ones are not listed)."""
        if prefix:
            validate_key(prefix)
        base = f"{self.root}/{prefix}" if prefix else self.root
        if not self.fs.exists(base):
            return []
        keys = []
        for path in self.fs.find(base):
            if path.endswith(f"/{MANIFEST}"):
                rel = path[: -len(MANIFEST) - 1]
                rel = rel[len(self.root) :].lstrip("/")
                if not rel.startswith(f"{STAGING}/"):
                    keys.append(rel)
        return sorted(keys)

    @contextmanager
    def open(self, key: str, relpath: str) -> Iterator[IO[bytes]]:
        info = self.info(key)
        if relpath not in info.files:
            raise NotFoundError(f"artifact {key!r} has no file {relpath!r}")
        with self.fs.open(self._path(key, relpath), "rb") as fh:
            yield fh

    def get_dir(self, key: str, dest: str | Path) -> Path:
        """Download an artifact to ``dest`` (created atomically), verifying every file's hash."""
        info = self.info(key)
        dest = Path(dest)
        if dest.exists() and (dest / MANIFEST).exists():
            local = json.loads((dest / MANIFEST).read_text())
            if local.get("content_hash") == info.content_hash:
                return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = dest.parent / f".{dest.name}.{uuid.uuid4().hex}.partial"
        try:
            for rel, meta in info.files.items():
                target = staging / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                self.fs.get_file(self._path(key, rel), str(target))
                if file_sha256(target) != meta["sha256"]:
                    raise StoreError(f"artifact {key!r}: {rel} is corrupt (hash mismatch)")
            (staging / MANIFEST).write_text(
                json.dumps({"key": key, "files": info.files, "content_hash": info.content_hash})
            )
            if dest.exists():
                shutil.rmtree(dest)
            os.rename(staging, dest)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return dest

    def verify(self, key: str, expected_hash: str | None = None) -> ArtifactInfo:
        """Check an artifact is intact (and is the one registered, if ``expected_hash`` is given).

        Called before anything executable (a pickled model) is loaded from the store, so a
        file swapped or corrupted after registration is refused instead of run.
        """
        info = self.info(key)
        if expected_hash is not None and info.content_hash != expected_hash:
            raise StoreError(
                f"artifact {key!r} is not the one that was registered (content hash differs); "
                "refusing to load it"
            )
        if self.is_local:
            base = Path(self._path(key))
            for rel, meta in info.files.items():
                path = base / rel
                if not path.is_file() or file_sha256(path) != meta["sha256"]:
                    raise StoreError(
                        f"artifact {key!r}: {rel} is missing or corrupt (hash mismatch)"
                    )
        return info

    def local_path(self, key: str) -> Path | None:
        """The artifact's folder on local disk, if the store is local (no copy needed)."""
        return Path(self._path(key)) if self.is_local else None


def _modified(entry: dict[str, Any]) -> float:
    """A listing entry's modification time: local ``mtime``, S3 ``LastModified``."""
    value = entry.get("mtime", entry.get("LastModified"))
    if value is None:
        raise StoreError(f"the artifact store does not report when {entry.get('name')} changed")
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


def _manifest_parts(text: str) -> tuple[dict[str, dict[str, Any]], str]:
    data = json.loads(text)
    files = {_validate_relpath(k): v for k, v in data["files"].items()}
    return files, str(data["content_hash"])
