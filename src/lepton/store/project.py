"""One handle on a project's state: metadata store plus artifact store, from settings."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from lepton.config import Settings, load_settings
from lepton.store.artifacts import ArtifactStore
from lepton.store.metadata import MetadataStore


@dataclass
class Project:
    """The stores a project's commands read and write, created lazily from settings."""

    settings: Settings

    @classmethod
    def open(cls, settings: Settings | None = None, *, migrate: bool = True) -> Project:
        """Open (and, for the embedded default, create) the project described by ``settings``."""
        project = cls(settings or load_settings())
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

    def close(self) -> None:
        if "metadata" in self.__dict__:
            self.metadata.dispose()
