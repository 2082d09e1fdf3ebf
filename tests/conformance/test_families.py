"""Every registered model family, on every task it declares, meets the family contract.

Like scikit-learn's ``check_estimator``: the cases are read from the registry, so a new
family is checked the moment its module declares it. What a generic check cannot do for
a family (export it, interrupt it) its spec must say, and the check verifies the claim.
"""

from __future__ import annotations

import pickle
import re

import numpy as np
import pytest

from lepton.learn.families import family_names, family_spec
from lepton.learn.families.registry import INPUTS
from lepton.learn.model import Member, TrainedModel
from lepton.optimize.export import FP32_TOLERANCE, ExportError, export_model, verify
from tests.conformance import data
from tests.conformance.harness import DRIVERS, Fit, fitted, search_space

CASES = [
    pytest.param(name, task, id=f"{name}-{task}")
    for name in family_names()
    for task in family_spec(name).tasks
]
MIN_ACCURACY = 0.7  # on the test rows of problems with no label noise
MIN_CORRELATION = 0.7


def test_every_registered_family_has_cases_and_a_driver() -> None:
    assert {p.values[0] for p in CASES} == set(family_names())
    assert set(DRIVERS) == set(INPUTS), "every kind of input needs a way to drive its families"


@pytest.mark.parametrize(("name", "task"), CASES)
def test_family_object_matches_its_spec(name: str, task: str) -> None:
    spec = family_spec(name)
    assert spec.build().name == name
    default, suggested = search_space(spec, task)
    assert default and isinstance(default, dict)
    assert suggested and isinstance(suggested, dict)


@pytest.mark.parametrize(("name", "task"), CASES)
def test_outputs_have_the_task_s_shape_and_follow_the_labels(name: str, task: str) -> None:
    fit = fitted(name, task)
    out = fit.outputs()
    y = fit.problem.y_test
    assert np.isfinite(out).all()
    if task == "regression":
        assert out.shape == (len(y),)
        assert np.corrcoef(out, y)[0, 1] >= MIN_CORRELATION
        return
    k = fit.problem.n_outputs
    assert out.shape == (len(y), k)
    assert (out >= 0).all()
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-6)
    assert np.mean(out.argmax(axis=1) == y) >= MIN_ACCURACY, "column j must be class j"


@pytest.mark.parametrize(("name", "task"), CASES)
def test_fitted_model_survives_a_pickle_round_trip(name: str, task: str) -> None:
    fit = fitted(name, task)
    restored = pickle.loads(pickle.dumps(fit.model))
    np.testing.assert_array_equal(fit.outputs(restored), fit.outputs())


@pytest.mark.parametrize(("name", "task"), CASES)
def test_fit_honours_a_deadline_that_has_passed(name: str, task: str) -> None:
    """Interruptible fits stop after their first round and say so; the others make one solve."""
    hurried, unhurried = fitted(name, task, "expired"), fitted(name, task)
    assert hurried.outputs().shape == unhurried.outputs().shape  # still a usable model
    if family_spec(name).interruptible:
        assert hurried.stopped_by_deadline
        assert hurried.iterations is not None and unhurried.iterations is not None
        assert hurried.iterations < unhurried.iterations
    else:
        assert hurried.iterations is None and unhurried.iterations is None


def _as_trained_model(fit: Fit) -> tuple[TrainedModel, data.TableProblem]:
    """The fitted model as the one member of a table model (for image families, a stand-in)."""
    problem = fit.problem
    if not isinstance(problem, data.TableProblem):
        problem = data.tabular(problem.task)
    member = Member(f"{fit.spec.name}#0", fit.spec.name, fit.params, [fit.model], 1.0)
    return TrainedModel(problem.encoder, problem.target, "y", [member]), problem


@pytest.mark.parametrize(("name", "task"), CASES)
def test_export_matches_native_or_is_refused_with_the_spec_s_reason(name: str, task: str) -> None:
    spec = family_spec(name)
    model, problem = _as_trained_model(fitted(name, task))
    if spec.exporter is None:
        with pytest.raises(ExportError, match=re.escape(spec.no_export_reason)):
            export_model(model)
        return
    graph, report = export_model(model)
    assert [m["export"] for m in report.members] == [spec.exporter]
    assert verify(model, graph, problem.manifest(), problem.test_frame) <= FP32_TOLERANCE
