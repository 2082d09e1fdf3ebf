"""Fixtures for the dashboard tests: a project in a fresh home and a logged-in client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lepton.store.project import Project
from tests.ui.dashboard import Dashboard, open_dashboard


@pytest.fixture()
def project(lepton_home: Path) -> Iterator[Project]:
    proj = Project.open()
    yield proj
    proj.close()


@pytest.fixture()
def dashboard(project: Project) -> Iterator[Dashboard]:
    board = open_dashboard(project)
    yield board
    board.client.close()
