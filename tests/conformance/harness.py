"""How the conformance suite drives a family, chosen by the inputs its spec declares.

Table families (``tabular``, ``text``) meet ``lepton.learn.families.base.Family`` on
``Encoded`` rows. Image families meet the contract ``lepton.learn.vision`` drives:
``portfolio`` / ``build`` / ``fit`` on uint8 NHWC pixels, the fitted network mapping
pixels to probabilities. Fits are cached per (family, task, hurry), so any test can run
alone or in any order and pays for a fit only once per session.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import optuna
from numpy.typing import NDArray

from lepton.learn.families import FamilySpec, TaskInfo, family_spec, get_family
from lepton.learn.metrics import get_metric
from tests.conformance import data

UNHURRIED_SECONDS = 60.0  # far more than any family needs on these problems ...
CLOCK_SECONDS = 3.0  # ... except image families, which train until the clock runs out
EXPIRED = -1.0  # a deadline already past when the fit starts


@dataclass
class Fit:
    """A fitted model and how to get its outputs on the problem's test rows."""

    spec: FamilySpec
    problem: data.TableProblem | data.ImageProblem
    model: Any  # what a package would pickle
    params: dict[str, Any]
    stopped_by_deadline: bool
    iterations: float | None  # boosting rounds, trees, epochs...; None: one uninterrupted solve
    predict: Callable[[Any], NDArray[np.float64]]

    def outputs(self, model: Any | None = None) -> NDArray[np.float64]:
        return self.predict(self.model if model is None else model)


def _info(task: str, n_classes: int) -> TaskInfo:
    return TaskInfo(task, n_classes, get_metric(None, task).name, seed=0, threads=1)


def _table_problem(spec: FamilySpec, task: str) -> data.TableProblem:
    return data.text(task) if spec.inputs == "text" else data.tabular(task)


def fit_table(spec: FamilySpec, task: str, seconds: float) -> Fit:
    problem = _table_problem(spec, task)
    family = get_family(spec.name)
    info = _info(task, len(problem.target.labels))
    params = family.default_params(info, len(problem.y_train))
    result = family.fit(
        problem.train,
        problem.y_train,
        problem.test,
        problem.y_test,
        params,
        info,
        time.monotonic() + seconds,
    )
    return Fit(
        spec,
        problem,
        result.model,
        params,
        result.stopped_by_deadline,
        result.n_iterations,
        lambda model: np.asarray(model.predict(problem.test)),
    )


def fit_image(spec: FamilySpec, task: str, seconds: float) -> Fit:
    import torch

    torch.set_num_threads(1)
    problem = data.image(task)
    family = spec.build()
    params = family.portfolio(len(problem.y_train))[0]
    height, width, channels = problem.x_train.shape[1:]
    net = family.build(
        params, channels, problem.n_outputs, problem.mean, problem.std, (height, width)
    )
    x_train, x_test = torch.from_numpy(problem.x_train), torch.from_numpy(problem.x_test)
    with torch.inference_mode():  # warm the kernels up outside the fit's budget
        net.eval()(x_train[:2])
    result = family.fit(
        net, x_train, problem.y_train, x_test, problem.y_test, params, time.monotonic() + seconds
    )

    def predict(model: Any) -> NDArray[np.float64]:
        with torch.inference_mode():
            return np.asarray(model.eval()(x_test).double().numpy())

    return Fit(
        spec, problem, result.net, params, result.stopped_by_deadline, result.epochs, predict
    )


DRIVERS: dict[str, Callable[[FamilySpec, str, float], Fit]] = {
    "tabular": fit_table,
    "text": fit_table,
    "image": fit_image,
}


@cache
def fitted(name: str, task: str, hurry: str = "unhurried") -> Fit:
    """``hurry``: ``unhurried`` (the family stops by itself) or ``expired`` (deadline passed)."""
    spec = family_spec(name)
    if hurry == "expired":
        seconds = EXPIRED
    else:
        seconds = CLOCK_SECONDS if spec.inputs == "image" else UNHURRIED_SECONDS
    return DRIVERS[spec.inputs](spec, task, seconds)


def search_space(spec: FamilySpec, task: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(default params, params suggested by a fresh Optuna trial) for ``task``."""
    trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)).ask()
    if spec.inputs == "image":
        family = spec.build()
        return family.portfolio(100)[0], family.suggest(trial)
    n_classes = {"binary": 2, "multiclass": 3}.get(task, 0)
    info = _info(task, n_classes)
    table_family = get_family(spec.name)
    return table_family.default_params(info, 100), table_family.suggest(trial, info, 100)
