"""Package round trip, serving (validation + the native predictor path), export refusal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lepton.data.catalog import DataCatalog
from lepton.errors import DataError
from lepton.learn.automl import AutoML
from lepton.learn.package import write_package
from lepton.learn.text import MAX_TEXT_CHARS
from lepton.learn.training import train_dataset
from lepton.optimize.export import ExportError, export_model
from lepton.runtime.loader import load_predictor, package_folder
from lepton.runtime.native import NativePredictor
from lepton.runtime.package import load_native
from lepton.serve import validation
from lepton.serve.validation import InputValidator, PayloadTooLarge, RequestError
from lepton.store.project import Project
from tests.text.conftest import make_reviews

SCHEMA = [
    {"name": "text", "kind": "text", "nullable": True, "max_chars": MAX_TEXT_CHARS},
    {"name": "stars", "kind": "numeric", "nullable": True},
]


def test_package_round_trip_lists_text_and_predicts_the_same(
    text_automl: AutoML, tmp_path: object
) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path)) / "pkg"
    frame = make_reviews(40, seed=11).drop(columns=["label"])
    manifest = write_package(
        folder,
        text_automl.model_,
        metrics={},
        lineage={},
        leaderboard=text_automl.leaderboard(),
        training_frame=frame,
    )
    assert manifest.kind == "text"
    assert manifest.schema_dicts() == [
        {"name": "text", "kind": "text", "nullable": True, "max_chars": MAX_TEXT_CHARS}
    ]
    predictor = NativePredictor(load_native(folder), manifest, folder)
    expected = text_automl.model_.predict_raw(frame)
    records = InputValidator(manifest.schema_dicts()).validate(frame.to_dict("records"))
    assert np.allclose(predictor.predict_records(records), expected)


def test_text_models_are_not_exported_and_say_why(text_automl: AutoML) -> None:
    with pytest.raises(ExportError, match=r"text column\(s\) 'text'.*stay native"):
        export_model(text_automl.model_)


def test_validation_accepts_text_and_refuses_empty_huge_and_non_strings() -> None:
    ok = InputValidator(SCHEMA).validate([{"text": "a fine film", "stars": 4}])
    assert ok == [{"text": "a fine film", "stars": 4}]
    assert validation.MAX_TEXT_CHARS == MAX_TEXT_CHARS
    cases: list[tuple[object, type[RequestError], int, str]] = [
        ("", RequestError, 422, "is empty"),
        ("   ", RequestError, 422, "is empty"),
        (12, RequestError, 422, "expects text"),
        (["a"], RequestError, 422, "expects text"),
        ("x" * (MAX_TEXT_CHARS + 1), PayloadTooLarge, 413, "the limit is 20,000"),
    ]
    for value, error, status, words in cases:
        with pytest.raises(error, match=words) as info:
            InputValidator(SCHEMA).validate([{"text": "fine", "stars": 1}, {"text": value}])
        assert info.value.http_status == status
        body = info.value.to_json()["error"]
        assert body["field"] == "text" and body["row"] == 1


def test_train_register_load_and_serve_a_text_dataset(project: Project) -> None:
    frame = make_reviews(120, seed=5)
    ref = DataCatalog(project).add_frame(frame, name="reviews", target="label")[0].ref
    assert DataCatalog(project).get(ref).schema.column("text").kind == "text"
    outcome = train_dataset(project, ref, time_limit=10, families=["text_tfidf"], n_folds=3)
    folder = package_folder(project, outcome.version)
    predictor, _ = load_predictor(project, "reviews@1")
    assert predictor.manifest.input_schema[0].kind == "text"
    rows = [{"text": "a wonderful, moving film"}, {"text": "a tedious and dull script"}]
    proba = predictor.predict_records(
        InputValidator(predictor.manifest.schema_dicts()).validate(rows)
    )
    assert proba.shape == (2, 2) and (folder / "lepton.json").is_file()


def test_an_empty_text_dataset_registers_nothing(project: Project) -> None:
    frame = pd.DataFrame({"text": [""] * 30, "label": ["a", "b"] * 15})
    ref = DataCatalog(project).add_frame(frame, name="blank", target="label")[0].ref
    with pytest.raises(DataError, match="need a non-empty text column"):
        train_dataset(project, ref, time_limit=5, families=["text_tfidf"], n_folds=3)
    assert project.metadata.list_models() == [] and project.artifacts.list("models") == []
    [run] = project.metadata.list_runs()
    assert run.status == "failed"
