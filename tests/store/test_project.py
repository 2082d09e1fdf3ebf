"""``Project.predictions`` is the one place that knows where the prediction log lives."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lepton.config import load_settings
from lepton.store.logs import write_part
from lepton.store.project import Project


def test_the_prediction_log_lives_under_the_project_home(lepton_home: Path) -> None:
    project = Project(load_settings())
    assert project.predictions is project.predictions
    assert project.predictions.root == lepton_home.resolve() / "logs"
    assert project.prediction_log_folder == lepton_home.resolve() / "logs" / "predictions"


def test_what_is_written_to_the_log_folder_is_what_predictions_reads(lepton_home: Path) -> None:
    project = Project(load_settings())
    logged = pd.DataFrame(
        {
            "request_id": ["r1", "r2"],
            "row": [0, 0],
            "ts": pd.to_datetime([1_700_000_000, 1_700_000_001], unit="s", utc=True),
            "role": ["primary", "primary"],
            "version": [3, 3],
            "in_age": [41, 29],
        }
    )
    write_part(project.prediction_log_folder / "churn-api", logged)
    read = project.predictions.predictions("churn-api", window="all")
    assert read["request_id"].tolist() == ["r1", "r2"] and read["in_age"].tolist() == [41, 29]
