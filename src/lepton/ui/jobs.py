"""Long actions started from the browser (retrain), run beside the server and watched.

Why a thread and not a request: a retrain trains a challenger for minutes; the page
that starts it returns at once and polls the job (htmx) for its progress, which comes
from the search's own trial events and the time budget.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from lepton.errors import LeptonError, NotFoundError
from lepton.store.project import Project

MAX_JOBS = 200


@dataclass
class Job:
    id: str
    kind: str
    target: str
    actor: str
    time_limit: float | None
    started: float = field(default_factory=time.time)
    finished: float | None = None
    status: str = "running"  # running, done, failed
    trials: int = 0
    best: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None

    @property
    def elapsed(self) -> float:
        return (self.finished or time.time()) - self.started

    @property
    def progress(self) -> float:
        """Share of the time budget spent (1.0 once finished): the search runs to its limit."""
        if self.finished is not None:
            return 1.0
        if not self.time_limit:
            return 0.0
        return min(self.elapsed / self.time_limit, 0.99)

    def on_event(self, kind: str, payload: dict[str, Any]) -> None:
        if kind != "trial_finished":
            return
        self.trials += 1
        best = payload.get("best") or []
        if best:  # the best trial so far: its family and cross-validated loss
            top = best[0]
            self.best = f"{top.spec.family} (loss {top.loss:.4g})"


class Jobs:
    """The jobs this server started, newest last."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no job {job_id!r} on this server")
        return job

    def recent(self, target: str | None = None) -> list[Job]:
        with self._lock:
            jobs = list(self._jobs.values())
        return [j for j in reversed(jobs) if target is None or j.target == target]

    def start_retrain(self, deployment: str, *, actor: str, time_limit: float | None) -> Job:
        """Retrain ``deployment`` in the background, as ``lepton retrain`` would."""
        from lepton.monitor.retrain import retrain

        with self._lock:
            if any(j.target == deployment and j.status == "running" for j in self._jobs.values()):
                raise LeptonError(f"a retrain of {deployment!r} is already running")
            job = Job(secrets.token_hex(6), "retrain", deployment, actor, time_limit)
            self._jobs[job.id] = job
            while len(self._jobs) > MAX_JOBS:
                del self._jobs[next(iter(self._jobs))]

        def work() -> None:
            try:
                decision = retrain(
                    self.project, deployment, time_limit=time_limit, on_event=job.on_event
                )
                job.result = decision.to_json()
                job.status = "done"
            except Exception as exc:  # shown on the page, not lost
                job.error = (
                    str(exc) if isinstance(exc, LeptonError) else f"{type(exc).__name__}: {exc}"
                )
                job.status = "failed"
            finally:
                job.finished = time.time()

        threading.Thread(target=work, name=f"ui-retrain-{job.id}", daemon=True).start()
        return job
