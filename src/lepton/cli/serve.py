"""``lepton serve``, ``lepton deploy``, ``lepton deployments …``, ``lepton keys …``."""

from __future__ import annotations

import os
import signal
import sys
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from lepton.cli.console import console, err_console
from lepton.errors import DataError

if TYPE_CHECKING:
    from lepton.serve.admission import AdmissionLimits
    from lepton.serve.deployments import DeploymentSpec
    from lepton.store.project import Project

deployments_app = typer.Typer(help="Deployments: traffic, canary, promote, rollback.")
keys_app = typer.Typer(help="API keys for the server (stored hashed).", no_args_is_help=True)


def serve_command(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    poll_seconds: float = typer.Option(
        2.0, "--poll-seconds", help="how often deployment changes are picked up"
    ),
    no_log: bool = typer.Option(False, "--no-log", help="do not write the prediction log"),
    max_in_flight: int = typer.Option(
        512, "--max-in-flight", help="prediction requests in flight before 429 (0: no limit)"
    ),
    max_in_flight_mb: float = typer.Option(
        4.0, "--max-in-flight-mb", help="request bodies in flight, MiB, before 429 (0: no limit)"
    ),
    key_concurrency: int = typer.Option(
        0, "--key-concurrency", help="requests one API key may have in flight (0: no limit)"
    ),
    admission_wait_ms: float = typer.Option(
        500.0,
        "--admission-wait-ms",
        help="how long a request over the limits waits for a slot before its 429",
    ),
    no_ui: bool = typer.Option(False, "--no-ui", help="do not mount the dashboard at /ui"),
    ray: bool = typer.Option(
        False,
        "--ray",
        help="serve on the Ray cluster at LEPTON_RAY_ADDRESS: each deployment a Ray Serve "
        "application, autoscaled by `lepton deploy --min-replicas/--max-replicas`",
    ),
    replica_cpus: float = typer.Option(
        1.0, "--replica-cpus", help="with --ray: CPUs each replica reserves"
    ),
) -> None:
    """Serve every active deployment of the project over HTTP (uvicorn, or Ray Serve)."""
    import uvicorn

    from lepton.serve.admission import AdmissionLimits
    from lepton.serve.app import create_app
    from lepton.store.project import Project

    project = Project.open()
    if not project.metadata.list_api_keys():
        console.print(
            "[yellow]no API keys yet:[/] every predict call will get 401; "
            "create one with `lepton keys create NAME --scope predict`"
        )
    if min(max_in_flight, max_in_flight_mb, key_concurrency, admission_wait_ms) < 0:
        raise DataError(
            "--max-in-flight, --max-in-flight-mb, --key-concurrency and --admission-wait-ms"
            " must be >= 0"
        )
    limits = AdmissionLimits(
        max_bytes=int(max_in_flight_mb * 1024 * 1024),
        max_requests=max_in_flight,
        per_key_requests=key_concurrency,
        max_wait_s=admission_wait_ms / 1000,
    )
    if ray:
        _serve_on_ray(project, host, port, poll_seconds, not no_log, limits, replica_cpus, no_ui)
        return
    app = create_app(
        project, poll_seconds=poll_seconds, log_predictions=not no_log, admission=limits
    )
    if not no_ui:
        from lepton.ui import mount_on_server

        mount_on_server(app, project)
    console.print(
        f"Lepton serving on http://{host}:{port}  (docs: http://{host}:{port}/docs"
        + ("" if no_ui else f", dashboard: http://{host}:{port}/ui/")
        + ")"
    )
    # uvicorn drains requests and flushes the log on SIGTERM, then re-raises the signal:
    # exit 0 then, since the shutdown was the graceful one that was asked for.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=os.environ.get("LEPTON_LOG_LEVEL", "warning"),
        timeout_graceful_shutdown=30,
    )


def _serve_on_ray(
    project: Project,
    host: str,
    port: int,
    poll_seconds: float,
    log_predictions: bool,
    limits: AdmissionLimits,
    replica_cpus: float,
    no_ui: bool,
) -> None:
    """``lepton serve --ray``: keep Ray Serve in line with the store until stopped."""
    address = project.settings.ray_address
    if not address:
        raise DataError(
            "--ray needs a cluster: set LEPTON_RAY_ADDRESS (host:port; "
            "`python -m lepton.compute.local_cluster up` starts one on this machine)"
        )
    if replica_cpus <= 0:
        raise DataError("--replica-cpus must be positive")
    try:
        from lepton.serve.ray_serve import RayServeController, ServerOptions
    except ImportError:
        raise DataError("--ray needs Ray Serve: pip install 'lepton-platform[ray]'") from None

    options = ServerOptions(
        poll_seconds=poll_seconds,
        log_predictions=log_predictions,
        admission=limits,
        replica_cpus=replica_cpus,
        extend_root=None if no_ui else "lepton.ui.app:mount_on_server",
    )
    controller = RayServeController(project, address, host=host, port=port, options=options)
    stopping = []
    controller.attach()
    # after attaching: Ray installs a SIGTERM handler of its own that would end the process
    # before the applications are deleted
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        with err_console.status(f"starting Ray Serve on {address}…"):
            controller.start()
            controller.wait_until_running()
        names = ", ".join(sorted(controller.deployed)) or "no deployments yet"
        console.print(
            f"Lepton serving on Ray at {controller.url}  ({names}; docs: {controller.url}/docs)",
            highlight=False,
        )
        controller.run(
            lambda: bool(stopping), lambda change: console.print(change, highlight=False)
        )
    except KeyboardInterrupt:
        pass
    finally:
        with err_console.status("stopping the Ray Serve applications…"):
            controller.stop()


def deploy_command(
    model: str = typer.Argument(..., help="MODEL[@VERSION|@alias]"),
    name: str | None = typer.Option(None, "--name", help="deployment name (default: the model's)"),
    canary: float | None = typer.Option(
        None, "--canary", help="send this percentage of traffic to the version (canary)"
    ),
    shadow: bool = typer.Option(False, "--shadow", help="mirror traffic to it; never answer"),
    max_batch_size: int | None = typer.Option(None, "--max-batch-size"),
    max_latency_ms: float | None = typer.Option(None, "--max-latency-ms"),
    unknown_categories: str | None = typer.Option(
        None,
        "--unknown-categories",
        help="reject (default: 422 naming the field) or allow (scored as missing, monitored)",
    ),
    min_replicas: int | None = typer.Option(
        None, "--min-replicas", help="on Ray Serve (`lepton serve --ray`): fewest replicas"
    ),
    max_replicas: int | None = typer.Option(
        None, "--max-replicas", help="on Ray Serve: most replicas the autoscaler may start"
    ),
    target_ongoing_requests: float | None = typer.Option(
        None,
        "--target-ongoing-requests",
        help="on Ray Serve: requests in flight per replica the autoscaler aims at",
    ),
    no_optimize: bool = typer.Option(
        False,
        "--no-optimize",
        help="deploy as is; by default a version never optimized is first (`lepton optimize`)",
    ),
) -> None:
    """Create or update a deployment; a running server picks it up without a restart.

    A version that was never optimized is optimized first, so it is served the fast way.
    """
    from lepton.optimize.deploying import check_request, current_choice, ensure_optimized
    from lepton.runtime.loader import resolve
    from lepton.serve.deployments import DeploymentSpec, ReplicaScaling, deploy
    from lepton.store.project import Project

    project = Project.open()
    record = resolve(project, model)
    scaling = ReplicaScaling(min_replicas, max_replicas, target_ongoing_requests)
    scaling.apply(DeploymentSpec("flags", record.name, []))  # bad flags fail before optimizing
    allow_unknown = _unknown_policy(unknown_categories)
    check_request(project, record, name, canary_percent=canary, shadow=shadow)
    if no_optimize:
        choice = current_choice(record, status="skipped")
    else:
        with err_console.status(f"optimizing {record.name}@{record.version}…") as status:
            choice = ensure_optimized(project, record, on_progress=status.update)
    if choice.warning:
        err_console.print(f"[yellow]warning:[/] {choice.message}", highlight=False, soft_wrap=True)
    else:
        console.print(choice.message, highlight=False, soft_wrap=True)
    before = _versions(project, name or record.name)
    spec = deploy(
        project,
        f"{record.name}@{record.version}",
        name=name,
        canary_percent=canary,
        shadow=shadow,
        max_batch_size=max_batch_size,
        max_latency_ms=max_latency_ms,
        allow_unknown_categories=allow_unknown,
        replicas=scaling,
        actor="cli",
    )
    routes = ", ".join(f"v{r.version} {r.weight:g}%" for r in spec.routes)
    shadows = f"; shadow: {', '.join(f'v{v}' for v in spec.shadows)}" if spec.shadows else ""
    console.print(f"[green]deployed[/] {spec.name} → {spec.model} ({routes}{shadows})")
    if choice.status == "optimized" and record.version in before:
        console.print(
            f"[yellow]note:[/] a running server keeps the v{record.version} it already loaded; "
            "restart it to serve the optimized variant",
            highlight=False,
        )


def _versions(project: Project, name: str) -> list[int]:
    """The versions a deployment serves now (none when it does not exist yet)."""
    from lepton.errors import NotFoundError
    from lepton.serve.deployments import get_spec

    try:
        return list(get_spec(project, name).versions)
    except NotFoundError:
        return []


def _unknown_policy(value: str | None) -> bool | None:
    if value is None:
        return None
    if value not in ("reject", "allow"):
        raise DataError("--unknown-categories must be 'reject' or 'allow'")
    return value == "allow"


@deployments_app.callback(invoke_without_command=True)
def deployments_list(ctx: typer.Context) -> None:
    """List deployments (default)."""
    if ctx.invoked_subcommand is not None:
        return
    from lepton.serve.deployments import list_specs
    from lepton.store.project import Project

    table = Table(title="Deployments")
    for col in ("deployment", "model", "traffic", "shadows", "previous", "batching", "replicas"):
        table.add_column(col)
    for spec in list_specs(Project.open()):
        table.add_row(
            spec.name,
            spec.model,
            ", ".join(f"v{r.version} {r.weight:g}%" for r in spec.routes),
            ", ".join(f"v{v}" for v in spec.shadows),
            ", ".join(f"v{v}" for v in spec.history[-3:]),
            f"≤{spec.max_batch_size} rows, ≤{spec.max_latency_ms:g} ms",
            _replicas(spec),
        )
    console.print(table)


def _replicas(spec: DeploymentSpec) -> str:
    """``1`` or ``1-4 @16`` (min-max, target requests in flight): the Ray Serve scaling."""
    if spec.min_replicas == spec.max_replicas:
        return str(spec.min_replicas)
    return f"{spec.min_replicas}-{spec.max_replicas} @{spec.target_ongoing_requests:g}"


@deployments_app.command("promote")
def deployments_promote(
    name: str,
    version: int | None = typer.Option(None, "--version"),
    reason: str | None = typer.Option(None, "--reason", help="why, kept in the history"),
) -> None:
    """Send all traffic to the canary (or --version)."""
    from lepton.serve.deployments import promote
    from lepton.store.project import Project

    spec = promote(Project.open(), name, version, actor="cli", reason=reason)
    console.print(f"[green]promoted[/] {spec.name}: v{spec.primary} takes 100%")


@deployments_app.command("rollback")
def deployments_rollback(
    name: str,
    reason: str | None = typer.Option(None, "--reason", help="why, kept in the history"),
) -> None:
    """Drop the canary, or go back to the previous primary."""
    from lepton.serve.deployments import rollback
    from lepton.store.project import Project

    spec = rollback(Project.open(), name, actor="cli", reason=reason)
    console.print(f"[green]rolled back[/] {spec.name}: v{spec.primary} takes 100%")


@deployments_app.command("history")
def deployments_history(
    name: str,
    limit: int = typer.Option(50, "--limit", help="changes to show, newest first"),
    offset: int = typer.Option(0, "--offset", help="skip this many newer changes"),
) -> None:
    """Who changed the deployment's traffic, when, and from what to what (newest first)."""
    from lepton.serve.deployments import describe_change
    from lepton.store.project import Project

    page = Project.open().metadata.deployment_history(name, offset=offset, limit=limit)
    table = Table(title=f"History of {name}")
    for col in ("when", "who", "action", "change", "reason"):
        table.add_column(col, overflow="fold")
    for event in page.items:
        action = event.action
        if event.detail.get("change"):
            action += f" ({event.detail['change']})"
        table.add_row(
            event.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            event.actor or "–",
            action,
            describe_change(event.detail),
            event.reason or "",
        )
    console.print(table)
    if not page.items:
        console.print(f"no recorded changes of {name!r}", highlight=False)
    elif page.has_next:
        console.print(
            f"{page.offset + 1}–{page.offset + len(page.items)} of {page.total}; "
            f"older: --offset {page.offset + len(page.items)}",
            highlight=False,
        )


@keys_app.command("create")
def keys_create(
    name: str = typer.Argument(..., help="a label for the key, e.g. the client's name"),
    scope: list[str] = typer.Option(["predict"], "--scope", help="predict, admin or metrics"),
) -> None:
    """Mint a key; it is shown once, only its hash is stored."""
    from lepton.serve.auth import SCOPES
    from lepton.store.project import Project

    bad = [s for s in scope if s not in SCOPES]
    if bad:
        raise DataError(f"unknown scope {bad[0]!r}; choose from {', '.join(SCOPES)}")
    token, record = Project.open().metadata.create_api_key(name, scopes=list(scope))
    console.print(f"key {record.id} ({', '.join(record.scopes)}): {token}", highlight=False)
    console.print("[dim]store it now: Lepton keeps only its hash[/]")


@keys_app.command("list")
def keys_list() -> None:
    """Keys with their scopes and status (never the secret)."""
    from lepton.store.project import Project

    table = Table(title="API keys")
    for col in ("id", "name", "prefix", "scopes", "created", "status"):
        table.add_column(col)
    for key in Project.open().metadata.list_api_keys():
        table.add_row(
            str(key.id),
            key.name,
            key.prefix + "…",
            ", ".join(key.scopes),
            key.created_at.strftime("%Y-%m-%d %H:%M"),
            "active" if key.active else "revoked",
        )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: int) -> None:
    """Revoke a key; servers stop accepting it within seconds."""
    from lepton.store.project import Project

    record = Project.open().metadata.revoke_api_key(key_id)
    console.print(f"revoked key {record.id} ({record.name})")
