"""The AutoML search loop: a portfolio of strong defaults, then Optuna within the budget.

Trials are dispatched through a ``lepton.compute`` executor and collected as they
finish. The loop owns the clock: every trial gets a deadline, new trials start
only while there is time left for them, and Ctrl-C stops submitting while
keeping everything already finished.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
from numpy.typing import NDArray

from lepton.compute import Executor, Resources
from lepton.learn.cv import Folds, TrialResult, TrialSpec, run_trial
from lepton.learn.families import TaskInfo, family_names, get_family
from lepton.learn.features import Encoded
from lepton.learn.interrupt import ctrl_c_requests_stop

optuna.logging.set_verbosity(optuna.logging.WARNING)

EventHandler = Callable[[str, dict[str, Any]], None]
# A trial still running this long after the search deadline (share of the budget, at
# least 2 s) is stopped: one fit that cannot be interrupted must not hold the user's clock.
OVERRUN_GRACE = 0.02
OVERRUN_GRACE_MIN_S = 2.0


@dataclass
class SearchResult:
    trials: list[TrialResult] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0
    stopped: list[str] = field(default_factory=list)  # trials killed past the deadline
    lost: list[str] = field(default_factory=list)  # trials whose worker died (after retries)

    @property
    def successful(self) -> list[TrialResult]:
        return sorted((t for t in self.trials if t.ok), key=lambda t: t.loss)


def portfolio(families: list[str], n_rows: int, time_limit: float) -> list[str]:
    """Families in the order their defaults are tried: fast and strong first.

    The order is the registry's (``FamilySpec.default``).
    """
    chosen = [f for f in family_names() if f in families]
    if n_rows > 20_000 and time_limit < 120:
        # on big data a short budget is better spent tuning boosted trees: forests and k-NN
        # take tens of seconds here and rarely earn ensemble weight next to them
        slow = {"knn", "extra_trees", "random_forest"}
        chosen = [f for f in chosen if f not in slow] or chosen
    return chosen


class Search:
    """Runs trials until the budget is spent; see module docstring."""

    def __init__(
        self,
        data: Encoded,
        y: NDArray[Any],
        folds: Folds,
        info: TaskInfo,
        *,
        families: list[str],
        time_limit: float,
        executor: Executor,
        on_event: EventHandler | None = None,
        max_trials: int | None = None,
    ) -> None:
        self.data, self.y, self.folds, self.info = data, y, folds, info
        self.families = families
        self.time_limit = time_limit
        self.executor = executor
        self.on_event = on_event or (lambda kind, payload: None)
        self.max_trials = max_trials
        self._studies: dict[str, optuna.Study] = {}
        self._asked: dict[int, optuna.trial.Trial] = {}
        self._rng = np.random.default_rng(info.seed)

    def run(self, deadline_unix: float) -> SearchResult:
        result = SearchResult()
        started = time.time()
        queue = self._portfolio_queue()
        running: dict[Future[TrialResult], TrialSpec] = {}
        next_id = 0
        interrupted = False
        try:
            with ctrl_c_requests_stop() as stop:
                while not stop.requested:
                    while len(running) < self.executor.n_workers and self._has_time(deadline_unix):
                        if self.max_trials is not None and next_id >= self.max_trials:
                            break
                        spec = self._next_spec(next_id, queue, result, deadline_unix)
                        if spec is None:
                            break
                        running[
                            self.executor.submit(
                                run_trial,
                                spec,
                                self.data,
                                self.y,
                                self.folds,
                                resources=Resources(cpus=self.info.threads),
                            )
                        ] = spec
                        self.on_event("trial_started", {"trial": spec})
                        next_id += 1
                    if not running:
                        break
                    done, _ = wait(list(running), timeout=0.25, return_when=FIRST_COMPLETED)
                    for future in done:
                        spec = running.pop(future)
                        trial = _finished_or_lost(future, spec, result)
                        result.trials.append(trial)
                        self._tell(trial)
                        self.on_event(
                            "trial_finished", {"trial": trial, "best": result.successful[:1]}
                        )
                    if running and time.time() > deadline_unix + self.overrun_grace:
                        self._stop_overrunning(running, result)
                        break
                interrupted = stop.requested
        except KeyboardInterrupt:  # a second Ctrl-C, or one raised before the handler
            interrupted = True
        if interrupted:
            result.interrupted = True
            self.on_event("interrupted", {})
            self.executor.shutdown(cancel=True)
        result.seconds = time.time() - started
        return result

    @property
    def overrun_grace(self) -> float:
        """Seconds past the deadline after which a still-running trial is stopped."""
        return max(OVERRUN_GRACE_MIN_S, OVERRUN_GRACE * self.time_limit)

    def _stop_overrunning(
        self, running: dict[Future[TrialResult], TrialSpec], result: SearchResult
    ) -> None:
        """Kill the trials still running past the deadline; the finished ones are kept."""
        result.stopped = [f"{spec.family}#{spec.trial_id}" for spec in running.values()]
        for spec in running.values():
            self._asked.pop(spec.trial_id, None)
            self.on_event("trial_stopped", {"trial": spec})
        running.clear()
        self.executor.shutdown(cancel=True)

    def _portfolio_queue(self) -> list[tuple[str, dict[str, Any]]]:
        """Every family's default first; then any extra portfolio configs a family offers."""
        names = portfolio(self.families, len(self.y), self.time_limit)
        first, extra = [], []
        for name in names:
            family = get_family(name)
            configs = getattr(family, "portfolio", None)
            params = (
                configs(self.info, len(self.y))
                if configs
                else [family.default_params(self.info, len(self.y))]
            )
            first.append((name, params[0]))
            extra += [(name, p) for p in params[1:]]
        return first[:2] + extra + first[2:]

    def _has_time(self, deadline_unix: float) -> bool:
        # a new trial needs room to fit at least a few folds; ~4% of the budget, at least 1 s
        return deadline_unix - time.time() > max(1.0, 0.04 * self.time_limit)

    def _next_spec(
        self,
        trial_id: int,
        queue: list[tuple[str, dict[str, Any]]],
        result: SearchResult,
        deadline_unix: float,
    ) -> TrialSpec | None:
        if queue:
            family, params = queue.pop(0)
            return TrialSpec(trial_id, family, params, self.info, deadline_unix, "default")
        ranked = self._ranked_families(result)
        if not ranked:
            return None
        # Spend HPO on the families that did best: weights 4:2:1 over the top three.
        top = ranked[:3]
        weights = np.array([4.0, 2.0, 1.0][: len(top)])
        family = top[int(self._rng.choice(len(top), p=weights / weights.sum()))]
        study = self._studies.setdefault(
            family,
            optuna.create_study(
                direction="minimize",
                sampler=optuna.samplers.TPESampler(seed=self.info.seed, n_startup_trials=4),
            ),
        )
        trial = study.ask()
        params = get_family(family).suggest(trial, self.info, len(self.y))
        self._asked[trial_id] = trial
        return TrialSpec(trial_id, family, params, self.info, deadline_unix, "hpo")

    def _ranked_families(self, result: SearchResult) -> list[str]:
        best: dict[str, float] = {}
        for trial in result.successful:
            best.setdefault(trial.spec.family, trial.loss)
        return sorted(best, key=lambda f: best[f])

    def _tell(self, trial: TrialResult) -> None:
        family = trial.spec.family
        asked = self._asked.pop(trial.spec.trial_id, None)
        study = self._studies.get(family)
        if trial.spec.origin == "default" and trial.ok:
            study = self._studies.setdefault(
                family,
                optuna.create_study(
                    direction="minimize",
                    sampler=optuna.samplers.TPESampler(seed=self.info.seed, n_startup_trials=4),
                ),
            )
            # seed the study with the default so TPE knows where good regions are
            try:
                distributions = _distributions(family, self.info, len(self.y))
                params = {k: v for k, v in trial.spec.params.items() if k in distributions}
                if len(params) == len(distributions):
                    study.add_trial(
                        optuna.trial.create_trial(
                            params=params, distributions=distributions, value=trial.loss
                        )
                    )
            except ValueError:
                pass  # a default outside the search range: TPE simply starts without it
        elif asked is not None and study is not None:
            if trial.ok:
                study.tell(asked, trial.loss)
            else:
                study.tell(asked, state=optuna.trial.TrialState.FAIL)


def _finished_or_lost(
    future: Future[TrialResult], spec: TrialSpec, result: SearchResult
) -> TrialResult:
    """The trial's result; a trial whose worker died (a killed process, a lost node, after
    the executor's retries) becomes a failed trial with a note, and the search goes on."""
    try:
        return future.result()
    except Exception as exc:  # run_trial itself never raises: this is the worker's loss
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        result.lost.append(f"{spec.family}#{spec.trial_id}")
        return TrialResult(spec, error=f"worker lost: {type(exc).__name__}: {first}")


def _distributions(family: str, info: TaskInfo, n_rows: int) -> dict[str, Any]:
    """The search space's distributions, read by asking a throw-away study once."""
    probe = optuna.create_study().ask()
    get_family(family).suggest(probe, info, n_rows)
    return dict(probe.distributions)
