"""``collect_garbage``: unreferenced artifacts past the grace go; referenced and fresh stay.

Runs on a local folder and on S3 (moto); ages are moved by passing ``now`` rather than
by waiting, so nothing here depends on how fast the machine is.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lepton.errors import DataError
from lepton.store.artifacts import ArtifactStore
from lepton.store.gc import collect_garbage, parse_grace
from lepton.store.metadata import MetadataStore

HOUR = 3600.0
LATER = 2 * HOUR  # how far ahead ``now`` is put to make an artifact older than a 1 h grace


@pytest.fixture()
def meta(tmp_path: Path) -> Iterator[MetadataStore]:
    store = MetadataStore(f"sqlite:///{tmp_path / 'meta.db'}")
    store.migrate()
    yield store
    store.dispose()


def _publish(artifacts: ArtifactStore, tmp_path: Path, key: str, size: int = 100) -> None:
    folder = tmp_path / "src" / key.replace("/", "_")
    (folder / "native").mkdir(parents=True)
    (folder / "native" / "model.pkl").write_bytes(b"x" * size)
    artifacts.put_dir(folder, key)


def _dataset(meta: MetadataStore, key: str) -> None:
    meta.add_dataset_version(
        "adult",
        content_hash=key.rsplit("/", 1)[1],
        artifact_key=key,
        n_rows=1,
        n_cols=1,
        schema={"columns": []},
        profile={},
    )


def test_an_old_orphan_goes_and_referenced_ones_stay(
    meta: MetadataStore, artifacts: ArtifactStore, tmp_path: Path
) -> None:
    _publish(artifacts, tmp_path, "models/churn/run1")
    _publish(artifacts, tmp_path, "models/churn-variants/abc-onnx")
    _publish(artifacts, tmp_path, "datasets/adult/hash1")
    _publish(artifacts, tmp_path, "models/churn/killed", size=5000)  # no row ever named it
    meta.register_model_version("churn", artifact_key="models/churn/run1")
    meta.register_model_version("churn-variants", artifact_key="models/churn-variants/abc-onnx")
    _dataset(meta, "datasets/adult/hash1")

    report = collect_garbage(meta, artifacts, grace_s=HOUR, now=time.time() + LATER)

    assert [(g.key, g.kind) for g in report.removed] == [("models/churn/killed", "orphan")]
    assert report.removed[0].bytes >= 5000 and report.total_bytes == report.removed[0].bytes
    assert report.removed[0].age_s > HOUR and report.referenced == 3
    assert not artifacts.exists("models/churn/killed")
    for key in ("models/churn/run1", "models/churn-variants/abc-onnx", "datasets/adult/hash1"):
        assert artifacts.exists(key)
        artifacts.verify(key)


def test_a_fresh_orphan_is_kept(
    meta: MetadataStore, artifacts: ArtifactStore, tmp_path: Path
) -> None:
    _publish(artifacts, tmp_path, "models/churn/publishing")  # its row is about to be written
    report = collect_garbage(meta, artifacts, grace_s=HOUR)
    assert report.removed == [] and [g.key for g in report.kept_fresh] == [
        "models/churn/publishing"
    ]
    assert artifacts.exists("models/churn/publishing")


def test_dry_run_lists_but_removes_nothing(
    meta: MetadataStore, artifacts: ArtifactStore, tmp_path: Path
) -> None:
    _publish(artifacts, tmp_path, "models/churn/killed")
    report = collect_garbage(meta, artifacts, grace_s=HOUR, dry_run=True, now=time.time() + LATER)
    assert [g.key for g in report.removed] == ["models/churn/killed"] and report.dry_run
    assert artifacts.exists("models/churn/killed")
    artifacts.verify("models/churn/killed")


def test_a_row_registered_while_collecting_keeps_its_artifact(
    meta: MetadataStore, artifacts: ArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _publish(artifacts, tmp_path, "models/churn/racing")
    references = meta.references.artifact_keys

    def writer_commits_first() -> set[str]:  # the writer's row lands after the listing
        meta.register_model_version("churn", artifact_key="models/churn/racing")
        return references()

    monkeypatch.setattr(meta.references, "artifact_keys", writer_commits_first)
    report = collect_garbage(meta, artifacts, grace_s=HOUR, now=time.time() + LATER)
    assert report.removed == [] and artifacts.exists("models/churn/racing")


def test_an_artifact_republished_while_collecting_is_kept(
    meta: MetadataStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dataset re-added with the same content re-uses its old artifact: the touch saves it."""
    import os

    artifacts = ArtifactStore(str(tmp_path / "store"))  # local: S3 times are whole seconds
    _publish(artifacts, tmp_path, "datasets/adult/hash1")
    manifest = Path(artifacts._path("datasets/adult/hash1", "_lepton_manifest.json"))
    os.utime(manifest, (time.time() - 2 * HOUR, time.time() - 2 * HOUR))  # an old orphan
    references = meta.references.artifact_keys

    def writer_republishes() -> set[str]:
        artifacts.touch("datasets/adult/hash1")  # what put_dir does for identical content
        return references()

    monkeypatch.setattr(meta.references, "artifact_keys", writer_republishes)
    report = collect_garbage(meta, artifacts, grace_s=HOUR)
    assert report.removed == [] and artifacts.exists("datasets/adult/hash1")


def test_republishing_identical_content_makes_an_artifact_young_again(tmp_path: Path) -> None:
    import os

    artifacts = ArtifactStore(str(tmp_path / "store"))
    _publish(artifacts, tmp_path, "datasets/adult/hash1")
    manifest = Path(artifacts._path("datasets/adult/hash1", "_lepton_manifest.json"))
    old = time.time() - 2 * HOUR
    os.utime(manifest, (old, old))
    folder = tmp_path / "src" / "datasets_adult_hash1"
    artifacts.put_dir(folder, "datasets/adult/hash1")
    assert (artifacts.modified("datasets/adult/hash1") or 0) > old + HOUR


def test_local_staging_debris_past_the_grace_goes(meta: MetadataStore, tmp_path: Path) -> None:
    artifacts = ArtifactStore(str(tmp_path / "store"))
    _publish(artifacts, tmp_path, "models/churn/run1")
    meta.register_model_version("churn", artifact_key="models/churn/run1")
    debris = tmp_path / "store" / ".staging" / "0123abcd"  # a writer killed mid-copy
    (debris / "native").mkdir(parents=True)
    (debris / "native" / "model.pkl").write_bytes(b"y" * 300)
    report = collect_garbage(meta, artifacts, grace_s=HOUR, now=time.time() + LATER)
    assert [(g.key, g.kind, g.bytes) for g in report.removed] == [
        (".staging/0123abcd", "staging", 300)
    ]
    assert not debris.exists() and artifacts.exists("models/churn/run1")


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("30m", 1800), ("1h", 3600), ("2d", 172800), ("0", 0)]
)
def test_grace_durations(text: str, seconds: float) -> None:
    assert parse_grace(text) == seconds


@pytest.mark.parametrize("text", ["", "1x", "-1h", "soon"])
def test_a_bad_grace_is_refused(text: str) -> None:
    with pytest.raises(DataError, match="grace"):
        parse_grace(text)


def _half_upload(artifacts: ArtifactStore, rel: str) -> None:
    """Files a writer killed mid-upload left: no manifest was ever written."""
    path = f"{artifacts.root}/{rel}"
    artifacts.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
    with artifacts.fs.open(path, "wb") as fh:
        fh.write(b"p" * 700)


def test_an_old_incomplete_upload_goes_unless_a_row_names_it(
    meta: MetadataStore, artifacts: ArtifactStore, tmp_path: Path
) -> None:
    _half_upload(artifacts, "models/churn/killed/native/model.pkl")
    _half_upload(artifacts, "models/churn/named/native/model.pkl")
    _half_upload(artifacts, "loose-file.bin")  # not in a kind/name/id folder: never touched
    _half_upload(artifacts, "logs/predictions/churn/part-1.parquet")  # someone else's files
    _publish(artifacts, tmp_path, "models/churn/run1")
    meta.register_model_version("churn", artifact_key="models/churn/run1")
    meta.register_model_version("churn", artifact_key="models/churn/named")

    fresh = collect_garbage(meta, artifacts, grace_s=HOUR)
    assert fresh.removed == [] and "models/churn/killed" in [g.key for g in fresh.kept_fresh]

    report = collect_garbage(meta, artifacts, grace_s=HOUR, now=time.time() + LATER)
    assert [(g.key, g.kind, g.bytes) for g in report.removed] == [
        ("models/churn/killed", "incomplete", 700)
    ]
    assert not artifacts.fs.exists(f"{artifacts.root}/models/churn/killed")
    assert artifacts.fs.exists(f"{artifacts.root}/models/churn/named/native/model.pkl")
    assert artifacts.fs.exists(f"{artifacts.root}/loose-file.bin")
    assert artifacts.fs.exists(f"{artifacts.root}/logs/predictions/churn/part-1.parquet")
    assert artifacts.exists("models/churn/run1")
