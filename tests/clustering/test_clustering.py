"""The clustering kind: training and its choice, the profile, the package, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from lepton.errors import DataError
from lepton.learn.automl import AutoML
from lepton.learn.clustering.families import krzanowski_lai
from lepton.learn.clustering.model import ClusterModel
from lepton.runtime.loader import load_predictor, package_folder
from lepton.runtime.manifest import read_manifest
from tests.clustering.conftest import ClusterProject, customers


def _fit(frame: pd.DataFrame, **options: object) -> AutoML:
    return AutoML(None, task="clustering", time_limit=10, options=dict(options) or None).fit(frame)


def test_finds_the_three_groups_without_being_told_k(cp: ClusterProject) -> None:
    model = cp.outcome.automl.model_
    assert isinstance(model, ClusterModel) and model.k == 3
    frame = cp.frame
    assert adjusted_rand_score(frame["group"], model.predict(frame)) > 0.9
    assert cp.outcome.automl.leaderboard_[0].family == model.fitted.family


def test_profile_names_what_sets_each_cluster_apart(cp: ClusterProject) -> None:
    details = cp.outcome.automl.model_.manifest_extra()["clustering"]
    profile = details["profile"]
    assert sum(p["size"] for p in profile) == len(cp.frame)
    assert sum(details["shares"]) == pytest.approx(1.0)
    for cluster in profile:
        top = cluster["contrasts"][0]
        assert abs(top["effect"]) > 1.0  # separated groups: a large standardized difference
        assert top["feature"].split("=")[0] in {"spend", "visits", "plan"}
    assert len(details["projection"]["x"]) == len(cp.frame)


def test_package_round_trip_answers_as_trained(cp: ClusterProject) -> None:
    version = cp.outcome.version
    manifest = read_manifest(package_folder(cp.project, version))
    assert manifest.kind == "clustering" and manifest.output_schema.type == "cluster"
    predictor, _ = load_predictor(cp.project, f"{version.name}@{version.version}")
    rows = customers(30, seed=5).drop(columns=["group"])
    assert np.array_equal(predictor.predict_raw(rows), cp.outcome.automl.model_.predict_raw(rows))


def test_told_k_gives_k_clusters() -> None:
    automl = _fit(customers(150, seed=2).drop(columns=["group"]), k=4, families=["kmeans"])
    assert automl.model_.k == 4


@pytest.mark.parametrize(
    ("frame", "options", "message"),
    [
        (customers(150).drop(columns=["group"]), {"k": 1}, "at least 2"),
        (customers(20).drop(columns=["group"]), {"k": 15}, "more than half"),
        (customers(6).drop(columns=["group"]), {}, "only 6 rows"),
        (pd.DataFrame({"a": [1.0] * 50, "b": ["x"] * 50}), {}, "nothing to cluster"),
        (customers(50).drop(columns=["group"]), {"families": ["dbscan"]}, "unknown clustering"),
    ],
)
def test_bad_input_is_refused_with_the_reason(
    frame: pd.DataFrame, options: dict[str, object], message: str
) -> None:
    with pytest.raises(DataError, match=message):
        _fit(frame, **options)


def test_one_blob_is_not_shipped_as_clusters() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    frame.loc[:4, "a"] = 40.0  # five outliers: a split would put 97 % in one cluster
    frame.loc[:4, "b"] = 40.0
    with pytest.raises(DataError, match="no family found more than one real cluster"):
        _fit(frame, families=["kmeans"], k=2)


def test_krzanowski_lai_peaks_where_adding_a_cluster_stops_paying() -> None:
    from sklearn.cluster import KMeans
    from sklearn.datasets import make_blobs

    x, _ = make_blobs(400, n_features=4, centers=5, cluster_std=0.5, random_state=1)
    inertia = {k: KMeans(k, n_init=10, random_state=0).fit(x).inertia_ for k in range(2, 10)}
    total = float(((x - x.mean(axis=0)) ** 2).sum())
    index = krzanowski_lai(inertia, total, dims=4)
    assert set(index) == set(range(2, 9))  # the last fitted k only scores the one before
    assert max(index, key=lambda k: index[k]) == 5


def test_krzanowski_lai_floor_keeps_noise_fits_from_winning() -> None:
    # dispersion flat after k=3, with two near-equal tiny drops at 8 and 9: unfloored,
    # KL(8) = drop(8) / drop(9) = 1000 would beat KL(3) = 80 (many dims: k^(2/p) ~ 1)
    inertia = {2: 500.0, 3: 100.0, 4: 95.0, 5: 90.0, 6: 85.0, 7: 80.0, 8: 79.9, 9: 79.8999}
    index = krzanowski_lai(inertia, total=1000.0, dims=50)
    assert max(index, key=lambda k: index[k]) == 3


def test_iris_gets_three_clusters_where_the_silhouette_says_two() -> None:
    from sklearn.datasets import load_iris

    iris = load_iris(as_frame=True).frame
    automl = _fit(iris.drop(columns=["target"]))
    assert automl.model_.k == 3
    assert adjusted_rand_score(iris["target"], automl.model_.predict(iris)) > 0.6
    details = automl.model_.details
    scored = [t for t in details["tried_k"] if "kl_index" in t]
    assert max(scored, key=lambda t: t["kl_index"])["k"] == 3
    silhouettes = {t["k"]: t["silhouette"] for t in details["tried_k"]}
    assert max(silhouettes, key=lambda k: silhouettes[k]) == 2
    hdbscan = next(s for s in details["selection"] if s["family"] == "hdbscan")
    assert not hdbscan["eligible"] and "dispersion curve says 3" in hdbscan["note"]
