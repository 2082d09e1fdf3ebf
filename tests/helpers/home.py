"""A throwaway project home for one test session: its env, the CLI on it, keys, deploys.

Every kind's test package trains once per session into its own home and serves it with
a real ``lepton serve``; these are the parts they share, so a fix lands in one place.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from lepton.config import load_settings
from lepton.store.project import Project

if TYPE_CHECKING:
    from tests.serve.conftest import Server

REPO_ROOT = Path(__file__).resolve().parents[2]
STORE_VARIABLES = ("LEPTON_STORE_URL", "LEPTON_ARTIFACTS_URL", "LEPTON_CONFIG")
Deploy = Callable[..., str]


def home_env(home: Path) -> dict[str, str]:
    """This process's environment pointed at ``home`` (embedded store), tests importable.

    The server may unpickle test-only classes, hence the repository on ``PYTHONPATH``.
    """
    env = {k: v for k, v in os.environ.items() if k not in STORE_VARIABLES}
    env["LEPTON_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    return env


def open_project(env: dict[str, str]) -> Project:
    return Project.open(load_settings(env))


def run_lepton(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in a child process (bounded: a hung command fails the test)."""
    return subprocess.run(
        [sys.executable, "-m", "lepton", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def api_keys(project: Project, scopes: tuple[str, ...]) -> dict[str, str]:
    """One fresh API key per scope (the plain key; the store keeps only its hash)."""
    return {
        scope: project.metadata.create_api_key(f"test-{scope}", scopes=[scope])[0]
        for scope in scopes
    }


@dataclass
class HomeProject:
    """A trained project home: what the tests of one kind share for the session."""

    home: Path
    env: dict[str, str]
    project: Project
    keys: dict[str, str]
    frame: pd.DataFrame

    def lepton(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_lepton(self.env, *args)


@contextmanager
def deployments(
    project: Project, server: Server, admin_key: str, default_model: str, prefix: str
) -> Iterator[Deploy]:
    """``deploy(model=default_model)``: a deployment only this test uses; removed after."""
    names: list[str] = []

    def make(model: str = default_model) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        answer = server.client(admin_key).put(f"/v1/deployments/{name}", json={"model": model})
        assert answer.status_code == 200, answer.text
        names.append(name)
        return name

    try:
        yield make
    finally:
        for name in names:
            project.metadata.delete_deployment(name)
