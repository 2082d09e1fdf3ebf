"""Dashboard page times with a big store: 10,000 runs and 1,000 model versions (issue 16).

Why server time: the target is what the server spends per page (queries + rendering),
which the dashboard reports in its ``Server-Timing`` header; the client's wall time
(loopback HTTP included) is shown beside it. The store is seeded in bulk by
``benchmarks/ui_seed.py`` (generated records shaped like real ``lepton train`` runs),
then a real ``lepton ui`` process serves it and every page is fetched ``--repeats``
times after one warm-up, logged in with an admin key like a browser.

    PYTHONPATH=src .venv/bin/python benchmarks/ui.py            # SQLite, the embedded default
    PYTHONPATH=src .venv/bin/python benchmarks/ui.py --store postgresql

Results: a table on stdout and ``benchmarks/results/ui.json``.
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
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    try:
                        if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                            break
                    except httpx.HTTPError:
                        time.sleep(0.2)
                else:
                    raise SystemExit("lepton ui did not start within 60 s")
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
            },
            indent=2,
        )
    )
    console.print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
