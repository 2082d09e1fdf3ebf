"""Library caches are pointed under the project home, and a user's own choice is kept."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lepton.caches import cache_variables, keep_caches_in
from tests.conftest import CliRunner


def test_caches_go_under_the_home_unless_the_user_chose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mine"))
    keep_caches_in(tmp_path / "home")
    assert os.environ["XDG_CACHE_HOME"] == str(tmp_path / "home" / "cache")
    assert os.environ["MPLCONFIGDIR"] == str(tmp_path / "mine")


def test_every_cli_command_points_caches_at_its_home(
    cli: CliRunner, lepton_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in cache_variables(lepton_home):
        monkeypatch.delenv(key, raising=False)
    assert cli("config").code == 0  # a command that never opens a project
    for key, value in cache_variables(lepton_home.resolve()).items():
        assert os.environ[key] == value
