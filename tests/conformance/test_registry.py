"""The family registry: lookup errors, discovery, cheap listing, and adding a family in one place."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import lepton.learn.families as families_package
from lepton.errors import LeptonError
from lepton.learn.families import (
    FamilySpec,
    FitResult,
    TaskInfo,
    family_names,
    family_spec,
    get_family,
    register_family,
    unregister_family,
)
from lepton.learn.families.registry import MODULE_SUFFIXES, discover
from lepton.learn.features import Encoded
from lepton.learn.model import Member, TrainedModel
from lepton.optimize.export import export_model, verify
from lepton.optimize.members import MemberContext
from lepton.optimize.prune import neural_members, prunable_members
from tests.conformance import data

HEAVY = ("lightgbm", "xgboost", "catboost", "torch", "sentence_transformers", "sklearn")
# the order the search tried family defaults in before the registry (learn/search.py)
PORTFOLIO_ORDER = [
    "text_tfidf",
    "text_embedding",
    "lightgbm",
    "catboost",
    "xgboost",
    "extra_trees",
    "linear",
    "mlp",
    "knn",
    "random_forest",
]


def test_an_unknown_name_is_refused_naming_the_choices() -> None:
    for lookup in (family_spec, get_family):
        with pytest.raises(LeptonError, match=r"unknown model family 'nope'.*lightgbm.*knn"):
            lookup("nope")


def test_image_families_are_not_handed_out_as_table_families() -> None:
    with pytest.raises(LeptonError, match="trains on images"):
        get_family("cnn")


def test_discovery_registers_every_spec_of_every_family_module() -> None:
    modules = [
        m.name
        for m in pkgutil.iter_modules(families_package.__path__)
        if m.name.endswith(MODULE_SUFFIXES)
    ]
    assert sorted(discover()) == sorted(modules)
    declared = []
    for name in modules:
        specs = importlib.import_module(f"lepton.learn.families.{name}").FAMILIES
        assert specs, f"{name} declares no FAMILIES"
        declared += [s.name for s in specs]
        for spec in specs:
            assert family_spec(spec.name) is spec
    assert sorted(declared) == sorted(family_names())


def test_no_module_declares_families_outside_the_naming_convention() -> None:
    """A misnamed family module would silently never be discovered."""
    for path in Path(families_package.__path__[0]).glob("*.py"):
        if "\nFAMILIES = " in path.read_text():
            assert path.stem.endswith(MODULE_SUFFIXES), path.name


def test_the_default_set_and_its_order_are_the_search_portfolio() -> None:
    assert family_names(default=True) == PORTFOLIO_ORDER
    assert family_names(default=False) == ["cnn"]
    assert family_names(inputs="text") == ["text_tfidf", "text_embedding"]
    assert family_names(inputs="image") == ["cnn"]
    assert "cnn" not in family_names(task="regression")
    assert [n for n in family_names() if family_spec(n).exporter is None] == [
        "text_tfidf",
        "text_embedding",
        "knn",
        "cnn",
    ]


def test_listing_the_families_imports_no_model_library() -> None:
    code = (
        "import sys; from lepton.learn.families import family_names; names = family_names(); "
        f"print(len(names), *[m for m in {HEAVY!r} if m in sys.modules])"
    )
    src = str(Path(families_package.__file__).parents[3])
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": src, "PATH": ""},
    ).stdout.split()
    assert out == [str(len(family_names()))], f"imported: {out[1:]}"


def test_a_spec_must_be_complete() -> None:
    with pytest.raises(LeptonError, match="no_export_reason"):
        FamilySpec("x", object)
    with pytest.raises(LeptonError, match="tasks"):
        FamilySpec("x", object, tasks=("ranking",), exporter="a.b:c")  # type: ignore[arg-type]
    with pytest.raises(LeptonError, match="module:function"):
        FamilySpec("x", object, exporter="a.b.c")


# -- a new family, declared in one place (here) ------------------------------------------


@dataclass
class PriorModel:
    """Predicts the training class shares (or mean) for every row."""

    value: NDArray[np.float64]
    classification: bool

    def predict(self, data: Encoded) -> NDArray[np.float64]:
        if self.classification:
            return np.tile(self.value, (len(data), 1))
        return np.full(len(data), float(self.value[0]))


class PriorFamily:
    name = "prior"

    def default_params(self, info: TaskInfo, n_rows: int) -> dict[str, Any]:
        return {}

    def suggest(self, trial: Any, info: TaskInfo, n_rows: int) -> dict[str, Any]:
        return {}

    def fit(
        self,
        train: Encoded,
        y: NDArray[Any],
        valid: Encoded,
        y_valid: NDArray[Any],
        params: dict[str, Any],
        info: TaskInfo,
        deadline: float,
    ) -> FitResult:
        if info.is_classification:
            value = np.bincount(y, minlength=info.n_classes) / len(y)
        else:
            value = np.array([np.mean(y)])
        return FitResult(PriorModel(value.astype(np.float64), info.is_classification))


def prior_member(ctx: MemberContext, fitted: PriorModel) -> str:
    """The constant, broadcast over the batch: [N, K] (or [N, 1])."""
    g = ctx.g
    rows = g.op("Cast", [ctx.x.isnan], to=1)
    zero = g.op(
        "Mul",
        [
            g.op("ReduceSum", [rows, g.const(np.array([1], np.int64), "ax")], keepdims=1),
            g.const(np.float32(0.0), "zero"),
        ],
    )
    return g.op("Add", [zero, g.const(fitted.value[None, :].astype(np.float32), "prior")])


PRIOR = FamilySpec(
    "prior",
    PriorFamily,
    interruptible=False,
    exporter=f"{__name__}:prior_member",
    quantizable=True,
)


@pytest.fixture()
def prior_family() -> Iterator[FamilySpec]:
    register_family(PRIOR)
    yield PRIOR
    unregister_family(PRIOR.name)


def test_a_registered_family_is_listed_built_and_exported(prior_family: FamilySpec) -> None:
    assert family_names()[-1] == "prior"  # not in the default order: after it
    assert "prior" in family_names(task="regression", inputs="tabular")
    assert "prior" not in family_names(default=True) + family_names(inputs="text")
    assert isinstance(get_family("prior"), PriorFamily)
    assert register_family(PRIOR) is PRIOR  # the same spec again: a no-op
    with pytest.raises(LeptonError, match="already registered"):
        register_family(FamilySpec("prior", PriorFamily, no_export_reason="none"))
    for task in ("binary", "regression"):
        problem = data.tabular(task)
        info = TaskInfo(task, len(problem.target.labels), "log_loss")
        fit = get_family("prior").fit(
            problem.train, problem.y_train, problem.test, problem.y_test, {}, info, 0.0
        )
        member = Member("prior#0", "prior", {}, [fit.model], 1.0)
        model = TrainedModel(problem.encoder, problem.target, "y", [member])
        graph, report = export_model(model)
        assert report.members[0]["export"] == PRIOR.exporter
        assert verify(model, graph, problem.manifest(), problem.test_frame) < 1e-6


def test_an_unregistered_family_is_gone(prior_family: FamilySpec) -> None:
    unregister_family("prior")
    assert "prior" not in family_names()
    with pytest.raises(LeptonError, match="unknown model family 'prior'"):
        get_family("prior")


def test_quantization_and_pruning_follow_the_capabilities(prior_family: FamilySpec) -> None:
    def members(*names: str) -> list[Member]:
        return [Member(f"{n}#0", n, {}, [], 1.0) for n in names]

    assert neural_members(members("mlp")) and prunable_members(members("mlp"))
    assert not neural_members(members("lightgbm", "linear"))
    assert neural_members(members("lightgbm", "prior"))  # quantizable, by its spec
    assert not prunable_members(members("prior"))
    assert not neural_members([Member("mlp#0", "mlp", {}, [], 0.0)])  # no weight, no variant


def test_a_kind_takes_only_the_options_it_declares() -> None:
    from lepton.errors import DataError
    from lepton.runtime.kinds import check_options

    check_options("forecast", {"horizon": 3, "time_column": "ds", "id_column": None})
    check_options(None, {"horizon": None})  # unset flags are not given
    with pytest.raises(DataError, match=r"--horizon only apply to --task forecast"):
        check_options("binary", {"horizon": 3})
    with pytest.raises(DataError, match=r"--no-such-flag are not known"):
        check_options("forecast", {"no_such_flag": 1})
