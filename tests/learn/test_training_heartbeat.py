"""``train_dataset`` keeps its run's heartbeat up for the whole run, and stops it after."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest
from tests.serve.conftest import churn_frame

from lepton.learn import training
from lepton.learn.training import frame_to_dataset, train_dataset
from lepton.store.metadata import MetadataStore
from lepton.store.project import Project


class RecordingHeartbeat:
    """Stands in for the heartbeat thread: records the run's status at start and at stop."""

    seen: ClassVar[list[tuple[str, str, str]]] = []

    def __init__(self, metadata: MetadataStore, run_id: str) -> None:
        self.metadata, self.run_id = metadata, run_id

    def start(self) -> RecordingHeartbeat:
        self.seen.append(("start", self.run_id, self.metadata.get_run(self.run_id).status))
        return self

    def stop(self) -> None:
        self.seen.append(("stop", self.run_id, self.metadata.get_run(self.run_id).status))


@pytest.mark.parametrize("fails", [False, True], ids=["finished", "failed"])
def test_the_heartbeat_runs_from_start_to_the_final_status(
    lepton_home: Path, monkeypatch: pytest.MonkeyPatch, fails: bool
) -> None:
    RecordingHeartbeat.seen = []
    monkeypatch.setattr(training, "Heartbeat", RecordingHeartbeat)
    monkeypatch.setattr(training, "AutoML", _Boom if fails else _OneTrial)
    project = Project.open()
    dataset = frame_to_dataset(project, churn_frame(120, seed=0), "churn", "y")
    if fails:
        with pytest.raises(RuntimeError, match="disk full"):
            train_dataset(project, dataset.ref, time_limit=3, families=["linear"], n_folds=2)
    else:
        train_dataset(project, dataset.ref, time_limit=30, families=["linear"], n_folds=2)
    [run] = project.metadata.list_runs()
    final = "failed" if fails else "finished"
    assert RecordingHeartbeat.seen == [("start", run.id, "running"), ("stop", run.id, final)]


class _OneTrial(training.AutoML):
    """The real search, stopped after one trial: the run's shape, not its budget, is tested."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, max_trials=1, **kwargs)


class _Boom:
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")
