"""``lepton deploy`` optimizes a version that never was, and says what it serves.

Two churn versions and a rules model are trained once into a template home; every test
copies it into its own home, so tests hold alone and in any order. The optimizer is the
real one with short timing loops (what is tested is which variant is served and what
the deploy says, not how fast it is).
"""

from __future__ import annotations

import functools
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import lepton.optimize.deploying as deploying
from lepton import api
from lepton.config import load_settings
from lepton.data.catalog import DataCatalog
from lepton.errors import StoreError
from lepton.learn.training import train_dataset
from lepton.serve.deployments import get_spec
from lepton.store.project import Project
from tests.conftest import CliRunner
from tests.rules.conftest import OPTIONS, basket_frame
from tests.serve.conftest import churn_frame

QUICK = {"measure_seconds": 0.1, "measure_memory": False}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with churn@1, churn@2 (tabular) and baskets@1 (rules), none optimized."""
    home = tmp_path_factory.mktemp("deploy-template") / "home"
    project = Project.open(load_settings({"LEPTON_HOME": str(home)}))
    catalog = DataCatalog(project)
    for seed in (0, 1):
        ref = catalog.add_frame(churn_frame(300, seed=seed), name="churn", target="y")[0].ref
        train_dataset(project, ref, time_limit=10, families=["linear"], n_folds=3)
    ref = catalog.add_frame(basket_frame(400), name="baskets")[0].ref
    train_dataset(project, ref, task="rules", time_limit=5, options=dict(OPTIONS))
    project.close()
    return home


@pytest.fixture
def home(template: Path, lepton_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's copy of the template, with the optimizer's timing loops shortened."""
    shutil.copytree(template, lepton_home)
    monkeypatch.setattr(deploying, "optimize", functools.partial(deploying.optimize, **QUICK))
    return lepton_home


@contextmanager
def _project(home: Path) -> Iterator[Project]:
    project = Project.open(load_settings({"LEPTON_HOME": str(home)}))
    try:
        yield project
    finally:
        project.close()


def _optimization(home: Path, ref: str) -> Any:
    name, version = ref.split("@")
    with _project(home) as project:
        record = project.metadata.get_model_version(name, int(version))
    return record.metadata.get("optimization")


def _variant_versions(home: Path) -> int:
    with _project(home) as project:
        return len(project.metadata.list_model_versions("churn.optimized"))


def test_deploy_optimizes_first_then_keeps_the_choice(cli: CliRunner, home: Path) -> None:
    first = cli("deploy", "churn@1", "--name", "churn")
    assert first.code == 0, first.err
    optimization = _optimization(home, "churn@1")
    assert optimization is not None
    chosen = optimization["chosen"]["variant"]
    assert "optimized churn@1: serving " + chosen in first.out
    assert "deployed churn → churn (v1 100%)" in first.out
    built = _variant_versions(home)
    assert built >= 1

    again = cli("deploy", "churn@1", "--name", "churn")
    assert again.code == 0, again.err
    assert f"churn@1: serving {chosen}" in again.out and "earlier `lepton optimize`" in again.out
    assert _variant_versions(home) == built  # nothing re-optimized


def test_a_canary_is_optimized_and_no_optimize_opts_out(cli: CliRunner, home: Path) -> None:
    primary = cli("deploy", "churn@1", "--name", "churn", "--no-optimize")
    assert primary.code == 0, primary.err
    assert "churn@1: not optimized, serving the native pipeline" in primary.out
    assert _optimization(home, "churn@1") is None

    canary = cli("deploy", "churn@2", "--name", "churn", "--canary", "20")
    assert canary.code == 0, canary.err
    assert "optimized churn@2" in canary.out and "(v1 80%, v2 20%)" in canary.out
    assert _optimization(home, "churn@2") is not None
    assert _optimization(home, "churn@1") is None


def test_redeploying_a_served_version_says_a_running_server_keeps_its_copy(
    cli: CliRunner, home: Path
) -> None:
    assert cli("deploy", "churn@1", "--name", "churn", "--no-optimize").code == 0
    redeploy = cli("deploy", "churn@1", "--name", "churn")
    assert redeploy.code == 0, redeploy.err
    assert "optimized churn@1" in redeploy.out and "restart it" in redeploy.out


def test_a_kind_with_no_optimized_variant_is_deployed_native(cli: CliRunner, home: Path) -> None:
    done = cli("deploy", "baskets@1", "--name", "baskets")
    assert done.code == 0, done.err
    assert "baskets@1: no optimized variant (onnx-fp32 not built" in done.out
    assert "serving the native pipeline" in done.out
    assert _optimization(home, "baskets@1")["chosen"]["variant"] == "native"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["churn@1", "--canary", "150"], "--canary must be a percentage"),
        (["churn@1", "--canary", "10", "--shadow"], "either --canary or --shadow"),
        (["churn@2", "--canary", "10"], "does not exist yet: deploy a primary version first"),
        (["churn@1", "--name", "../x"], "invalid deployment name"),
        (["churn@9"], "has no version 9"),
        (["churn@1", "--unknown-categories", "maybe"], "must be 'reject' or 'allow'"),
    ],
)
def test_bad_requests_fail_in_one_line_before_optimizing(
    cli: CliRunner,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(deploying, "optimize", lambda _p, ref, **_: calls.append(ref))
    done = cli("deploy", *args)
    assert done.code == 1
    assert done.err.startswith("error: ") and message in done.err
    assert len(done.err.strip().splitlines()) == 1
    assert calls == []


def test_another_models_deployment_is_refused_before_optimizing(
    cli: CliRunner, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("deploy", "churn@1", "--name", "shop", "--no-optimize").code == 0
    monkeypatch.setattr(deploying, "optimize", lambda *_a, **_k: pytest.fail("optimized"))
    done = cli("deploy", "baskets@1", "--name", "shop")
    assert done.code == 1 and "serves model 'churn', not 'baskets'" in done.err


def _raise(exc: Exception) -> Any:
    def optimize(*_args: Any, **_kwargs: Any) -> Any:
        raise exc

    return optimize


def test_a_failed_optimization_deploys_native_with_a_warning(
    cli: CliRunner, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deploying, "optimize", _raise(RuntimeError("exporter broke")))
    done = cli("deploy", "churn@1", "--name", "churn")
    assert done.code == 0, done.err
    assert done.err.startswith("warning: could not optimize churn@1 (RuntimeError: exporter broke)")
    assert "deploying the native pipeline" in done.err
    assert "deployed churn → churn (v1 100%)" in done.out
    assert _optimization(home, "churn@1") is None  # the next deploy tries again


def test_a_store_error_while_optimizing_stops_the_deploy(
    cli: CliRunner, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deploying, "optimize", _raise(StoreError("hash mismatch in model.pkl")))
    done = cli("deploy", "churn@1", "--name", "churn")
    assert done.code == 1 and done.err.startswith("error: hash mismatch in model.pkl")
    with _project(home) as project:
        assert project.metadata.list_deployments() == []


def test_the_api_twin_optimizes_by_default(
    home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="lepton.api"):
        spec = api.deploy("churn@1", name="churn")
    assert [r.version for r in spec.routes] == [1]
    assert _optimization(home, "churn@1") is not None
    assert any("optimized churn@1: serving" in r.getMessage() for r in caplog.records)

    api.deploy("churn@2", name="churn", canary_percent=10, optimize=False)
    assert _optimization(home, "churn@2") is None

    monkeypatch.setattr(deploying, "optimize", _raise(ValueError("no rows")))
    with pytest.warns(UserWarning, match=r"could not optimize churn@2 \(ValueError: no rows\)"):
        spec = api.deploy("churn@2", name="churn", shadow=True)
    assert spec.shadows == [2]
    with _project(home) as project:
        assert get_spec(project, "churn").shadows == [2]


def test_deployments_history_lists_who_changed_what(cli: CliRunner, lepton_home: Path) -> None:
    """Metadata-only versions (deploying reads no artifact): deploy, canary, CLI promote."""
    from lepton.serve.deployments import deploy

    with _project(lepton_home) as project:
        for _ in range(2):
            project.metadata.register_model_version("churn", artifact_key="models/churn/x")
        deploy(project, "churn@1", name="churn", actor="python")
        deploy(project, "churn@2", name="churn", canary_percent=20, actor="python")
    promoted = cli("deployments", "promote", "churn", "--reason", "canary looks good")
    assert promoted.code == 0, promoted.err
    result = cli("deployments", "history", "churn")
    assert result.code == 0, result.err
    lines = [line for line in result.out.splitlines() if "│" in line or "|" in line]
    body = [line for line in lines if "churn" not in line and "when" not in line]
    assert "cli" in body[0] and "promote" in body[0] and "canary looks good" in body[0]
    assert "v1 80%, v2 20% → v2 100%" in body[0]
    assert "canary" in body[1] and "python" in body[1] and "v1 100% → v1 80%, v2 20%" in body[1]
    assert "deploy" in body[2] and "(new) → v1 100%" in body[2]
    empty = cli("deployments", "history", "nothing-here")
    assert empty.code == 0 and "no recorded changes" in empty.out
