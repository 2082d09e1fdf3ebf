"""Dashboard page times with a big store: 10,000 runs and 1,000 model versions (issue 16).

Why server time: the target is what the server spends per page (queries + rendering),
which the dashboard reports in its ``Server-Timing`` header; the client's wall time
(loopback HTTP included) is shown beside it. The store is seeded in bulk by
``benchmarks/ui_seed.py`` (generated records shaped like real ``lepton train`` runs),
then a real ``lepton ui`` process serves it and every page is fetched ``--repeats``
times after one warm-up, logged in with an admin key like a browser.

    PYTHONPATH=src .venv/bin/python benchmarks/ui.py            # SQLite, the embedded default
    PYTHONPATH=src .venv/bin/python benchmarks/ui.py --store postgresql
    PYTHONPATH=src .venv/bin/python benchmarks/ui.py --peer mlflow  # + MLflow side by side

With ``--peer mlflow`` the same run also seeds MLflow (its own venv, made by
``benchmarks/setup_ui_peers.sh`` if missing) to the same scale through its own store API
(``benchmarks/runners/mlflow_ui_seed.py``), starts a real ``mlflow server`` on loopback and
times the AJAX calls its browser UI makes for each equivalent view (MLflow renders in the
browser, so those calls are its server work per view). MLflow sends no Server-Timing, so the
comparison is client wall time against client wall time, as the ratio MLflow / Lepton.

Results: a table on stdout and ``benchmarks/results/ui.json`` (``peer`` key with the peer).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
TARGET_MS = 300.0
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
console = Console(width=max(Console().width, 120))  # a readable table when piped too
sys.path.insert(0, str(HERE))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_pg_database() -> str:
    import sqlalchemy as sa

    name = f"lepton_ui_bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    engine.dispose()


def seeded_project(env: dict[str, str], runs: int, versions: int) -> tuple[str, dict[str, Any]]:
    """Seed the store the env points at; an admin key and the ids the pages need."""
    from ui_seed import seed

    from lepton.config import load_settings
    from lepton.store.project import Project

    project = Project.open(load_settings(env))
    started = time.perf_counter()
    seed(project.metadata, runs=runs, model_versions=versions)
    seeded_s = time.perf_counter() - started
    key, _ = project.metadata.create_api_key("bench-admin", scopes=["admin"])
    meta = project.metadata
    run_ids = [r.id for r in meta.runs.page(limit=5).items]
    models = meta.models.summaries_page(limit=500).items
    biggest = max(models, key=lambda m: m.n_versions)
    datasets = meta.datasets.summaries_page(limit=1).items
    deployments = meta.list_deployments()
    ids = {
        "run_ids": run_ids,
        "model": biggest.name,
        "model_versions": biggest.n_versions,
        "latest": biggest.latest_version,
        "dataset": datasets[0].name if datasets else None,
        "deployment": deployments[0].name if deployments else None,
        "seed_s": round(seeded_s, 2),
    }
    project.close()
    return key, ids


def live_deployment(env: dict[str, str], requests: int, rows: int) -> dict[str, Any]:
    """A real model behind a real ``lepton serve`` with ``requests`` logged predictions
    of ``rows`` rows each and feedback for all of them: what the deployment and
    monitoring pages read. Returns the server process, its URL and the keys."""
    import numpy as np
    import pandas as pd

    from lepton.config import load_settings
    from lepton.data.catalog import DataCatalog
    from lepton.learn.training import train_dataset
    from lepton.serve.deployments import deploy
    from lepton.store.project import Project

    rng = np.random.default_rng(0)
    n = 2_000
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "color": rng.choice(["red", "green", "blue"], size=n),
        }
    )
    frame["y"] = np.where(frame["x1"] - frame["x2"] + rng.normal(size=n) > 0, "yes", "no")
    project = Project.open(load_settings(env))
    ref = DataCatalog(project).add_frame(frame, name="churn", target="y")[0].ref
    train_dataset(project, ref, time_limit=8, families=["linear"], n_folds=3)
    deploy(project, "churn@1", name="churn-live")
    predict_key, _ = project.metadata.create_api_key("bench-predict", scopes=["predict"])
    project.close()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "lepton", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_ready(f"{base}/readyz")
    records = frame.drop(columns=["y"]).head(rows).to_dict(orient="records")
    ids = []
    with httpx.Client(base_url=base, timeout=30) as client:
        headers = {"Authorization": f"Bearer {predict_key}"}
        for _ in range(requests):
            answer = client.post(
                "/v1/deployments/churn-live/predict", json={"records": records}, headers=headers
            )
            answer.raise_for_status()
            ids.append(answer.headers["x-request-id"])
        labels = [
            {"request_id": rid, "row": row, "label": "yes" if row % 2 else "no"}
            for rid in ids
            for row in range(rows)
        ]
        answer = client.post(
            "/v1/deployments/churn-live/feedback", json={"feedback": labels}, headers=headers
        )
        if answer.status_code >= 400:
            raise SystemExit(f"feedback refused: {answer.status_code} {answer.text[:300]}")
    return {"server": server, "base": base}


def wait_ready(url: str, within_s: float = 60.0) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {within_s:.0f} s")


def pages(ids: dict[str, Any]) -> list[tuple[str, str]]:
    runs = ids["run_ids"]
    out = [
        ("overview", "/ui/"),
        ("datasets", "/ui/datasets"),
        ("runs, newest first", "/ui/runs"),
        ("runs, sorted by metric", "/ui/runs?sort=metric:score"),
        ("runs, filtered (failed)", "/ui/runs?status=failed"),
        ("runs, text search", "/ui/runs?search=adult"),
        ("runs, last page", "/ui/runs?offset=9950"),
        ("run detail", f"/ui/runs/{runs[0]}"),
        ("compare 5 runs", "/ui/runs/compare?" + "&".join(f"ids={r}" for r in runs)),
        ("models", "/ui/models"),
        (f"model with {ids['model_versions']} versions", f"/ui/models/{ids['model']}"),
        ("model version", f"/ui/models/{ids['model']}/{ids['latest']}"),
        ("deployments", "/ui/deployments"),
        ("monitoring", "/ui/monitoring"),
        ("alerts", "/ui/alerts"),
        ("keys", "/ui/keys"),
    ]
    if ids["dataset"]:
        out.insert(2, ("dataset detail", f"/ui/datasets/{ids['dataset']}"))
    if ids["deployment"]:
        out.append(("deployment detail", f"/ui/deployments/{ids['deployment']}"))
        out.append(("deployment monitoring", f"/ui/monitoring/{ids['deployment']}"))
    return out


def login(client: httpx.Client, key: str) -> None:
    form = client.get("/ui/login")
    token = re.search(r'name="login_token" value="([^"]+)"', form.text)
    if token is None:
        raise SystemExit("login form has no token")
    done = client.post("/ui/login", data={"key": key, "login_token": token.group(1)})
    if done.status_code != 303:
        raise SystemExit(f"login failed: {done.status_code}")


def time_pages(
    base: str, key: str, targets: list[tuple[str, str]], repeats: int, *, cold: bool = False
) -> list[dict[str, Any]]:
    """Each page ``repeats`` times after a warm-up; with ``cold``, the first load alone
    (what a page that caches its work costs the first visitor)."""
    rows = []
    with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as client:
        login(client, key)
        for label, path in targets:
            server_ms, wall_ms, status = [], [], 0
            for attempt in range(1 if cold else repeats + 1):
                started = time.perf_counter()
                response = client.get(path)
                elapsed = (time.perf_counter() - started) * 1000
                status = response.status_code
                timing = re.search(r"app;dur=([0-9.]+)", response.headers.get("server-timing", ""))
                if timing is None or (attempt == 0 and not cold):
                    continue  # warm-up (first import of the page's code, template compile)
                server_ms.append(float(timing.group(1)))
                wall_ms.append(elapsed)
            rows.append(
                {
                    "page": label,
                    "path": path,
                    "status": status,
                    "bytes": len(response.content),
                    "server_ms_p50": statistics.median(server_ms) if server_ms else None,
                    "server_ms_max": max(server_ms) if server_ms else None,
                    "wall_ms_p50": statistics.median(wall_ms) if wall_ms else None,
                    "within_target": bool(server_ms)
                    and status == 200
                    and max(server_ms) <= TARGET_MS,
                }
            )
    return rows


PEER_PYTHON = HERE / ".venv-mlflow" / "bin" / "python"


def mlflow_views(info: dict[str, Any], last_token: str | None) -> list[tuple[str, list]]:
    """Per Lepton page, the requests MLflow's UI (3.x) sends for the same view, in order.

    Each request is ``(method, path, params_or_json)``. From MLflow's JS sources: the runs
    table is ``POST runs/search`` (``createSearchRunsParams``: ``run_view_type`` ACTIVE_ONLY,
    ``order_by`` start_time DESC by default; the UI asks 100 rows, here 50 as Lepton's page);
    a plain-text search becomes ``attributes.run_name ILIKE '%text%'`` (the UI's RLIKE
    form is refused by the SQL store: "Invalid comparator 'RLIKE'");
    the run page is the ``GetRun`` GraphQL query (``shouldEnableGraphQLRunDetailsPage``) plus
    ``model-versions/search`` by run id; compare is ``runs/get`` per run plus
    ``experiments/get`` (``CompareRunPage``); the registry list is ``registered-models/search``
    (25 per page, name ASC); a model is ``registered-models/get`` + ``model-versions/search``
    by name (``ModelPage``, all versions); a version is ``model-versions/get`` +
    ``registered-models/get`` + its source ``runs/get`` (``ModelVersionPage``).
    """
    exp, runs, model = info["experiment_id"], info["run_ids"], info["model"]
    search = "/ajax-api/2.0/mlflow/runs/search"

    def runs_search(**extra: Any) -> tuple[str, str, dict[str, Any]]:
        body = {
            "experiment_ids": [exp],
            "run_view_type": "ACTIVE_ONLY",
            "max_results": 50,
            "order_by": ["attributes.start_time DESC"],
        }
        return ("POST", search, {**body, **extra})

    get_run = "/ajax-api/2.0/mlflow/runs/get"
    graphql = {
        "operationName": "GetRun",
        "variables": {"data": {"runId": runs[0]}},
        "query": GET_RUN_QUERY,
    }
    views = [
        ("runs, newest first", [runs_search()]),
        ("runs, sorted by metric", [runs_search(order_by=["metrics.score DESC"])]),
        ("runs, filtered (failed)", [runs_search(filter="attributes.status = 'FAILED'")]),
        ("runs, text search", [runs_search(filter="attributes.run_name ILIKE '%adult%'")]),
        ("runs, last page", [runs_search(page_token=last_token)] if last_token else []),
        (
            "run detail",
            [
                ("POST", "/graphql", graphql),
                (
                    "GET",
                    "/ajax-api/2.0/mlflow/model-versions/search",
                    {"filter": f"run_id='{runs[0]}'"},
                ),
            ],
        ),
        (
            "compare 5 runs",
            [("GET", get_run, {"run_id": r}) for r in runs]
            + [("GET", "/ajax-api/2.0/mlflow/experiments/get", {"experiment_id": exp})],
        ),
        (
            "models",
            [
                (
                    "GET",
                    "/ajax-api/2.0/mlflow/registered-models/search",
                    {"max_results": 25, "order_by": "name ASC"},
                )
            ],
        ),
        (
            "model with",  # Lepton's label carries the version count
            [
                ("GET", "/ajax-api/2.0/mlflow/registered-models/get", {"name": model}),
                (
                    "GET",
                    "/ajax-api/2.0/mlflow/model-versions/search",
                    {"filter": f"name='{model}'"},
                ),
            ],
        ),
        (
            "model version",
            [
                (
                    "GET",
                    "/ajax-api/2.0/mlflow/model-versions/get",
                    {"name": model, "version": str(info["model_versions"])},
                ),
                ("GET", "/ajax-api/2.0/mlflow/registered-models/get", {"name": model}),
                ("GET", get_run, {"run_id": info.get("latest_run_id") or runs[0]}),
            ],
        ),
    ]
    return views


GET_RUN_QUERY = (  # MLflow UI's run page query (useGetRunQuery.tsx), verbatim fields
    "query GetRun($data: MlflowGetRunInput!) { mlflowGetRun(input: $data) { run { "
    "info { runName status runUuid experimentId artifactUri endTime lifecycleStage "
    "startTime userId } experiment { experimentId name tags { key value } artifactLocation "
    "lifecycleStage lastUpdateTime } modelVersions { status version name source } "
    "data { metrics { key value step timestamp } params { key value } tags { key value } } "
    "inputs { datasetInputs { dataset { digest name } } } } } }"
)


def send(client: httpx.Client, method: str, path: str, payload: dict[str, Any]) -> httpx.Response:
    if method == "GET":
        return client.get(path, params=payload)
    return client.post(path, json=payload)


def mlflow_last_token(client: httpx.Client, exp: str) -> tuple[str | None, int]:
    """Follow ``next_page_token`` from the first page (50 rows, newest first) to the last,
    as the UI's "load more" does; the token that fetches the last page, and the page count."""
    token, last, n_pages = None, None, 0
    body = {
        "experiment_ids": [exp],
        "run_view_type": "ACTIVE_ONLY",
        "max_results": 50,
        "order_by": ["attributes.start_time DESC"],
    }
    while True:
        answer = client.post(
            "/ajax-api/2.0/mlflow/runs/search",
            json={**body, **({"page_token": token} if token else {})},
        )
        answer.raise_for_status()
        n_pages += 1
        last, token = token, answer.json().get("next_page_token")
        if not token:
            return last, n_pages


def mlflow_peer(
    lepton_rows: list[dict[str, Any]], runs: int, versions: int, repeats: int
) -> dict[str, Any]:
    """Seed MLflow to the same scale, serve it, time its UI's calls per equivalent view."""
    if not PEER_PYTHON.exists():
        subprocess.run(["bash", str(HERE / "setup_ui_peers.sh")], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "LEPTON_"))}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true", PYTHONPATH="")
    with tempfile.TemporaryDirectory(prefix="mlflow-ui-bench-") as tmp:
        db, artifacts = Path(tmp) / "mlflow.db", Path(tmp) / "artifacts"
        seeded = subprocess.run(
            [
                str(PEER_PYTHON),
                str(HERE / "runners" / "mlflow_ui_seed.py"),
                f"--db={db}",
                f"--artifacts={artifacts}",
                f"--runs={runs}",
                f"--model-versions={versions}",
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if seeded.returncode != 0:
            raise SystemExit(f"mlflow seeding failed:\n{seeded.stderr[-3000:]}")
        info = json.loads(seeded.stdout.strip().splitlines()[-1])
        console.print(
            f"mlflow {info['mlflow_version']} seeded in {info['seed_s']} s "
            f"(runs {info['seed_runs_s']} s, registry {info['seed_models_s']} s)"
        )
        port = free_port()
        server = subprocess.Popen(
            [
                str(PEER_PYTHON.parent / "mlflow"),
                "server",
                "--backend-store-uri",
                f"sqlite:///{db}",
                "--default-artifact-root",
                artifacts.as_uri(),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            env=env,
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(f"{base}/health", within_s=120)
            with httpx.Client(base_url=base, timeout=120) as client:
                exp = info["experiment_id"]
                mv = client.get(
                    "/ajax-api/2.0/mlflow/model-versions/get",
                    params={"name": info["model"], "version": str(info["model_versions"])},
                )
                info["latest_run_id"] = mv.json().get("model_version", {}).get("run_id")
                last_token, n_pages = mlflow_last_token(client, exp)
                rows = []
                for label, requests in mlflow_views(info, last_token):
                    rows.append(time_mlflow_view(client, label, requests, repeats))
                rows[4]["note"] = f"followed next_page_token through {n_pages} pages of 50"
        finally:
            server.terminate()
            server.wait(timeout=60)
    by_label = {r["page"]: r for r in lepton_rows}
    for row in rows:
        lepton = by_label.get(row["view"]) or next(
            (r for p, r in by_label.items() if p.startswith(row["view"])), None
        )
        row["lepton_page"] = lepton["page"] if lepton else None
        row["lepton_wall_ms_p50"] = lepton["wall_ms_p50"] if lepton else None
        row["lepton_server_ms_p50"] = lepton["server_ms_p50"] if lepton else None
        ok = lepton and lepton["wall_ms_p50"] and row["wall_ms_p50"] is not None
        row["ratio_mlflow_over_lepton"] = (
            round(row["wall_ms_p50"] / lepton["wall_ms_p50"], 2) if ok else None
        )
    return {
        "name": "mlflow",
        "version": info["mlflow_version"],
        "store": "sqlite (SqlAlchemyStore)",
        "server": "mlflow server --workers 1 (uvicorn), 127.0.0.1",
        "seed_method": info["method"],
        "seed_s": info["seed_s"],
        "seed_runs_s": info["seed_runs_s"],
        "seed_models_s": info["seed_models_s"],
        "model": info["model"],
        "model_versions": info["model_versions"],
        "timing": "client wall time, sum of the view's requests sent one after another, "
        f"p50 of {repeats} after one warm-up; ratio = MLflow wall p50 / Lepton wall p50",
        "views": rows,
    }


def time_mlflow_view(
    client: httpx.Client, label: str, requests: list, repeats: int
) -> dict[str, Any]:
    if not requests:
        return {"view": label, "requests": [], "status": None, "wall_ms_p50": None}
    walls, statuses, size = [], set(), 0
    for attempt in range(repeats + 1):
        total, size = 0.0, 0
        for method, path, payload in requests:
            started = time.perf_counter()
            answer = send(client, method, path, payload)
            total += (time.perf_counter() - started) * 1000
            size += len(answer.content)
            statuses.add(answer.status_code)
            if answer.status_code == 200 and path == "/graphql" and answer.json().get("errors"):
                statuses.add(500)  # GraphQL reports errors in a 200
        if attempt:
            walls.append(total)
    return {
        "view": label,
        "requests": [
            f"{m} {p}" + (f" {json.dumps(b, sort_keys=True)}" if p != "/graphql" else " GetRun")
            for m, p, b in requests
        ],
        "status": max(statuses),
        "bytes": size,
        "wall_ms_p50": round(statistics.median(walls), 2),
        "wall_ms_max": round(max(walls), 2),
    }


def peer_table(peer: dict[str, Any]) -> Table:
    table = Table(title=f"Lepton vs MLflow {peer['version']}, same view, wall ms p50, ratio")
    for col in ("view", "Lepton wall ms", "MLflow wall ms", "MLflow ÷ Lepton", "MLflow calls"):
        table.add_column(col, justify="left" if col == "view" else "right", no_wrap=col == "view")
    for row in peer["views"]:
        lepton, ours = row.get("lepton_wall_ms_p50"), row.get("wall_ms_p50")
        ratio = row.get("ratio_mlflow_over_lepton")
        table.add_row(
            row.get("lepton_page") or row["view"],
            f"{lepton:.1f}" if lepton else "–",
            (f"{ours:.1f}" if ours is not None else "–")
            + ("" if row.get("status") in (200, None) else f" (HTTP {row['status']})"),
            f"{ratio:.1f}×" if ratio else "–",
            str(len(row["requests"])),
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--model-versions", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--live-requests",
        type=int,
        default=2_000,
        help="logged predictions (of --live-rows rows) behind the live deployment's pages",
    )
    parser.add_argument("--live-rows", type=int, default=5)
    parser.add_argument(
        "--peer",
        choices=("mlflow",),
        help="also seed and serve the peer at the same scale and time its equivalent views",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="lepton-ui-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEPTON_")}
        env.update(LEPTON_HOME=str(Path(tmp) / "home"), PYTHONPATH=str(ROOT / "src"))
        pg_url = make_pg_database() if args.store == "postgresql" else None
        if pg_url:
            env["LEPTON_STORE_URL"] = pg_url
        try:
            key, ids = seeded_project(env, args.runs, args.model_versions)
            port = free_port()
            server = subprocess.Popen(
                [sys.executable, "-m", "lepton", "ui", "--port", str(port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            base = f"http://127.0.0.1:{port}"
            try:
                wait_ready(f"{base}/healthz")
                rows = time_pages(base, key, pages(ids), args.repeats)
            finally:
                server.terminate()
                server.wait(timeout=30)
            # the same dashboard as `lepton serve` mounts it, over a deployment with traffic
            live = live_deployment(env, args.live_requests, args.live_rows)
            try:
                logged = args.live_requests * args.live_rows
                live_pages = [
                    (f"live: deployment ({logged:,} logged rows)", "/ui/deployments/churn-live"),
                    ("live: charts partial", "/ui/deployments/churn-live/live"),
                    ("live: monitoring, first load", "/ui/monitoring/churn-live?window=24h"),
                    ("live: monitoring, 1h window", "/ui/monitoring/churn-live?window=1h"),
                ]
                rows += time_pages(live["base"], key, live_pages[:2], args.repeats)
                # import the monitoring code once (a 7-day window, cached apart, not shown)
                time_pages(
                    live["base"],
                    key,
                    [("warm", "/ui/monitoring/churn-live?window=7d")],
                    0,
                    cold=True,
                )
                rows += time_pages(live["base"], key, live_pages[2:], 0, cold=True)
                rows += time_pages(
                    live["base"],
                    key,
                    [("live: monitoring, cached", live_pages[2][1])],
                    args.repeats,
                )
            finally:
                live["server"].terminate()
                live["server"].wait(timeout=60)
        finally:
            if pg_url:
                drop_pg_database(pg_url)

    table = Table(
        title=f"Dashboard pages, {args.store} store, {args.runs:,} runs, "
        f"{args.model_versions:,} model versions (target ≤ {TARGET_MS:.0f} ms server time)"
    )
    for col in (
        "page",
        "status",
        "server ms p50",
        "server ms max",
        "wall ms p50",
        "KiB",
        "≤ target",
    ):
        table.add_column(col, justify="left" if col == "page" else "right", no_wrap=col == "page")
    for row in rows:
        table.add_row(
            row["page"],
            str(row["status"]),
            f"{row['server_ms_p50']:.1f}" if row["server_ms_p50"] is not None else "–",
            f"{row['server_ms_max']:.1f}" if row["server_ms_max"] is not None else "–",
            f"{row['wall_ms_p50']:.1f}" if row["wall_ms_p50"] is not None else "–",
            f"{row['bytes'] / 1024:.0f}",
            "yes" if row["within_target"] else "NO",
        )
    console.print(table)
    console.print(f"seeded in {ids['seed_s']} s")
    peer = None
    if args.peer == "mlflow":
        peer = mlflow_peer(rows, args.runs, args.model_versions, args.repeats)
        console.print(peer_table(peer))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"ui{'' if args.store == 'sqlite' else '-' + args.store}.json"
    out.write_text(
        json.dumps(
            {
                "store": args.store,
                "runs": args.runs,
                "model_versions": args.model_versions,
                "repeats": args.repeats,
                "target_ms": TARGET_MS,
                "seed_s": ids["seed_s"],
                "pages": rows,
                "all_within_target": all(r["within_target"] for r in rows),
                **({"peer": peer} if peer else {}),
            },
            indent=2,
        )
    )
    console.print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
