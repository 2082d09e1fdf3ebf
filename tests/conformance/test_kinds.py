"""Every registered model kind through the lifecycle (the idea of ``check_estimator``).

For each kind: its example trains within its budget into a package that declares the
kind; the package round-trips (reloaded predictions equal the trained model's); outputs
have the kind's shape and labels; the kind's codec turns raw request rows into records
the served predictor answers exactly as the frame path does; the kind's optimizer
either builds an ONNX graph that matches native within the tolerance or says why not;
and the kind's input checks run on what the server would log.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lepton.data.catalog import DataCatalog
from lepton.learn.training import TrainOutcome, train_dataset
from lepton.monitor.inputs import InputChecks
from lepton.optimize import optimize
from lepton.optimize.export import FP32_TOLERANCE
from lepton.runtime.kinds import ModelKind, all_kinds, get_kind, infer_kind, kind_for_task
from lepton.runtime.loader import load_predictor, load_serving_predictor, package_folder
from lepton.runtime.manifest import read_manifest
from lepton.serve.codecs import codec_for
from lepton.store.project import Project
from tests.conformance.kind_examples import EXAMPLES, KindExample

KINDS = [k.name for k in all_kinds()]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    import os

    from lepton.config import load_settings

    home = tmp_path_factory.mktemp("kinds")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEPTON_")}
    env["LEPTON_HOME"] = str(home / "home")
    opened = Project.open(load_settings(env))
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def trained() -> dict[str, tuple[KindExample, TrainOutcome]]:
    """Each kind's example, trained at most once in the module."""
    return {}


def _train(
    kind: str, project: Project, cache: dict[str, tuple[KindExample, TrainOutcome]], root: Path
) -> tuple[KindExample, TrainOutcome]:
    if kind not in cache:
        example = EXAMPLES[kind](DataCatalog(project), root / kind)
        outcome = train_dataset(
            project,
            example.train_ref,
            time_limit=example.time_limit,
            test_ref=example.test_ref if example.held_out else None,
            task=example.task,
            options=example.options,
            families=example.families,
            n_folds=3,
        )
        cache[kind] = (example, outcome)
    return cache[kind]


def test_every_kind_has_an_example() -> None:
    assert sorted(KINDS) == sorted(EXAMPLES), "add the new kind's example to kind_examples.py"


@pytest.mark.parametrize("name", KINDS)
def test_the_kind_declares_every_part(name: str) -> None:
    kind = get_kind(name)
    for part in ("trainer", "codec", "onnx_predictor", "variants", "input_checks"):
        assert callable(kind.entry(part)), f"{name}.{part} does not resolve"
    assert kind.input_kinds, "a kind must say which input columns it takes"
    assert isinstance(kind, ModelKind)


@pytest.mark.parametrize("name", KINDS)
def test_kind_through_the_lifecycle(
    name: str,
    project: Project,
    trained: dict[str, tuple[KindExample, TrainOutcome]],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    example, outcome = _train(name, project, trained, tmp_path_factory.mktemp(f"ex-{name}"))
    catalog = DataCatalog(project)
    train_version = catalog.get(example.train_ref)
    kind_of_data = kind_for_task(example.task) or infer_kind(
        c.kind for c in train_version.schema.columns
    )
    assert kind_of_data == name
    # the package declares the kind, and trained within its budget
    folder = package_folder(project, outcome.version)
    manifest = read_manifest(folder)
    assert manifest.kind == name and outcome.automl.fit_seconds_ > 0
    assert not outcome.automl.interrupted_
    # package round trip: the reloaded native pipeline answers as the trained model did
    test = catalog.get(example.test_ref).to_pandas()
    features = example.features(test, manifest.target)
    predictor, _ = load_predictor(project, outcome.version.name)
    expected = outcome.automl.model_.predict_raw(features)
    assert np.array_equal(predictor.predict_raw(features), expected)
    # output shape and labels
    if manifest.task == "regression":
        assert expected.shape == (len(test),)
    elif manifest.task == "forecast":  # one row per series and step: mean, then quantiles
        n_series = test[str(manifest.extra["forecast"]["id_column"])].nunique()
        horizon = int(manifest.extra["forecast"]["horizon"])
        assert expected.shape == (n_series * horizon, len(manifest.labels))
        assert manifest.labels[0] == "mean"
    elif manifest.task == "rules":  # per row: its basket's score (confidence) per item
        assert expected.shape == (len(test), len(manifest.labels))
        assert ((expected >= 0) & (expected <= 1)).all() and (expected > 0).any()
    elif manifest.output_schema.type == "cluster":  # closeness to each cluster (-distance)
        assert expected.shape == (len(test), len(manifest.labels))
        assert (expected <= 0).all()
        assert set(predictor.predict(features)) <= set(manifest.labels)
    elif manifest.task == "anomaly":  # per row: the score in [0, 1] and the 0/1 flag
        assert expected.shape == (len(test), 2) and manifest.labels == ["score", "is_anomaly"]
        assert ((expected[:, 0] >= 0) & (expected[:, 0] <= 1)).all()
    elif manifest.task == "recommend":  # one answer object per user: its ranked items
        assert expected.shape == (len(test),) and all(a["items"] for a in expected)
    elif manifest.task == "ner":  # one list of entities per text, offsets into the text
        assert expected.shape == (len(test),) and any(len(found) for found in expected)
        for text, found in zip(features["text"], expected, strict=True):
            assert all(text[e["start"] : e["end"]] == e["text"] for e in found)
            assert {e["label"] for e in found} <= set(manifest.labels)
    elif manifest.task == "speech":  # one transcript per clip, segments inside the clip
        assert expected.shape == (len(test),) and all(t["text"] for t in expected)
        for answer in expected:
            assert all(
                0 <= s["start"] <= s["end"] <= answer["duration_s"] + 0.5
                for s in answer["segments"]
            )
    else:
        assert expected.shape == (len(test), len(manifest.labels))
        assert np.allclose(expected.sum(axis=1), 1.0)
        assert set(predictor.predict(features)) <= set(manifest.labels)
    # the kind's codec: raw request rows → records → the same answers as the frame path
    codec = codec_for(manifest, reject_unknown_categories=True)
    records = codec.validate(example.request_rows(test))
    by_records = predictor.predict_records(records)
    if expected.dtype == object:  # answer objects (recommendations), not numbers
        assert list(by_records) == list(expected)
    else:
        assert np.allclose(by_records, expected, atol=1e-9)
    body = codec.encode(by_records, None if manifest.task == "regression" else manifest.labels)
    assert len(body["predictions"]) == len(expected)
    # export parity where the kind's optimizer can export; a stated reason where not
    result = optimize(
        project, outcome.version.name, measure_memory=False, measure_seconds=0.1
    ).result
    exact = ("onnx-fp32", "onnx-gbm")  # each kind's full-precision export (forecast: boosters)
    fp32 = [v for v in result.variants if v.name in exact]
    if fp32:
        assert fp32[0].max_abs_diff is not None and fp32[0].max_abs_diff <= FP32_TOLERANCE
        served, _ = load_serving_predictor(project, outcome.version.name)
        if served.variant.startswith("onnx"):
            assert served.kind == name
            # the served graph answers codec records as it answers frames
            assert np.allclose(served.predict_records(records), served.predict_raw(features))
    else:
        reasons = ("onnx-fp32 not built", "stay native")
        assert any(r in note for note in result.notes for r in reasons), result.notes
    # the kind's input checks on what the server would log
    kind = get_kind(name)
    current = pd.DataFrame(codec.logged(records, by_records)[0])
    checks: InputChecks = kind.entry("input_checks")(manifest, train_version.to_pandas(), current)
    assert checks.quality is not None and len(checks.reference) > 0
    compared = (checks.drift.features if checks.drift else []) + checks.text_drift
    assert compared, "the kind's checks compared nothing"
