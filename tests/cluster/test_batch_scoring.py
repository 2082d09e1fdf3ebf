"""`lepton predict --cluster`: Ray Data replicas score a file, rows in input order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lepton.compute.local_cluster import LocalCluster
from tests.helpers.home import home_env, run_lepton

pytestmark = pytest.mark.ray_lifecycle  # minutes of cluster work: .ci/run runs these


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    """A home with a small classifier, and a 30k-row Parquet file in 30 row groups to score."""
    folder = tmp_path_factory.mktemp("scoring")
    env = home_env(folder / "home")
    rng = np.random.default_rng(4)
    rows = 30_000
    frame = pd.DataFrame({"a": rng.normal(size=rows), "b": rng.normal(size=rows)})
    frame["colour"] = rng.choice(["red", "blue", "green"], size=rows)
    frame["y"] = np.where(frame["a"] - frame["b"] + (frame["colour"] == "red") > 0.5, "hi", "lo")
    frame.head(2_000).to_csv(folder / "train.csv", index=False)
    assert run_lepton(env, "data", "add", str(folder / "train.csv"), "--name", "t").returncode == 0
    done = run_lepton(
        env, "train", "t", "--target", "y", "--time-limit", "15", "--families", "lightgbm"
    )
    assert done.returncode == 0, done.stderr
    batch = frame.drop(columns=["y"])
    batch.insert(0, "row_id", np.arange(rows))
    pq.write_table(
        pa.Table.from_pandas(batch, preserve_index=False),
        folder / "batch.parquet",
        row_group_size=1_000,
    )
    return env, folder


def test_cluster_scores_equal_local_scores_in_input_order(
    ray_cluster: LocalCluster, trained: tuple[dict[str, str], Path]
) -> None:
    env, folder = trained
    local = run_lepton(
        env, "predict", "t", str(folder / "batch.parquet"), "-o", str(folder / "local.parquet")
    )
    assert local.returncode == 0, local.stderr
    on_ray = run_lepton(
        {**env, "LEPTON_RAY_ADDRESS": ray_cluster.address},
        "predict",
        "t",
        str(folder / "batch.parquet"),
        "-o",
        str(folder / "ray.parquet"),
        "--cluster",
    )
    assert on_ray.returncode == 0, on_ray.stderr
    assert "Ray replicas" in on_ray.stdout
    here = pd.read_parquet(folder / "local.parquet")
    there = pd.read_parquet(folder / "ray.parquet")
    assert list(there["row_id"]) == list(range(30_000))  # the input's order, every row once
    pd.testing.assert_frame_equal(there, here)  # same columns, dtypes and values
    assert not list(folder.glob(".ray.parquet.tmp"))


def test_cluster_csv_output_matches_too(
    ray_cluster: LocalCluster, trained: tuple[dict[str, str], Path]
) -> None:
    env, folder = trained
    on_ray = run_lepton(
        {**env, "LEPTON_RAY_ADDRESS": ray_cluster.address},
        "predict",
        "t",
        str(folder / "batch.parquet"),
        "-o",
        str(folder / "ray.csv"),
        "--cluster",
    )
    assert on_ray.returncode == 0, on_ray.stderr
    written = pd.read_csv(folder / "ray.csv")
    assert len(written) == 30_000 and list(written["row_id"]) == list(range(30_000))


def test_cluster_without_an_address_is_one_line(trained: tuple[dict[str, str], Path]) -> None:
    env, folder = trained
    env = {k: v for k, v in env.items() if k != "LEPTON_RAY_ADDRESS"}
    done = run_lepton(
        env,
        "predict",
        "t",
        str(folder / "batch.parquet"),
        "-o",
        str(folder / "x.parquet"),
        "--cluster",
    )
    assert done.returncode != 0
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "LEPTON_RAY_ADDRESS" in lines[0], done.stderr
    assert not (folder / "x.parquet").exists()
