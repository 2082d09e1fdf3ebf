"""`lepton serve --ray` as a user runs it: the real CLI, a real cluster, real HTTP on loopback.

One scenario, in order, because each step needs the server the previous one left: the
same API as the embedded server (paths, auth, errors, OpenAPI), a canary split, hot
promote and rollback, a rescale to two replicas, feedback answered by whichever replica
gets it, and a clean stop that leaves no Lepton application on the cluster.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from lepton.compute.local_cluster import LocalCluster
from lepton.data.catalog import DataCatalog
from lepton.learn.training import train_dataset
from lepton.serve.app import create_app
from lepton.store.project import Project
from tests.helpers.home import api_keys, home_env, open_project, run_lepton
from tests.helpers.servers import free_port
from tests.serve.conftest import churn_frame

pytestmark = pytest.mark.ray_lifecycle

BOUND_S = 240.0  # every wait below gives up after this long
ROW = {"x1": 0.3, "x2": -1.2, "color": "red"}


@dataclass
class RayServer:
    url: str
    proc: subprocess.Popen[str]
    env: dict[str, str]
    project: Project
    keys: dict[str, str]

    def client(self, scope: str | None = "predict") -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.keys[scope]}"} if scope else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


def _until(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + BOUND_S
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"not within {BOUND_S:g} s: {what}")


def _versions(server: RayServer, calls: int = 40) -> Counter[int]:
    with server.client() as client:
        answers = [
            client.post("/v1/deployments/churn/predict", json={"records": [ROW]})
            for _ in range(calls)
        ]
    assert all(a.status_code == 200 for a in answers), [
        a.text for a in answers if a.status_code != 200
    ]
    return Counter(int(a.json()["version"]) for a in answers)


@pytest.fixture(scope="module")
def ray_server(
    tmp_path_factory: pytest.TempPathFactory, ray_cluster: LocalCluster
) -> Iterator[RayServer]:
    home = tmp_path_factory.mktemp("serve-on-ray")
    env = home_env(home)
    project = open_project(env)
    catalog = DataCatalog(project)
    for seed in (0, 1):
        ref = catalog.add_frame(churn_frame(seed=seed), name="churn", target="y")[0].ref
        train_dataset(
            project, ref, time_limit=6, families=["linear"], n_folds=3, model_name="churn"
        )
    keys = api_keys(project, ("predict", "admin", "metrics"))
    deployed = run_lepton(env, "deploy", "churn@1", "--no-optimize")
    assert deployed.returncode == 0, deployed.stderr
    port = free_port()
    env["LEPTON_RAY_ADDRESS"] = ray_cluster.address
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lepton",
            "serve",
            "--ray",
            "--port",
            str(port),
            "--poll-seconds",
            "0.5",
            "--no-ui",
            "--replica-cpus",
            "0.5",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = RayServer(f"http://127.0.0.1:{port}", proc, env, project, keys)

    def ready() -> bool:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        try:
            answer = httpx.get(f"{server.url}/readyz", timeout=5)
        except httpx.HTTPError:
            return False
        return answer.status_code == 200 and answer.json()["deployments"] == ["churn"]

    try:
        _until(ready, "lepton serve --ray answers /readyz with churn loaded")
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        project.close()


def test_serving_on_ray_keeps_the_api_and_follows_the_store(
    ray_server: RayServer, tmp_path: Path
) -> None:
    server = ray_server
    # the same API: answers, auth errors, validation errors, OpenAPI
    with server.client() as client:
        answer = client.post("/v1/deployments/churn/predict", json={"records": [ROW]})
        assert answer.status_code == 200, answer.text
        assert answer.json()["version"] == 1 and answer.json()["predictions"][0] in ("yes", "no")
        bad = client.post(
            "/v1/deployments/churn/predict", json={"records": [{**ROW, "x1": "high"}]}
        )
        assert bad.status_code == 422 and "x1" in bad.text
        missing = client.post("/v1/deployments/nobody/predict", json={"records": [ROW]})
        assert missing.status_code == 404 and missing.json()["error"]
    with server.client(None) as anonymous:
        refused = anonymous.post("/v1/deployments/churn/predict", json={"records": [ROW]})
        assert refused.status_code == 401 and refused.json()["error"]["type"] == "auth_error"
        embedded = create_app(server.project, log_predictions=False).openapi()
        assert anonymous.get("/openapi.json").json() == embedded
    with server.client("admin") as admin:
        listed = admin.get("/v1/deployments").json()["deployments"]
        assert [(d["name"], d["routes"]) for d in listed] == [
            ("churn", [{"version": 1, "weight": 100.0}])
        ]

    # a canary takes its share; promote and rollback are hot
    canary = run_lepton(server.env, "deploy", "churn@2", "--canary", "50", "--no-optimize")
    assert canary.returncode == 0, canary.stderr
    _until(lambda: set(_versions(server)) == {1, 2}, "both versions answer under a 50% canary")
    with server.client("admin") as admin:
        assert admin.post("/v1/deployments/churn/promote").status_code == 200
        _until(lambda: set(_versions(server)) == {2}, "only v2 answers after promote")
        assert admin.post("/v1/deployments/churn/rollback").status_code == 200
        _until(lambda: set(_versions(server)) == {1}, "only v1 answers after rollback")

    # two replicas; ground truth reaches the log whichever replica answered or gets it
    scaled = run_lepton(
        server.env,
        "deploy",
        "churn@1",
        "--min-replicas",
        "2",
        "--max-replicas",
        "2",
        "--no-optimize",
    )
    assert scaled.returncode == 0, scaled.stderr
    import ray
    from ray import serve

    from lepton.compute.ray_executor import connect

    connect(server.env["LEPTON_RAY_ADDRESS"])

    def two_running() -> bool:
        app = serve.status().applications.get("lepton-churn")
        if app is None:
            return False
        states = app.deployments["replica"].replica_states.items()
        return sum(n for state, n in states if state == "RUNNING") == 2

    _until(two_running, "the churn application runs two replicas")
    with server.client() as client:
        ids = [
            client.post("/v1/deployments/churn/predict", json={"records": [ROW]}).json()[
                "request_id"
            ]
            for _ in range(30)
        ]
        feedback = client.post(
            "/v1/deployments/churn/feedback",
            json={"feedback": [{"request_id": i, "label": "yes"} for i in ids]},
        )
    assert feedback.status_code == 200, feedback.text
    assert feedback.json() == {"accepted": 30, "updated": 0, "unknown": []}

    # a replica killed outright loses none of the predictions it answered: its journal
    # stays on the node's disk and the next reader (or its replacement) converts it
    with server.client() as client:
        answered = [
            client.post("/v1/deployments/churn/predict", json={"records": [ROW]}).json()[
                "request_id"
            ]
            for _ in range(40)
        ]
    replicas = [
        a["name"]
        for a in ray.util.list_named_actors(all_namespaces=True)
        if a["name"].startswith("SERVE_REPLICA::lepton-churn#")
    ]
    assert len(replicas) == 2, replicas
    for name in replicas:
        ray.kill(ray.get_actor(name, namespace="serve"))

    def all_logged() -> bool:  # the kill lands within moments; the dead lock frees then
        logged = server.project.predictions.predictions("churn")["request_id"]
        return set(answered) <= set(logged)

    _until(all_logged, "every answered prediction is in the log")
    _until(two_running, "Serve replaced the killed replicas")

    # a clean stop: exit 0, no Lepton application left on the cluster (Serve itself shut
    # down, since nothing else ran on it)
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=90) == 0
    with pytest.raises(ValueError, match="Failed to look up actor"):
        ray.get_actor("SERVE_CONTROLLER_ACTOR", namespace="serve")
    ray.shutdown()
