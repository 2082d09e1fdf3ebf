"""Training the anomaly kind: selection with and without a label, threshold, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from lepton.errors import DataError
from lepton.learn.anomaly.detectors import ECOD, LOF, IForest, Mahalanobis
from lepton.learn.automl import AutoML
from lepton.runtime.loader import load_predictor, package_folder
from lepton.runtime.manifest import read_manifest
from tests.anomaly.conftest import AnomalyProject, planted


def _fit(frame: pd.DataFrame, **kw: object) -> AutoML:
    target = kw.pop("target", None)
    return AutoML(target, task="anomaly", time_limit=5, options=kw or None).fit(frame)  # type: ignore[arg-type]


@pytest.mark.parametrize("detector", [ECOD(), IForest(), Mahalanobis(), LOF()])
def test_each_detector_ranks_planted_anomalies_first(detector: object) -> None:
    frame = planted(200, seed=1)
    x = frame[["amount", "delay"]].to_numpy(float)
    scores = detector.fit(x).score(x)  # type: ignore[attr-defined]
    assert roc_auc_score(frame["is_fraud"], scores) > 0.9


def test_unlabelled_selection_by_stability_flags_the_contamination() -> None:
    frame = planted(300)
    automl = _fit(frame.drop(columns="is_fraud"), contamination=0.1)
    assert automl.metric_ == "stability" and len(automl.leaderboard_) >= 2
    assert automl.leaderboard_[0].score >= automl.leaderboard_[-1].score
    out = automl.model_.predict_raw(frame.drop(columns="is_fraud"))
    assert out.shape == (300, 2) and 0.07 <= out[:, 1].mean() <= 0.13
    assert roc_auc_score(frame["is_fraud"], out[:, 0]) > 0.9


def test_labelled_selection_by_cv_auc_withholds_the_label() -> None:
    frame = planted(300)
    automl = _fit(frame, target="is_fraud")
    model = automl.model_
    assert automl.metric_ == "roc_auc" and automl.leaderboard_[0].score > 0.9
    assert "is_fraud" not in model.input_columns
    assert model.contamination == pytest.approx(0.05)  # the label's rate
    flags = model.predict_raw(frame.drop(columns="is_fraud"))[:, 1]
    assert flags[frame["is_fraud"].to_numpy() == 1].mean() > 0.7


def test_package_round_trip_and_registry(an: AnomalyProject) -> None:
    predictor, version = load_predictor(an.project, "fraud")
    manifest = read_manifest(package_folder(an.project, version))
    assert manifest.kind == "anomaly" and manifest.labels == ["score", "is_anomaly"]
    extra = manifest.extra["anomaly"]
    assert extra["label"] == "is_fraud" and extra["contamination"] == pytest.approx(0.05)
    assert version.metrics["cv_roc_auc"] > 0.9
    rows = an.frame.drop(columns="is_fraud")
    out = predictor.predict_raw(rows)
    assert np.array_equal(out[:, 1], (out[:, 0] > extra["threshold"]).astype(float))
    plain, _ = load_predictor(an.project, "orders")
    assert plain.predict_raw(rows).shape == (len(rows), 2)


def test_bad_input_has_clear_messages() -> None:
    frame = planted(100)
    with pytest.raises(DataError, match="contamination must be in"):
        _fit(frame.drop(columns="is_fraud"), contamination=0.7)
    with pytest.raises(DataError, match="exactly two values"):
        _fit(frame.assign(is_fraud=np.arange(100) % 3), target="is_fraud")
    with pytest.raises(DataError, match="at least 20 rows"):
        _fit(frame.head(10).drop(columns="is_fraud"))
    with pytest.raises(DataError, match="no usable feature columns"):
        _fit(pd.DataFrame({"a": [1.0] * 50, "b": ["x"] * 50}))
