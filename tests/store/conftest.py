"""Store fixtures: each metadata test runs on SQLite and on the real PostgreSQL server;
artifact tests run on a local folder and on a moto S3 server started on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.helpers.servers import MOTO_CREDENTIALS, moto_server, new_bucket

from lepton.store.artifacts import ArtifactStore
from lepton.store.metadata import MetadataStore


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'meta.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture()
def store(store_url: str) -> Iterator[MetadataStore]:
    metadata = MetadataStore(store_url)
    metadata.migrate()
    yield metadata
    metadata.dispose()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real moto standalone S3 server process on loopback (no real S3 is reachable here)."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture()
def s3_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the AWS client variables at moto and create a fresh bucket; returns its URL."""
    for key, value in {**MOTO_CREDENTIALS, "AWS_ENDPOINT_URL": moto_endpoint}.items():
        monkeypatch.setenv(key, value)
    return f"s3://{new_bucket(moto_endpoint)}/artifacts"


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def artifacts(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    if request.param == "local":
        return ArtifactStore(str(tmp_path / "artifacts"))
    url = request.getfixturevalue("s3_env")
    store = ArtifactStore(url)
    store.fs.invalidate_cache()
    return store


os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
