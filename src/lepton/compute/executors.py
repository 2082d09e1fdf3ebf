"""Executors with one small interface: ``submit`` returns a ``Future``; ``shutdown`` ends it."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol, TypeVar

from lepton.compute.resources import Resources

T = TypeVar("T")


class Executor(Protocol):
    """What search code needs from a place that runs trials."""

    n_workers: int

    def submit(
        self, fn: Callable[..., T], /, *args: Any, resources: Resources | None = None
    ) -> Future[T]: ...

    def shutdown(self, *, cancel: bool = False) -> None: ...


def available_cores() -> int:
    """Cores this process may use (respects CPU affinity, e.g. in containers)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


class InProcessExecutor:
    """Runs each task immediately in the caller; for tests, debugging and one-core machines."""

    n_workers = 1

    def submit(
        self, fn: Callable[..., T], /, *args: Any, resources: Resources | None = None
    ) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # the future carries it, as a pool would
            future.set_exception(exc)
        return future

    def shutdown(self, *, cancel: bool = False) -> None:
        return None


def _ignore_sigint() -> None:
    # Ctrl-C is the parent's to handle: it stops submitting and keeps the best result so far.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("OMP_NUM_THREADS", "1")


class LocalProcessExecutor:
    """A pool of worker processes on this machine, one task per core by default.

    Built on loky (shipped with joblib): fresh interpreters like ``spawn`` (no
    fork-after-threads deadlocks) without requiring an ``if __name__ == "__main__"``
    guard in user scripts, and workers stay warm between fits.
    """

    def __init__(self, n_workers: int | None = None) -> None:
        self.n_workers = n_workers or available_cores()
        self._pool: Any = None

    def _workers(self) -> Any:
        from joblib.externals.loky import get_reusable_executor

        if self._pool is None:  # first use, or after a cancel killed the workers
            self._pool = get_reusable_executor(
                max_workers=self.n_workers, initializer=_ignore_sigint, timeout=300
            )
        return self._pool

    def submit(
        self, fn: Callable[..., T], /, *args: Any, resources: Resources | None = None
    ) -> Future[T]:
        # the pool is sized by cores up front; a task's declared needs change nothing here
        return self._workers().submit(fn, *args)  # type: ignore[no-any-return]

    def shutdown(self, *, cancel: bool = False) -> None:
        # Reusable workers are kept for the next fit; an interrupt (or a task past its
        # deadline) kills them outright, and the next submit starts fresh ones.
        if cancel and self._pool is not None:
            self._pool.shutdown(wait=False, kill_workers=True)
            self._pool = None


def make_executor(n_workers: int | None = None, *, ray_address: str | None = None) -> Executor:
    """The executor for this configuration: a Ray cluster when an address is set, else
    in-process for one worker, else a local process pool."""
    if ray_address:
        from lepton.compute.ray_executor import RayExecutor  # Ray loads only on this path

        return RayExecutor(ray_address)
    workers = n_workers or available_cores()
    return InProcessExecutor() if workers <= 1 else LocalProcessExecutor(workers)
