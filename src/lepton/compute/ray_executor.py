"""Trials as Ray tasks: the same ``submit`` → ``Future`` interface as the local pool.

Imported only when ``LEPTON_RAY_ADDRESS`` is set, so the embedded default never loads
Ray. Arguments are put into the object store once and shared by every task that
receives the same object (the training data, the folds), not copied per trial. A
task whose worker dies is retried ``max_retries`` times by Ray; past that its future
carries the error and the search records the trial as lost.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from lepton.compute.resources import Resources
from lepton.errors import ConfigError

T = TypeVar("T")

# Ray keeps to loopback on this kind of machine only with these two set (see docs/scaling.md).
RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}
CONNECT_TIMEOUT_S = 3.0  # ray.init on an address nobody listens at waits minutes; we don't
NAMESPACE = "lepton"
SCALARS = (int, float, str, bytes, bool, type(None))


def _call(fn: Callable[..., T], *args: Any) -> T:
    """Runs on a Ray worker: ObjectRef arguments arrive already resolved."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    return fn(*args)


def _worker_version() -> str:
    """Runs on a Ray worker: proves the package imports there, and which release it is."""
    from lepton.version import VERSION

    return VERSION


def split_address(address: str) -> tuple[str, int]:
    """``host:port`` (or ``ray://host:port``) → (host, port), with a clear error otherwise."""
    bare = address.removeprefix("ray://")
    host, sep, port = bare.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ConfigError(
            f"LEPTON_RAY_ADDRESS must be host:port or ray://host:port, not {address!r}"
        )
    return host.strip("[]"), int(port)


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Fail in seconds, with one line, when nothing listens at the cluster's address."""
    host, port = split_address(address)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as exc:
        raise ConfigError(
            f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}); start it with "
            "`ray start --head` or unset LEPTON_RAY_ADDRESS to train locally"
        ) from None


class RayExecutor:
    """Submits each task to a running Ray cluster; ``n_workers`` is what it can run at once."""

    def __init__(
        self, address: str, *, task_cpus: float = 1.0, max_retries: int = 1, ray: Any = None
    ) -> None:
        self.address = address
        self.task_cpus = task_cpus
        self.max_retries = max_retries
        self._ray = ray if ray is not None else connect(address)
        total = float(self._ray.cluster_resources().get("CPU", 0.0))
        if total < task_cpus:
            raise ConfigError(
                f"the Ray cluster at {address} has {total:g} CPUs; a trial needs {task_cpus:g}"
            )
        self.n_workers = max(1, int(total // task_cpus))
        self._remote = self._ray.remote(_call)
        self._shared: dict[int, tuple[Any, Any]] = {}  # id(obj) -> (obj, ref): put once
        self._pending: list[tuple[Any, Future[Any]]] = []  # (ref, its future): to cancel

    @property
    def shared_objects(self) -> int:
        """How many distinct arguments were put into the object store (each exactly once)."""
        return len(self._shared)

    def _ref(self, value: Any) -> Any:
        """The object-store copy of ``value``, made on first use and reused after; scalars
        travel inside the task itself."""
        if isinstance(value, SCALARS):
            return value
        hit = self._shared.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        ref = self._ray.put(value)
        self._shared[id(value)] = (value, ref)  # holding ``value`` keeps its id unique
        return ref

    def submit(
        self, fn: Callable[..., T], /, *args: Any, resources: Resources | None = None
    ) -> Future[T]:
        need = resources or Resources(cpus=self.task_cpus)
        options: dict[str, Any] = {"num_cpus": need.cpus, "max_retries": self.max_retries}
        if need.memory_bytes:
            options["memory"] = need.memory_bytes
        ref = self._remote.options(**options).remote(fn, *(self._ref(a) for a in args))
        future: Future[T] = ref.future()
        self._pending = [(r, f) for r, f in self._pending if not f.done()] + [(ref, future)]
        return future

    def shutdown(self, *, cancel: bool = False) -> None:
        """Cancel what still runs (when asked), free the shared objects, disconnect."""
        if cancel:
            for ref, _ in self._pending:
                # already finished, or its worker is gone: nothing left to stop
                with contextlib.suppress(Exception):
                    self._ray.cancel(ref, force=True)
        self._pending.clear()
        self._shared.clear()


def connect(address: str) -> Any:
    """Attach this process to the cluster, or say in one line why it cannot."""
    for key, value in RAY_ENV.items():
        os.environ.setdefault(key, value)
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "LEPTON_RAY_ADDRESS is set but Ray is not installed here; "
            "pip install 'lepton-platform[ray]' (or unset it to train locally)"
        ) from None
    if ray.is_initialized():
        return ray
    check_reachable(address)
    try:
        ray.init(
            address=address,
            namespace=NAMESPACE,
            log_to_driver=False,
            logging_level=logging.ERROR,
            configure_logging=False,
        )
    except Exception as exc:  # version mismatches and refused handshakes
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"cannot attach to the Ray cluster at {address}: {first}") from None
    _check_workers(ray, address)
    return ray


def _check_workers(ray: Any, address: str) -> None:
    """Every node's workers must import the same Lepton release as this process."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from lepton.version import VERSION

    probe = ray.remote(_worker_version)
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    refs = {
        n["NodeManagerAddress"] + " " + n["NodeID"][:8]: probe.options(
            num_cpus=0,
            scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False),
        ).remote()
        for n in nodes
    }
    for node, ref in refs.items():
        try:
            theirs = ray.get(ref, timeout=120)
        except Exception as exc:
            ray.shutdown()
            cause = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
            raise ConfigError(
                f"node {node} of the Ray cluster at {address} cannot run Lepton ({cause}); "
                "install lepton-platform on every node"
            ) from None
        if theirs != VERSION:
            ray.shutdown()
            raise ConfigError(
                f"node {node} of the Ray cluster at {address} runs Lepton {theirs}, this "
                f"process {VERSION}; install the same release on every node"
            )
