"""A real Ray cluster on this machine: a head node and worker nodes, each its own processes.

For trying the scaled shape on a laptop, and for the tests and benchmarks that need a
cluster. Every node binds 127.0.0.1 only. Each node is started in its own session, so
one node (its raylet, object store and workers) can be killed alone, as a lost machine
would be, and the whole cluster stopped without touching other Ray processes.

    python -m lepton.compute.local_cluster up --workers 2 --cpus 1   # prints the address
    python -m lepton.compute.local_cluster down

Why not ``ray start --address`` for the workers: Ray's CLI refuses to join a worker
while ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``, and with it unset Ray swaps 127.0.0.1
for the machine's external address. Starting the node the way ``ray start`` does
inside, with the loopback address, keeps both promises.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lepton.compute.ray_executor import RAY_ENV

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 6390
STATE_FILE = Path(os.environ.get("TMPDIR", "/tmp")) / "lepton-local-ray.json"
START_TIMEOUT_S = 90.0


@dataclass
class NodeHandle:
    """One node's process group (its leader's pid) and what it offers."""

    pgid: int
    cpus: int
    head: bool = False


@dataclass
class LocalCluster:
    """A head (no CPUs by default: work lands on the workers) and its worker nodes."""

    port: int = DEFAULT_PORT
    head_cpus: int = 0
    object_store_mb: int = 300
    nodes: list[NodeHandle] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def start(self, workers: int = 1, cpus_per_worker: int = 1) -> LocalCluster:
        self.nodes.append(self._spawn("head", self.head_cpus))
        for _ in range(workers):
            self.add_worker(cpus_per_worker)
        return self

    def add_worker(self, cpus: int = 1, env: dict[str, str] | None = None) -> NodeHandle:
        """Join one worker node; ``env`` is what its workers see (a node set up differently)."""
        node = self._spawn("worker", cpus, env)
        self.nodes.append(node)
        return node

    def kill(self, node: NodeHandle) -> None:
        """SIGKILL every process of ``node``: a machine lost without warning."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(node.pgid, signal.SIGKILL)
        self.nodes = [n for n in self.nodes if n.pgid != node.pgid]

    def stop(self) -> None:
        """Stop every node, workers first, giving each a moment to exit cleanly."""
        for node in sorted(self.nodes, key=lambda n: n.head):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.pgid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(n.pgid) for n in self.nodes):
            time.sleep(0.2)
        for node in self.nodes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.pgid, signal.SIGKILL)
        self.nodes.clear()

    def _spawn(self, role: str, cpus: int, env: dict[str, str] | None = None) -> NodeHandle:
        """Start one node in a new session; the starter exits once the node is up."""
        command = [
            sys.executable,
            "-m",
            "lepton.compute.local_cluster",
            f"_{role}",
            "--port",
            str(self.port),
            "--cpus",
            str(cpus),
            "--object-store-mb",
            str(self.object_store_mb),
        ]
        starter = subprocess.Popen(
            command,
            env={**os.environ, **RAY_ENV, **(env or {})},
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _, err = starter.communicate(timeout=START_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(starter.pid, signal.SIGKILL)
            raise RuntimeError(
                f"the Ray {role} node did not start in {START_TIMEOUT_S:g} s"
            ) from None
        if starter.returncode != 0:
            last = (err.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"the Ray {role} node failed to start: {last}")
        return NodeHandle(pgid=starter.pid, cpus=cpus, head=role == "head")

    def save(self, path: Path = STATE_FILE) -> None:
        path.write_text(json.dumps({"port": self.port, "nodes": [asdict(n) for n in self.nodes]}))

    @classmethod
    def load(cls, path: Path = STATE_FILE) -> LocalCluster:
        state = json.loads(path.read_text())
        return cls(port=state["port"], nodes=[NodeHandle(**n) for n in state["nodes"]])


def _alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _start_node(head: bool, port: int, cpus: int, object_store_mb: int) -> None:
    """What ``ray start`` does inside, with the loopback address kept (runs in the child)."""
    import ray._private.node
    import ray._private.parameter

    params = ray._private.parameter.RayParams(
        node_ip_address=LOOPBACK,
        num_cpus=cpus,
        num_gpus=0,
        object_store_memory=object_store_mb * 1024 * 1024,
        include_dashboard=False,
        **({"gcs_server_port": port} if head else {"gcs_address": f"{LOOPBACK}:{port}"}),
    )
    ray._private.node.Node(params, head=head, shutdown_at_exit=False, spawn_reaper=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lepton.compute.local_cluster")
    parser.add_argument("command", choices=["up", "down", "_head", "_worker"])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--cpus", type=int, default=1, help="CPUs per worker node")
    parser.add_argument("--object-store-mb", type=int, default=300)
    args = parser.parse_args(argv)
    os.environ.update(RAY_ENV)
    if args.command in ("_head", "_worker"):
        _start_node(args.command == "_head", args.port, args.cpus, args.object_store_mb)
        return
    if args.command == "down":
        if STATE_FILE.exists():
            LocalCluster.load().stop()
            STATE_FILE.unlink()
        return
    cluster = LocalCluster(port=args.port, object_store_mb=args.object_store_mb)
    cluster.start(args.workers, args.cpus).save()
    print(cluster.address)


if __name__ == "__main__":
    main()
