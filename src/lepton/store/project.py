"""One handle on a project's state: metadata, artifacts and the prediction log, from settings."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from lepton.caches import keep_caches_in
from lepton.config import Settings, load_settings
from lepton.store.artifacts import ArtifactStore
from lepton.store.metadata import MetadataStore

if TYPE_CHECKING:
    from lepton.store.predictions import PredictionStore


@dataclass
class Project:
    """The stores a project's commands read and write, created lazily from settings."""

    settings: Settings

    @classmethod
    def open(cls, settings: Settings | None = None, *, migrate: bool = True) -> Project:
        """Open (and, for the embedded default, create) the project described by ``settings``."""
        project = cls(settings or load_settings())
        keep_caches_in(project.settings.home)  # before onnxruntime & co. are first imported
        if project.settings.store_url.startswith("sqlite"):
            project.settings.home.mkdir(parents=True, exist_ok=True)
        if migrate:
            project.metadata.migrate()
        return project

    @cached_property
    def metadata(self) -> MetadataStore:
        return MetadataStore(self.settings.store_url)

    @cached_property
    def artifacts(self) -> ArtifactStore:
        return ArtifactStore(self.settings.artifacts_url)

    @cached_property
    def predictions(self) -> PredictionStore:
        """The prediction log and its feedback: the one place that knows where they live."""
        from lepton.store.log_mirror import LogMirror
        from lepton.store.predictions import PredictionStore  # DuckDB/pandas: only when used

        logs = self.settings.home / "logs"
        # artifacts on object storage: every host's parts meet there (lepton.store.log_mirror)
        shared = None if self.artifacts.is_local else LogMirror(logs, self.artifacts.url + "/logs")
        return PredictionStore(logs, shared)

    @property
    def prediction_log_folder(self) -> Path:
        """Where the server appends predictions (and ``predictions`` reads them back)."""
        return self.predictions.predictions_root

    def close(self) -> None:
        if "metadata" in self.__dict__:
            self.metadata.dispose()
