"""A real Ray cluster on loopback for the session: a head node and a separate worker node.

Each node is its own group of processes (raylet, object store, workers), started the way
``ray start`` starts them; tests that lose a node start a cluster of their own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from lepton.compute.local_cluster import LocalCluster
from lepton.compute.ray_executor import RAY_ENV
from tests.helpers.servers import free_port


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[LocalCluster]:
    """Head (no CPUs) plus one worker node with two CPUs; this process attaches as driver."""
    os.environ.update(RAY_ENV)
    cluster = LocalCluster(port=free_port()).start(workers=1, cpus_per_worker=2)
    try:
        yield cluster
    finally:
        _stop_serve_left_running(cluster)
        cluster.stop()


def _stop_serve_left_running(cluster: LocalCluster) -> None:
    """A failed test may leave Ray Serve up: shut it down the way it cleans up after
    itself (its HAProxy process would outlive the nodes otherwise)."""
    import ray

    from lepton.compute.ray_executor import connect

    try:
        connect(cluster.address)
        ray.get_actor("SERVE_CONTROLLER_ACTOR", namespace="serve")
    except ValueError:  # no Serve on this cluster
        pass
    else:
        from ray import serve

        serve.shutdown()
    finally:
        ray.shutdown()


@pytest.fixture()
def own_cluster() -> Iterator[LocalCluster]:
    """A cluster only this test uses (it may kill nodes); started with no nodes yet."""
    cluster = LocalCluster(port=free_port())
    try:
        yield cluster
    finally:
        cluster.stop()
