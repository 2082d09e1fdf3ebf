from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from lepton.errors import ConflictError, InvalidNameError, NotFoundError, StoreError
from lepton.store.artifacts import MANIFEST, ArtifactStore


def _folder(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def test_put_get_roundtrip_with_hashes(artifacts: ArtifactStore, tmp_path: Path) -> None:
    src = _folder(tmp_path / "src", {"data.parquet": b"abc" * 1000, "sub/schema.json": b"{}"})
    info = artifacts.put_dir(src, "datasets/adult/v1")
    assert set(info.files) == {"data.parquet", "sub/schema.json"} and info.total_bytes == 3002
    assert artifacts.exists("datasets/adult/v1")
    assert artifacts.list("datasets") == ["datasets/adult/v1"]
    with artifacts.open("datasets/adult/v1", "sub/schema.json") as fh:
        assert fh.read() == b"{}"
    out = artifacts.get_dir("datasets/adult/v1", tmp_path / "out")
    assert (out / "data.parquet").read_bytes() == b"abc" * 1000
    assert artifacts.info("datasets/adult/v1").content_hash == info.content_hash


def test_republishing_is_idempotent_and_different_content_conflicts(
    artifacts: ArtifactStore, tmp_path: Path
) -> None:
    src = _folder(tmp_path / "a", {"x.txt": b"one"})
    first = artifacts.put_dir(src, "models/m/1")
    assert artifacts.put_dir(src, "models/m/1").content_hash == first.content_hash
    other = _folder(tmp_path / "b", {"x.txt": b"two"})
    with pytest.raises(ConflictError, match="immutable"):
        artifacts.put_dir(other, "models/m/1")
    with artifacts.open("models/m/1", "x.txt") as fh:
        assert fh.read() == b"one"


def test_an_artifact_without_its_manifest_is_invisible(
    artifacts: ArtifactStore, tmp_path: Path
) -> None:
    # simulate a writer that crashed after uploading files but before committing the manifest
    base = f"{artifacts.root}/models/m/half"
    artifacts.fs.makedirs(base, exist_ok=True)
    with artifacts.fs.open(f"{base}/model.pkl", "wb") as fh:
        fh.write(b"partial")
    assert not artifacts.exists("models/m/half")
    assert "models/m/half" not in artifacts.list("models")
    with pytest.raises(NotFoundError):
        artifacts.open("models/m/half", "model.pkl").__enter__()
    # a later publish of the same key succeeds and replaces the debris
    artifacts.put_dir(_folder(tmp_path / "c", {"model.pkl": b"complete"}), "models/m/half")
    with artifacts.open("models/m/half", "model.pkl") as fh:
        assert fh.read() == b"complete"


def test_corruption_is_detected_on_download(artifacts: ArtifactStore, tmp_path: Path) -> None:
    artifacts.put_dir(_folder(tmp_path / "a", {"w.bin": b"weights"}), "models/m/2")
    with artifacts.fs.open(f"{artifacts.root}/models/m/2/w.bin", "wb") as fh:
        fh.write(b"tampered")
    with pytest.raises(StoreError, match="corrupt"):
        artifacts.get_dir("models/m/2", tmp_path / "dl")
    assert not (tmp_path / "dl").exists()  # nothing half-downloaded is left


def test_a_manifest_forged_to_match_a_swapped_file_is_refused(
    artifacts: ArtifactStore, tmp_path: Path
) -> None:
    """Who can write the store cannot swap a pickle by also fixing up its manifest."""
    registered = artifacts.put_dir(_folder(tmp_path / "a", {"model.pkl": b"good"}), "models/m/3")
    base = f"{artifacts.root}/models/m/3"
    with artifacts.fs.open(f"{base}/model.pkl", "wb") as fh:
        fh.write(b"evil")
    with artifacts.fs.open(f"{base}/{MANIFEST}", "r") as fh:
        manifest = json.loads(fh.read())
    manifest["files"]["model.pkl"] = {"size": 4, "sha256": hashlib.sha256(b"evil").hexdigest()}
    with artifacts.fs.open(f"{base}/{MANIFEST}", "w") as fh:
        fh.write(json.dumps(manifest))  # the registered content_hash is kept as it was
    if hasattr(artifacts.fs, "invalidate_cache"):
        artifacts.fs.invalidate_cache()
    with pytest.raises(StoreError, match="does not match its content hash"):
        artifacts.verify("models/m/3", registered.content_hash)
    with pytest.raises(StoreError, match="does not match its content hash"):
        artifacts.get_dir("models/m/3", tmp_path / "dl")


def test_delete_makes_it_invisible(artifacts: ArtifactStore, tmp_path: Path) -> None:
    artifacts.put_dir(_folder(tmp_path / "a", {"f": b"1"}), "reports/r1")
    artifacts.delete("reports/r1")
    assert not artifacts.exists("reports/r1") and artifacts.list() == []


@pytest.mark.parametrize("key", ["../escape", "/abs", "a/../b", "a//b", "a/b/", "", "a\\b"])
def test_unsafe_keys_are_refused(artifacts: ArtifactStore, tmp_path: Path, key: str) -> None:
    with pytest.raises(InvalidNameError):
        artifacts.put_dir(_folder(tmp_path / "a", {"f": b"1"}), key)


def test_manifest_paths_cannot_escape(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "store"))
    store.put_dir(_folder(tmp_path / "a", {"f": b"1"}), "k/1")
    manifest = tmp_path / "store" / "k" / "1" / MANIFEST
    data = json.loads(manifest.read_text())
    data["files"]["../../outside"] = {"size": 1, "sha256": "0" * 64}
    manifest.write_text(json.dumps(data))
    with pytest.raises(InvalidNameError):
        store.get_dir("k/1", tmp_path / "out")


def test_local_publish_leaves_no_staging_debris(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "store"))
    store.put_dir(_folder(tmp_path / "a", {"f": b"1"}), "k/1")
    assert list((tmp_path / "store" / ".staging").iterdir()) == []
    assert store.local_path("k/1") == tmp_path / "store" / "k" / "1"
