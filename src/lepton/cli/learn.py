"""``lepton train``, ``lepton runs``, ``lepton models …``, ``lepton predict``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.live import Live
from rich.table import Table

from lepton.cli.clock import command_started_at
from lepton.cli.console import console, err_console
from lepton.errors import DataError

models_app = typer.Typer(
    help="The model registry: versions, aliases, metrics.", no_args_is_help=True
)


class TrainingView:
    """Live table of trials and the current best while AutoML runs.

    The live display starts on the first search event, so an input error raised before
    the search begins prints as one clean line rather than under an empty table. When
    stderr is not a terminal (CI, logs, pipes) each finished trial is one plain line
    instead, so progress is visible where a live table cannot redraw.
    """

    def __init__(self, time_limit: float) -> None:
        self.time_limit = time_limit
        self.started = time.time()
        self.rows: list[tuple[str, str, str, str, str]] = []
        self.running: dict[int, str] = {}
        self.best: tuple[str, float] | None = None
        self.live = Live(self.render(), console=err_console, refresh_per_second=4, transient=False)

    def __enter__(self) -> TrainingView:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live.is_started:
            self.live.stop()

    def __call__(self, kind: str, payload: dict[str, Any]) -> None:
        if not err_console.is_terminal:
            self._log_line(kind, payload)
            return
        if not self.live.is_started:
            self.started = time.time()
            self.live.start()
        if kind == "trial_started":
            spec = payload["trial"]
            self.running[spec.trial_id] = f"{spec.family}#{spec.trial_id}"
        elif kind == "trial_stopped":
            spec = payload["trial"]
            self.running.pop(spec.trial_id, None)
            name = f"{spec.family}#{spec.trial_id}"
            self.rows.append((name, spec.origin, "-", "-", "stopped: past the deadline"))
        elif kind == "trial_finished":
            trial = payload["trial"]
            self.running.pop(trial.spec.trial_id, None)
            name = f"{trial.spec.family}#{trial.spec.trial_id}"
            if trial.ok:
                score = -trial.loss if trial.loss < 0 else trial.loss
                self.rows.append(
                    (name, trial.spec.origin, f"{score:.5f}", f"{trial.fit_seconds:.1f}s", "")
                )
                if payload["best"]:
                    top = payload["best"][0]
                    self.best = (f"{top.spec.family}#{top.spec.trial_id}", abs(top.loss))
            else:
                self.rows.append((name, trial.spec.origin, "-", "-", (trial.error or "")[:60]))
        self.live.update(self.render())

    def _log_line(self, kind: str, payload: dict[str, Any]) -> None:
        if kind != "trial_finished":
            return
        trial = payload["trial"]
        name = f"{trial.spec.family}#{trial.spec.trial_id}"
        elapsed = time.time() - self.started
        outcome = (
            f"cv {abs(trial.loss):.5f} in {trial.fit_seconds:.1f}s"
            if trial.ok
            else f"failed: {(trial.error or '').splitlines()[0][:80]}"
        )
        err_console.print(
            f"[{elapsed:6.1f}s] trial {name} ({trial.spec.origin}) finished: {outcome}",
            highlight=False,
            soft_wrap=True,
        )

    def render(self) -> Table:
        elapsed = time.time() - self.started
        title = f"AutoML  {elapsed:5.1f}s / {self.time_limit:g}s"
        if self.best:
            title += f"   best: {self.best[0]} ({self.best[1]:.5f})"
        table = Table(title=title, title_justify="left")
        for col in ("trial", "origin", "cv score", "fit", "note"):
            table.add_column(col)
        for row in self.rows[-12:]:
            table.add_row(*row)
        for name in self.running.values():
            table.add_row(name, "", "[yellow]running…[/]", "", "")
        return table


def train_command(
    dataset: str = typer.Argument(..., help="NAME or NAME@VERSION of a dataset"),
    target: str | None = typer.Option(
        None, "--target", help="target column (default: the dataset's)"
    ),
    time_limit: float = typer.Option(60.0, "--time-limit", help="wall-clock budget in seconds"),
    metric: str | None = typer.Option(
        None, "--metric", help="roc_auc, log_loss, accuracy, f1, rmse, mae, r2, …"
    ),
    task: str | None = typer.Option(
        None, "--task", help="binary, multiclass or regression (default: inferred)"
    ),
    test: str | None = typer.Option(
        None, "--test", help="held-out dataset to report test metrics on"
    ),
    name: str | None = typer.Option(
        None, "--name", help="model name (default: the dataset's name)"
    ),
    seed: int = typer.Option(0, "--seed"),
    folds: int | None = typer.Option(
        None,
        "--folds",
        help="cross-validation folds (default 5; from 100,000 rows one 10%% hold-out split)",
    ),
    families: str | None = typer.Option(None, "--families", help="comma-separated model families"),
    infer_limit: float | None = typer.Option(
        None,
        "--infer-limit",
        help="tables, text: seconds per row a batch prediction may cost on one core "
        "(e.g. 2e-6); trades accuracy for scoring speed",
    ),
    time_column: str | None = typer.Option(
        None, "--time-column", help="forecast, recommend: the column of timestamps"
    ),
    horizon: int | None = typer.Option(None, "--horizon", help="forecast: steps to forecast"),
    id_column: str | None = typer.Option(
        None, "--id-column", help="forecast: the series id column (many series)"
    ),
    known_covariates: str | None = typer.Option(
        None, "--known-covariates", help="forecast: columns known in advance (price,promo)"
    ),
    static_covariates: str | None = typer.Option(
        None, "--static-covariates", help="forecast: per-series constant columns"
    ),
    quantiles: str | None = typer.Option(
        None, "--quantiles", help="forecast: quantiles to predict (default 0.1,0.5,0.9)"
    ),
    windows: int | None = typer.Option(None, "--windows", help="forecast: backtest windows (3)"),
    transaction_column: str | None = typer.Option(
        None, "--transaction-column", help="rules: the basket (transaction) id column"
    ),
    item_column: str | None = typer.Option(
        None, "--item-column", help="rules, recommend: the item column"
    ),
    min_support: float | None = typer.Option(
        None, "--min-support", help="rules: minimum itemset support (default: automatic)"
    ),
    min_confidence: float | None = typer.Option(
        None, "--min-confidence", help="rules: minimum rule confidence (default 0.1)"
    ),
    k: int | None = typer.Option(
        None,
        "--k",
        help="clustering: the number of clusters (default: by the Krzanowski-Lai index); "
        "recommend: items per answer and the metrics' cut-off (10)",
    ),
    contamination: float | None = typer.Option(
        None, "--contamination", help="anomaly: share of rows flagged, in (0, 0.5] (0.05)"
    ),
    user_column: str | None = typer.Option(
        None, "--user-column", help="recommend: the column of user ids"
    ),
    rating_column: str | None = typer.Option(
        None, "--rating-column", help="recommend: interaction strength (default: 1 each)"
    ),
    text_column: str | None = typer.Option(
        None, "--text-column", help="ner: the column of texts (default: text)"
    ),
    entities_column: str | None = typer.Option(
        None,
        "--entities-column",
        help="ner: [[start, end, label], ...] spans to fine-tune on (default: entities, "
        "if present; without it the pretrained pipeline is served)",
    ),
    audio_column: str | None = typer.Option(
        None, "--audio-column", help="speech: the column of audio files (default: audio)"
    ),
    transcript_column: str | None = typer.Option(
        None,
        "--transcript-column",
        help="speech: reference transcripts to score the engines on (default: transcript, "
        "if present; without it the default engine is served unscored)",
    ),
    engine: str | None = typer.Option(
        None, "--engine", help="speech: whisper or pocketsphinx (default: the best scored)"
    ),
    max_audio_seconds: float | None = typer.Option(
        None, "--max-audio-seconds", help="speech: the longest clip served (default 120)"
    ),
) -> None:
    """Run AutoML on a dataset version and register the best model.

    Forecasting: ``--task forecast --time-column C --horizon H`` (plus ``--id-column``,
    covariates and ``--quantiles``).
    Association rules: ``--task rules --transaction-column T --item-column I``.
    Clustering: ``--task clustering [--k K]``. Anomaly detection: ``--task anomaly`` (plus
    ``--contamination`` and an optional two-valued label ``--target``, never a feature).
    Recommendation: ``--task recommend --user-column U --item-column I`` (plus
    ``--rating-column``, ``--time-column``, ``--k``).
    Entity recognition: ``--task ner`` on texts (``--text-column``), fine-tuned when an
    ``--entities-column`` of spans is there, else the pretrained pipeline.
    Speech to text: ``--task speech`` on a folder of clips; the packaged engines are scored
    on their transcripts (``--transcript-column``) and the best one is registered.
    """
    from lepton.learn.training import train_dataset
    from lepton.runtime.kinds import check_options, get_kind, resolve
    from lepton.store.project import Project

    given = {
        "time_column": time_column,
        "horizon": horizon,
        "id_column": id_column,
        "known_covariates": known_covariates,
        "static_covariates": static_covariates,
        "quantiles": quantiles,
        "n_windows": windows,
        "transaction_column": transaction_column,
        "item_column": item_column,
        "min_support": min_support,
        "min_confidence": min_confidence,
        "k": k,
        "contamination": contamination,
        "user_column": user_column,
        "rating_column": rating_column,
        "text_column": text_column,
        "entities_column": entities_column,
        "audio_column": audio_column,
        "transcript_column": transcript_column,
        "engine": engine,
        "max_audio_seconds": max_audio_seconds,
    }
    options = {key: v for key, v in given.items() if v is not None}
    if task is not None:  # else the dataset's kind decides (train_dataset checks then)
        check_options(task, options)
    project = Project.open()
    view = TrainingView(time_limit)
    with view:
        outcome = train_dataset(
            project,
            dataset,
            target=target,
            time_limit=time_limit,
            metric=metric,
            task=task,
            test_ref=test,
            model_name=name,
            seed=seed,
            n_folds=folds,
            families=families.split(",") if families else None,
            infer_limit=infer_limit,
            on_event=view,
            options=options or None,
            started_at=command_started_at(),  # --time-limit is the user's wall clock
        )
    automl = outcome.automl
    validated = (
        "backtest"
        if automl.task_ == "forecast"
        else "held-out"
        if automl.n_folds_ == 1
        else "cross-validated"
    )
    console.print(leaderboard_table(automl.leaderboard(), automl.metric_, validated))
    for note in automl.notes_:
        console.print(f"  [dim]• {note}[/]")
    summary = get_kind(automl.model_.kind).summary
    if summary:  # the kind's own table after the leaderboard (clustering: the profile)
        console.print(resolve(summary)(automl))
    if outcome.test_report:
        metrics = outcome.test_report["metrics"]
        console.print(f"test ({test}): " + ", ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
        if outcome.test_report.get("note"):
            console.print(f"  [dim]• {outcome.test_report['note']}[/]")
    total = sum(outcome.timings.values())
    console.print(
        f"[green]registered[/] {outcome.version.name}@{outcome.version.version} "
        f"(run {outcome.run.id[:8]}, {total:.1f}s of {time_limit:g}s"
        + (", [yellow]interrupted: kept the best so far[/]" if automl.interrupted_ else "")
        + ")"
    )
    if outcome.timings:  # where the budget went, from the process start
        console.print(
            "  [dim]time: " + ", ".join(f"{p} {s:.1f}s" for p, s in outcome.timings.items()) + "[/]"
        )


def leaderboard_table(frame: Any, metric: str, validated: str = "cross-validated") -> Table:
    """The leaderboard; forecasting adds one column per backtest window (w1 oldest)."""
    windows = [c for c in frame.columns if c.startswith("w") and c[1:].isdigit()]
    table = Table(title=f"Leaderboard ({metric}, {validated})")
    score = "backtest" if windows else "cv"
    columns = ["model", "origin", f"{score} {metric}", "± std", *windows, "fit s"]
    columns += [] if windows else ["predict ms/row"]
    for col in [*columns, "weight"]:
        table.add_column(col, justify="right" if col != "model" else "left")
    for row in frame.to_dict("records"):
        cells = [
            row["model"],
            row["origin"],
            f"{row['score']:.5f}",
            "" if row["score_std"] != row["score_std"] else f"{row['score_std']:.5f}",
            *(_blank_float(row[w]) for w in windows),
            f"{row['fit_seconds']:.1f}",
        ]
        if not windows:
            cells.append(f"{row['predict_ms_per_row']:.4f}")
        cells.append(f"{row['weight']:.2f}" if row["weight"] else "")
        table.add_row(*cells)
    return table


def _blank_float(value: Any) -> str:
    return "" if value is None or value != value else f"{value:.4f}"


def runs_command(
    limit: int = typer.Option(20, "--limit", min=1),
    reap: bool = typer.Option(
        False, "--reap", help="only mark failed the runs whose process is gone, and list those"
    ),
) -> None:
    """Recent runs with their status, timings and headline metrics.

    Runs whose process was killed (its pid gone, or its heartbeat lease expired) are
    marked failed first, so a killed run never shows as running.
    """
    from lepton.store.project import Project

    metadata = Project.open().metadata
    reaped = metadata.reap_runs()
    if reap:
        if not reaped:
            console.print("no stale runs: every running run's process is alive")
            return
        table = Table(title="Runs marked failed")
        for col in ("run", "kind", "name", "reason"):
            table.add_column(col)
        for run in reaped:
            table.add_row(run.id[:8], run.kind, run.name or "", run.error or "")
        console.print(table)
        return
    for run in reaped:
        err_console.print(
            f"[yellow]marked run {run.id[:8]} failed:[/] {run.error}", highlight=False
        )
    runs = metadata.list_runs(limit=limit)
    table = Table(title="Runs")
    for col in ("run", "kind", "name", "status", "started", "duration", "metrics"):
        table.add_column(col)
    for run in runs:
        metrics = ", ".join(
            f"{k}={v:.4g}" for k, v in (run.metrics or {}).items() if isinstance(v, int | float)
        )[:70]
        table.add_row(
            run.id[:8],
            run.kind,
            run.name or "",
            run.status,
            run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            f"{run.duration_s:.1f}s" if run.duration_s is not None else "",
            metrics,
        )
    console.print(table)


@models_app.command("list")
def models_list() -> None:
    """Registered models with their latest version and aliases."""
    from lepton.store.project import Project

    table = Table(title="Models")
    for col in ("model", "task", "latest", "versions", "aliases"):
        table.add_column(col)
    for model in Project.open().metadata.list_models():
        aliases = ", ".join(f"{a}→{v}" for a, v in sorted(model.aliases.items()))
        table.add_row(
            model.name, model.task or "", str(model.latest_version), str(model.n_versions), aliases
        )
    console.print(table)


@models_app.command("show")
def models_show(ref: str = typer.Argument(..., help="MODEL[@VERSION|@alias]")) -> None:
    """A model version's package: task, schema, metrics, lineage, ensemble."""
    from lepton.runtime.loader import package_folder, resolve
    from lepton.runtime.manifest import read_manifest
    from lepton.store.project import Project

    project = Project.open()
    record = resolve(project, ref)
    manifest = read_manifest(package_folder(project, record))
    console.print(
        f"[bold]{record.name}@{record.version}[/]  task={manifest.task}  kind={manifest.kind}  "
        f"target={manifest.target}  aliases={', '.join(record.aliases) or '-'}"
    )
    cv = manifest.metrics["cv"]
    console.print(f"cv {cv['metric']} = {cv['value']:.5f}  ({cv['how']})")
    if "test" in manifest.metrics:
        test = manifest.metrics["test"]
        console.print(
            "test: "
            + ", ".join(f"{k}={v:.4f}" for k, v in test["metrics"].items())
            + f"  ({test['how']})"
        )
    console.print(f"lineage: {json.dumps(manifest.lineage)}")
    table = Table(title="Inputs")
    for col in ("column", "kind", "details"):
        table.add_column(col)
    for column in manifest.input_schema:
        details = (
            f"{len(column.categories)} categories"
            if column.categories is not None
            else f"[{_blank(column.min)}, {_blank(column.max)}]"
        )
        table.add_row(column.name, column.kind, details)
    console.print(table)
    ens = Table(title="Ensemble")
    for col in ("member", "family", "weight"):
        ens.add_column(col)
    for member in manifest.ensemble:
        ens.add_row(member.name, member.family, f"{member.weight:.3f}")
    console.print(ens)
    importance = manifest.extra.get("feature_importance")
    if importance:
        imp = Table(title="Permutation importance (loss increase when shuffled)")
        imp.add_column("feature")
        imp.add_column("importance", justify="right")
        for row in importance[:10]:
            imp.add_row(row["feature"], f"{row['importance']:.5f}")
        console.print(imp)


def _blank(value: float | None) -> str:
    return "" if value is None else str(value)


@models_app.command("explain")
def models_explain(
    ref: str = typer.Argument(..., help="MODEL[@VERSION|@alias]"),
    data: str | None = typer.Option(
        None, "--data", help="a labelled dataset version (default: the model's training data)"
    ),
    rows: int = typer.Option(5000, "--rows", help="rows sampled for it"),
    repeats: int = typer.Option(3, "--repeats", help="shuffles per column"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
) -> None:
    """Permutation importance on demand: the loss increase when each input is shuffled."""
    from lepton.learn.training import explain_version
    from lepton.store.project import Project

    if rows < 1 or repeats < 1:
        raise DataError("--rows and --repeats must be at least 1")
    record, measured = explain_version(
        Project.open(), ref, data_ref=data, max_rows=rows, repeats=repeats
    )
    if as_json:
        print(json.dumps({"model": f"{record.name}@{record.version}", "importance": measured.rows}))
        return
    console.print(
        f"{record.name}@{record.version}: permutation importance on {measured.n_rows} rows,"
        f" {measured.repeats} repeat(s), {measured.seconds:.1f} s (loss increase when shuffled)"
    )
    table = Table()
    for col, justify in (("feature", "left"), ("importance", "right"), ("std", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for row in measured.rows:
        table.add_row(row["feature"], f"{row['importance']:.5f}", f"{row['std']:.5f}")
    console.print(table)


def _predict_on_cluster(
    model: str, input_path: Path, output: Path, *, remote: str | None, horizon: int | None
) -> None:
    """``lepton predict --cluster``: a table model scored by Ray Data replicas."""
    from lepton.compute.ray_scoring import score_on_cluster
    from lepton.runtime.forecasting import forecaster_of
    from lepton.runtime.loader import load_predictor
    from lepton.runtime.scoring import TABLE_OUTPUTS
    from lepton.store.project import Project

    if remote or horizon is not None:
        raise DataError("--cluster scores a table with a registered model; drop --remote/--horizon")
    if input_path.suffix.lower() != ".parquet" or not input_path.is_file():
        raise DataError(
            f"--cluster reads one Parquet file (its row groups are the unit of work); "
            f"{input_path} is not one"
        )
    project = Project.open()
    predictor, record = load_predictor(project, model)  # the exact version every replica loads
    schema = predictor.manifest.output_schema
    if forecaster_of(predictor) is not None or (
        schema.type not in TABLE_OUTPUTS and not schema.labels
    ):
        raise DataError(
            f"--cluster scores table models; {record.name} is a {predictor.manifest.kind} model"
        )
    ref = f"{record.name}@{record.version}"
    report = score_on_cluster(project.settings, ref, str(input_path.resolve()), output)
    console.print(
        f"wrote {report.rows} predictions from {ref} to {output} ({report.row_groups} row "
        f"groups on up to {report.replicas} Ray replicas, {report.seconds:.1f} s)"
    )


@models_app.command("alias")
def models_alias(
    ref: str = typer.Argument(..., help="MODEL@VERSION"),
    alias: str = typer.Argument(..., help="alias to point at it, e.g. production"),
) -> None:
    """Point an alias (production, staging, …) at a version; the change is recorded."""
    from lepton.runtime.loader import resolve
    from lepton.store.project import Project

    project = Project.open()
    record = resolve(project, ref)
    event = project.metadata.set_alias(record.name, alias, record.version, actor="cli")
    console.print(f"{record.name}@{alias} → {record.version} (was {event.from_version or '-'})")


def _write_transcripts(out: Any, answers: list[dict[str, Any]]) -> None:
    """Per clip: its transcript, its segments as JSON and its words per second."""
    import json

    out["transcript"] = [a["text"] for a in answers]
    out["segments"] = [json.dumps(a["segments"], ensure_ascii=False) for a in answers]
    out["words_per_second"] = [a["words_per_second"] for a in answers]


def predict_command(
    model: str = typer.Argument(
        ..., help="MODEL[@VERSION|@alias], or a deployment name with --remote"
    ),
    input_path: Path = typer.Argument(..., help="CSV/Parquet/JSONL of rows to score"),
    output: Path = typer.Option(
        ..., "-o", "--output", help="where to write predictions (.csv or .parquet)"
    ),
    remote: str | None = typer.Option(
        None, "--remote", help="URL of a running `lepton serve`; MODEL is then a deployment"
    ),
    key: str | None = typer.Option(
        None, "--key", envvar="LEPTON_API_KEY", help="API key for --remote (or LEPTON_API_KEY)"
    ),
    horizon: int | None = typer.Option(
        None, "--horizon", help="forecast: steps ahead (default: the trained horizon)"
    ),
    future: Path | None = typer.Option(
        None, "--future", help="forecast: known covariates for the forecast steps (file)"
    ),
    cluster: bool = typer.Option(
        False,
        "--cluster",
        help="score on the Ray cluster at LEPTON_RAY_ADDRESS with Ray Data, streamed in input order",
    ),
) -> None:
    """Score a file with a registered model (or a remote deployment); writes predictions.

    Forecasters take a file of recent history rows (time, series id, target, known
    covariates; stored series too) and write one row per series and step: the mean and
    each quantile. Speech models take a folder of clips, or a table whose audio column
    names files, and write each clip's transcript, segments (JSON) and words per second.
    """
    from lepton.data.sources import read_source

    suffix = output.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise DataError(f"--output must end in .csv or .parquet, not {suffix or 'nothing'}")
    if cluster:
        _predict_on_cluster(model, input_path, output, remote=remote, horizon=horizon)
        return
    source = read_source(input_path)
    frame = source.frame
    if source.kind in ("images", "audio"):  # a folder of files: paths relative to its root
        root = source.scratch or source.path
        column = "image" if source.kind == "images" else "audio"
        frame[column] = [str(root / p) for p in frame[column]]
    out = frame.copy()
    if remote and (horizon is not None or future is not None):
        raise DataError("--horizon/--future forecast locally; drop --remote (or POST /forecast)")
    if remote:
        from lepton.serve.client import Client

        with Client(remote, key) as client:
            if source.kind == "images":
                scored = client.predict_images(model, list(frame["image"]))
            elif source.kind == "audio":
                scored = client.predict_audio(model, list(frame["audio"]))
            else:
                scored = client.predict(model, frame)
        origin = f"{model}@{scored.attrs['version']} at {remote}"
        if source.kind == "audio":
            _write_transcripts(out, list(scored["prediction"]))
        else:
            for column in scored.columns:
                out[column] = scored[column].to_numpy()
    else:
        from lepton.runtime.forecasting import forecaster_of
        from lepton.runtime.loader import load_predictor
        from lepton.store.project import Project

        predictor, record = load_predictor(Project.open(), model)
        origin = f"{record.name}@{record.version}"
        forecaster = forecaster_of(predictor)
        if forecaster is None and (horizon is not None or future is not None):
            raise DataError(f"--horizon and --future are for forecasters; {origin} is not one")
        if forecaster is not None:
            later = read_source(future).frame if future is not None else None
            out = forecaster.forecast(frame, horizon=horizon, future=later)
        elif predictor.manifest.output_schema.type == "transcript":
            _write_transcripts(out, list(predictor.predict_raw(frame)))
        else:
            from lepton.runtime.scoring import prediction_columns

            scored = prediction_columns(predictor, frame)
            for column in scored.columns:
                out[column] = scored[column].to_numpy()
    tmp = output.with_name(f".{output.name}.tmp")
    if suffix == ".csv":
        out.to_csv(tmp, index=False)
    else:
        out.to_parquet(tmp, index=False)
    tmp.replace(output)
    if source.scratch is not None:
        import shutil

        shutil.rmtree(source.scratch, ignore_errors=True)
    console.print(f"wrote {len(out)} predictions from {origin} to {output}")
