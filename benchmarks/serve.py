"""Serving benchmark: Lepton vs plain FastAPI vs BentoML vs Lepton AI's Photon, one run.

Every server loads the same registered adult model package and answers single-row JSON
requests on 127.0.0.1. Load comes from ``wrk`` (C, closed loop, one thread, so the client
does not eat the servers' CPU) at concurrency 1, 16 and 64 for a bounded time each.
Reports req/s, p50/p99 latency and errors per server and concurrency, ratios to the
FastAPI baseline, and the in-process batched-predict ceiling of the same model.

    bash benchmarks/setup_serve_peers.sh          # BentoML + leptonai in their own venvs
    .venv/bin/python benchmarks/serve.py          # trains the adult model once (60 s), then loads
    .venv/bin/python benchmarks/serve.py --servers lepton,lepton_nolog,fastapi --duration 5

Results: a table on stdout and ``benchmarks/results/serve.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
from paired import paired_ratios
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATASETS = ROOT.parent / "shared" / "datasets"
RESULTS = HERE / "results"
BENCH_HOME = RESULTS / "tmp" / "serve-home"
CONCURRENCY = (1, 16, 64)
console = Console()


def bench_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEPTON_")}
    env["LEPTON_HOME"] = str(BENCH_HOME)
    return env


def lepton(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "lepton", *args],
        env=bench_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"lepton {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def prepare(time_limit: float) -> tuple[Path, str, dict[str, Any]]:
    """Train (once) and deploy the adult model; returns its package folder, a key, a row."""
    from lepton.config import load_settings
    from lepton.runtime.loader import package_folder, resolve
    from lepton.store.project import Project

    project = Project.open(load_settings(bench_env()))
    if not any(m.name == "adult" for m in project.metadata.list_models()):
        lepton("data", "add", str(DATASETS / "adult.train.parquet"), "--name", "adult")
        lepton("train", "adult", "--target", "income", "--time-limit", str(time_limit))
    lepton("data", "add", str(DATASETS / "adult.test.parquet"), "--name", "adult-test")
    lepton("deploy", "adult", "--name", "adult", "--no-optimize")  # lepton_native: as trained
    record = resolve(project, "adult")
    token, _ = project.metadata.create_api_key("bench", scopes=["predict"])
    row = pd.read_parquet(DATASETS / "adult.test.parquet").drop(columns="income").iloc[0]
    record_json = json.loads(row.to_json())
    return package_folder(project, record), token, record_json


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(name: str, package: Path, port: int) -> tuple[list[str], Path, str] | str:
    """(argv, cwd, predict path) for a server, or why it cannot run here."""
    if name in ("lepton", "lepton_nolog", "lepton_native"):
        argv = [sys.executable, "-m", "lepton", "serve", "--port", str(port)]
        return (
            argv + (["--no-log"] if name == "lepton_nolog" else []),
            ROOT,
            "/v1/deployments/adult/predict",
        )
    if name == "fastapi":
        return (
            [
                sys.executable,
                str(HERE / "servers" / "fastapi_baseline.py"),
                str(package),
                str(port),
            ],
            ROOT,
            "/predict",
        )
    venv = HERE / f".venv-serve-{'bentoml' if name == 'bentoml' else 'leptonai'}"
    if not (venv / "bin" / "python").exists():
        return f"{venv.name} missing: run benchmarks/setup_serve_peers.sh"
    if name == "bentoml":
        argv = [
            str(venv / "bin" / "bentoml"),
            "serve",
            "bentoml_service:AdultModel",
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
        ]
        return argv, HERE / "servers", "/predict"
    argv = [
        str(venv / "bin" / "python"),
        str(HERE / "servers" / "photon_service.py"),
        str(package),
        str(port),
    ]
    return argv, HERE / "servers", "/predict"


def start(name: str, package: Path) -> tuple[subprocess.Popen[bytes], str, str] | str:
    port = free_port()
    command = server_command(name, package, port)
    if isinstance(command, str):
        return command
    argv, cwd, path = command
    env = {**bench_env(), "BENCH_PACKAGE": str(package), "OMP_NUM_THREADS": "1"}
    log = open(RESULTS / "tmp" / f"{name}.log", "wb")  # noqa: SIM115 - lives with the process
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"server exited with {proc.returncode} (see results/tmp/{name}.log)"
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url, path
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    return "server not healthy within 120 s"


def serve_adult_rows(
    time_limit: float, rows: int
) -> tuple[subprocess.Popen[bytes], str, str, str, str]:
    """`lepton serve` of the adult model (trained once): (process, url, predict path, key,
    a JSON body of the first ``rows`` test rows)."""
    (RESULTS / "tmp").mkdir(parents=True, exist_ok=True)
    package, key, _ = prepare(time_limit)
    table = pd.read_parquet(DATASETS / "adult.test.parquet").drop(columns="income")
    body = json.dumps({"records": json.loads(table.head(rows).to_json(orient="records"))})
    started = start("lepton", package)
    if isinstance(started, str):
        raise SystemExit(started)
    proc, url, path = started
    return proc, url, path, key, body


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def wrk(url: str, body: str, key: str, concurrency: int, duration: int) -> dict[str, Any]:
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
    script.write(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {key}"\n'
    )
    script.close()
    done = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{concurrency}",
            f"-d{duration}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            script.name,
            url,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=duration + 60,
    )
    os.unlink(script.name)
    return parse_wrk(done.stdout)


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(out: str) -> dict[str, Any]:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"50%\s+([\d.]+\w+)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    total = re.search(r"(\d+) requests in", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": _ms(p50.group(1)) if p50 else None,
        "p99_ms": _ms(p99.group(1)) if p99 else None,
        "requests": int(total.group(1)) if total else 0,
        "errors": (int(non2xx.group(1)) if non2xx else 0)
        + (sum(int(g) for g in sock.groups()) if sock else 0),
    }


def ceiling(package: Path, record: dict[str, Any]) -> dict[str, float]:
    """The model's own batched throughput in-process: what no server can exceed."""
    from lepton.runtime.native import NativePredictor

    predictor = NativePredictor.load(package, trust=True)
    frame = pd.DataFrame.from_records([record] * 256)
    predictor.predict_proba(frame)
    times = []
    for _ in range(10):
        started = time.perf_counter()
        predictor.predict_proba(frame)
        times.append(time.perf_counter() - started)
    out = {"native_rows_per_s_batch256": 256 / float(np.median(times))}
    try:
        from lepton.config import load_settings
        from lepton.runtime.loader import load_serving_predictor  # the variant the server loads
        from lepton.store.project import Project

        served, _ = load_serving_predictor(Project.open(load_settings(bench_env())), "adult")
        if hasattr(served, "predict_records"):
            batch = [record] * 256
            served.predict_records(batch)
            times = []
            for _ in range(20):
                started = time.perf_counter()
                served.predict_records(batch)
                times.append(time.perf_counter() - started)
            out["served_variant_rows_per_s_batch256"] = 256 / float(np.median(times))
    except ImportError:
        pass
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--servers", default="lepton_native,lepton,lepton_nolog,fastapi,bentoml,photon"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per load level")
    parser.add_argument("--time-limit", type=float, default=60, help="AutoML budget (once)")
    parser.add_argument(
        "--logging-overhead",
        type=int,
        default=0,
        metavar="N",
        help="only measure the prediction log's cost: N alternating log on/off rounds at c=16",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    (RESULTS / "tmp").mkdir(parents=True, exist_ok=True)
    package, key, record = prepare(args.time_limit)
    if args.logging_overhead:
        # what users are served: the optimized variant (`lepton deploy` builds it first)
        lepton("optimize", "adult", "--test", "adult-test")
        return logging_overhead(package, key, record, args.logging_overhead, args.duration)
    bodies = {"lepton": {"records": [record]}, "photon": {"records": [record]}}
    results: dict[str, Any] = {"servers": {}, "duration_s": args.duration, "cores": os.cpu_count()}
    servers = args.servers.split(",")
    # lepton_native serves the package as trained; then `lepton optimize` picks the variant
    # the other lepton servers load (the same model, exported with its preprocessing).
    ordered = (
        [n for n in servers if n == "lepton_native"]
        + ["optimize"] * (any(n in ("lepton", "lepton_nolog") for n in servers))
        + [n for n in servers if n != "lepton_native"]
    )
    for name in ordered:
        if name == "optimize":
            results["optimize"] = lepton("optimize", "adult", "--test", "adult-test")
            console.print(results["optimize"])
            continue
        started = start(name, package)
        if isinstance(started, str):
            console.print(f"[yellow]{name}: skipped ({started})[/]")
            results["servers"][name] = {"skipped": started}
            continue
        proc, url, path = started
        body = json.dumps(bodies.get(name, {"records": [record]}))
        try:
            wrk(url + path, body, key, 4, 2)  # warm-up
            levels = {}
            for concurrency in CONCURRENCY:
                levels[str(concurrency)] = wrk(url + path, body, key, concurrency, args.duration)
                console.print(f"{name} c={concurrency}: {levels[str(concurrency)]}")
            results["servers"][name] = levels
        finally:
            stop(proc)
    results["ceiling"] = ceiling(package, record)
    report(results)
    (RESULTS / "serve.json").write_text(json.dumps(results, indent=1))
    return 0


def logging_overhead(
    package: Path, key: str, record: dict[str, Any], rounds: int, duration: int
) -> int:
    """Log on vs off at concurrency 16, in ABBA order so drifts in machine load cancel."""
    body = json.dumps({"records": [record]})
    runs: dict[str, list[dict[str, Any]]] = {"lepton": [], "lepton_nolog": []}
    for i in range(rounds):
        for name in list(runs) if i % 2 == 0 else list(runs)[::-1]:
            started = start(name, package)
            if isinstance(started, str):
                raise SystemExit(f"{name}: {started}")
            proc, url, path = started
            try:
                wrk(url + path, body, key, 4, 2)
                runs[name].append(wrk(url + path, body, key, 16, duration))
            finally:
                stop(proc)
    summary = {}
    for name, measured in runs.items():
        summary[name] = {
            "rps_median": float(np.median([m["rps"] for m in measured])),
            "p50_ms_median": float(np.median([m["p50_ms"] for m in measured])),
            "p99_ms_median": float(np.median([m["p99_ms"] for m in measured])),
            "runs": measured,
        }
    on, off = summary["lepton"], summary["lepton_nolog"]
    summary["p50_overhead"] = on["p50_ms_median"] / off["p50_ms_median"] - 1
    summary["throughput_change"] = on["rps_median"] / off["rps_median"] - 1
    # each round's two servers ran back to back: their ratio cancels the neighbours' load
    summary["paired_rps"] = paired_ratios(
        [m["rps"] for m in off["runs"]], [m["rps"] for m in on["runs"]]
    )
    summary["paired_p99"] = paired_ratios(
        [m["p99_ms"] for m in off["runs"]], [m["p99_ms"] for m in on["runs"]]
    )
    table = Table(title=f"Prediction log cost at c=16 ({rounds} alternating rounds, medians)")
    for col in ("server", "req/s", "p50 ms", "p99 ms"):
        table.add_column(col)
    for name in runs:
        m = summary[name]
        table.add_row(
            name, f"{m['rps_median']:.0f}", f"{m['p50_ms_median']:.2f}", f"{m['p99_ms_median']:.2f}"
        )
    console.print(table)
    rps, p99 = summary["paired_rps"], summary["paired_p99"]
    console.print(
        f"log on vs off: p50 {summary['p50_overhead']:+.1%} (medians); paired per round: "
        f"req/s x{rps['geomean']:.3f} [95% {rps['ci95'][0]:.3f}-{rps['ci95'][1]:.3f}], "
        f"p99 x{p99['geomean']:.3f} [95% {p99['ci95'][0]:.3f}-{p99['ci95'][1]:.3f}]"
    )
    (RESULTS / "serve_logging.json").write_text(json.dumps(summary, indent=1))
    return 0


def report(results: dict[str, Any]) -> None:
    base = results["servers"].get("fastapi", {})
    table = Table(title="Serving the adult model, single-row requests, 127.0.0.1 (wrk)")
    for col in ("server", "conc.", "req/s", "× FastAPI", "p50 ms", "p99 ms", "errors"):
        table.add_column(col, justify="right" if col != "server" else "left")
    for name, levels in results["servers"].items():
        if "skipped" in levels:
            table.add_row(name, "-", "skipped", "", "", "", levels["skipped"][:40])
            continue
        for conc, m in levels.items():
            ref = base.get(conc, {}).get("rps")
            ratio = f"{m['rps'] / ref:.2f}" if ref else ""
            table.add_row(
                name,
                conc,
                f"{m['rps']:.0f}",
                ratio,
                f"{m['p50_ms'] or 0:.2f}",
                f"{m['p99_ms'] or 0:.2f}",
                str(m["errors"]),
            )
    console.print(table)
    for key, value in results["ceiling"].items():
        console.print(f"in-process ceiling {key}: {value:,.0f} rows/s")
    if "lepton" in results["servers"] and "lepton_nolog" in results["servers"]:
        on, off = results["servers"]["lepton"], results["servers"]["lepton_nolog"]
        if "16" in on and "16" in off and off["16"]["p50_ms"]:
            overhead = on["16"]["p50_ms"] / off["16"]["p50_ms"] - 1
            results["logging_overhead_p50_c16"] = overhead
            console.print(f"prediction-log overhead at c=16 (p50): {overhead:+.1%}")


if __name__ == "__main__":
    raise SystemExit(main())
