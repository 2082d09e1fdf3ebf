"""Deployments: what serves each name (routes, shadows, earlier primaries), its live traffic,
and the changes ``lepton deployments …`` / ``lepton deploy --canary`` / ``lepton retrain`` make.

Every action calls the library function its CLI twin calls (``serve/deployments.promote``,
``rollback``, ``deploy(canary_percent=…)`` after ``optimize/deploying.check_request``,
``monitor/retrain.retrain`` through ``ui.jobs``), so the deployment config and its
``history`` change exactly as from the terminal. A refused change comes back as a flash
and leaves the store as it was. Each change is recorded in the deployment's history
(``deployment_events``, written in the change's own transaction) as made by
``ui:<key name>``; the page's History section pages through it, newest first. Retrains
run as jobs (actor ``ui:<key name>`` on the job); what they ship is recorded by
``retrain``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lepton.errors import DataError, LeptonError
from lepton.serve.deployments import DeploymentSpec, describe_change
from lepton.store.metadata.records import DeploymentEventRecord, Page
from lepton.ui import live
from lepton.ui.context import UiContext, UiDep
from lepton.ui.security import ActionSession, PageSession
from lepton.ui.templating import url_prefix

router = APIRouter()
HISTORY_SIZE = 20
DEFAULT_RETRAIN_LIMIT = 60.0
MAX_RETRAIN_LIMIT = 24 * 3600.0


def _back(request: Request, name: str) -> RedirectResponse:
    from urllib.parse import quote

    return RedirectResponse(
        f"{url_prefix(request)}/deployments/{quote(name, safe='')}", status_code=303
    )


@router.get("/deployments", response_class=HTMLResponse)
def deployments_list(request: Request, ui: UiDep, session: PageSession) -> HTMLResponse:
    rows = [(r, DeploymentSpec.from_record(r)) for r in ui.project.metadata.list_deployments()]
    return ui.templates.render(request, "deployments.html", rows=rows)


def _live(ui: UiContext, name: str) -> dict[str, Any]:
    return {
        "traffic": live.traffic(ui.project, name),
        "server": live.server_counters(ui.server_metrics, name),
    }


def _history_rows(page: Page[DeploymentEventRecord]) -> list[dict[str, Any]]:
    """Each event with its change in words (``v1 100% → v1 80%, v2 20%``)."""
    return [
        {
            "event": event,
            "action": event.action
            + (f" ({event.detail['change']})" if event.detail.get("change") else ""),
            "change": describe_change(event.detail),
        }
        for event in page.items
    ]


@router.get("/deployments/{name}", response_class=HTMLResponse)
def deployment_detail(
    request: Request, name: str, ui: UiDep, session: PageSession, history_offset: int = 0
) -> HTMLResponse:
    from urllib.parse import quote

    record = ui.project.metadata.get_deployment(name)
    spec = DeploymentSpec.from_record(record)
    versions = ui.project.metadata.list_model_versions(spec.model)
    jobs = ui.jobs.recent(name)[:5] if ui.jobs is not None else []
    history = ui.project.metadata.deployment_history(
        name, offset=max(history_offset, 0), limit=HISTORY_SIZE
    )
    return ui.templates.render(
        request,
        "deployments_detail.html",
        record=record,
        spec=spec,
        versions=versions,
        jobs=jobs,
        history=history,
        history_rows=_history_rows(history),
        history_base=f"{url_prefix(request)}/deployments/{quote(name, safe='')}?history_",
        default_time_limit=int(DEFAULT_RETRAIN_LIMIT),
        **_live(ui, name),
    )


@router.get("/deployments/{name}/live", response_class=HTMLResponse)
def deployment_live(request: Request, name: str, ui: UiDep, session: PageSession) -> HTMLResponse:
    """The charts section alone, polled by htmx every 10 s."""
    ui.project.metadata.get_deployment(name)  # 404 for an unknown name
    return ui.templates.render(request, "partials/deployments_live.html", **_live(ui, name))


def _version(value: str) -> int | None:
    text = value.strip().lstrip("vV")
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise DataError(f"version must be a number, not {value!r}") from None


@router.post("/deployments/{name}/promote")
def deployment_promote(
    request: Request,
    name: str,
    ui: UiDep,
    session: ActionSession,
    version: Annotated[str, Form()] = "",
) -> Response:
    from lepton.serve.deployments import promote

    try:
        spec = promote(ui.project, name, _version(version), actor=f"ui:{session.key_name}")
        session.flash(
            "ok", f"promoted {spec.name}: v{spec.primary} takes 100% (by {session.key_name})"
        )
    except LeptonError as exc:
        session.flash("error", f"promote refused: {exc}")
    return _back(request, name)


@router.post("/deployments/{name}/rollback")
def deployment_rollback(request: Request, name: str, ui: UiDep, session: ActionSession) -> Response:
    from lepton.serve.deployments import rollback

    try:
        spec = rollback(ui.project, name, actor=f"ui:{session.key_name}")
        session.flash(
            "ok", f"rolled back {spec.name}: v{spec.primary} takes 100% (by {session.key_name})"
        )
    except LeptonError as exc:
        session.flash("error", f"rollback refused: {exc}")
    return _back(request, name)


def _percent(value: str) -> float:
    try:
        percent = float(value.strip().rstrip("%"))
    except ValueError:
        raise DataError(f"canary percent must be a number, not {value!r}") from None
    if percent != percent:  # NaN
        raise DataError("canary percent must be a number")
    return percent


@router.post("/deployments/{name}/canary")
def deployment_canary(
    request: Request,
    name: str,
    ui: UiDep,
    session: ActionSession,
    version: Annotated[str, Form()] = "",
    percent: Annotated[str, Form()] = "",
) -> Response:
    """What ``lepton deploy MODEL@VERSION --name NAME --canary P --no-optimize`` does."""
    from lepton.optimize.deploying import check_request, current_choice
    from lepton.runtime.loader import resolve
    from lepton.serve.deployments import deploy, get_spec

    try:
        spec = get_spec(ui.project, name)
        number = _version(version)
        if number is None:
            raise DataError("choose the version that takes the canary share")
        share = _percent(percent)
        record = resolve(ui.project, f"{spec.model}@{number}")
        check_request(ui.project, record, name, canary_percent=share, shadow=False)
        choice = current_choice(record, status="skipped")
        updated = deploy(
            ui.project,
            f"{record.name}@{record.version}",
            name=name,
            canary_percent=share,
            actor=f"ui:{session.key_name}",
        )
        routes = ", ".join(f"v{r.version} {r.weight:g}%" for r in updated.routes)
        session.flash("ok", f"canary set on {updated.name}: {routes} (by {session.key_name})")
        if choice.variant == "native" and not record.metadata.get("variant_of"):
            session.flash("info", f"{choice.message}; `lepton optimize` serves it faster")
    except LeptonError as exc:
        session.flash("error", f"canary refused: {exc}")
    return _back(request, name)


def _time_limit(value: str) -> float:
    if not value.strip():
        return DEFAULT_RETRAIN_LIMIT
    try:
        limit = float(value)
    except ValueError:
        raise DataError(f"time limit must be a number of seconds, not {value!r}") from None
    if not 0 < limit <= MAX_RETRAIN_LIMIT:
        raise DataError(f"time limit must be between 0 and {MAX_RETRAIN_LIMIT:g} seconds")
    return limit


def _jobs(ui: UiContext):  # type: ignore[no-untyped-def]
    if ui.jobs is None:
        raise LeptonError("this dashboard runs no background jobs")
    return ui.jobs


@router.post("/deployments/{name}/retrain")
def deployment_retrain(
    request: Request,
    name: str,
    ui: UiDep,
    session: ActionSession,
    time_limit: Annotated[str, Form()] = "",
) -> Response:
    """Start ``lepton retrain NAME`` in the background; htmx gets the job's fragment."""
    ui.project.metadata.get_deployment(name)
    htmx = bool(request.headers.get("hx-request"))
    try:
        job = _jobs(ui).start_retrain(
            name, actor=f"ui:{session.key_name}", time_limit=_time_limit(time_limit)
        )
    except LeptonError as exc:
        if htmx:
            response = ui.templates.render(
                request, "partials/error.html", status_code=409, message=str(exc)
            )
            response.headers["HX-Retarget"] = "#flash"
            response.headers["HX-Reswap"] = "innerHTML"
            return response
        session.flash("error", f"retrain refused: {exc}")
        return _back(request, name)
    if htmx:
        return ui.templates.render(request, "partials/jobs_status.html", deployment=name, job=job)
    session.flash("ok", f"retrain of {name} started (job {job.id}, by {session.key_name})")
    return _back(request, name)


@router.get("/deployments/{name}/jobs/{job_id}", response_class=HTMLResponse)
def deployment_job(
    request: Request, name: str, job_id: str, ui: UiDep, session: PageSession
) -> HTMLResponse:
    """One job's progress fragment (polled every 2 s while it runs)."""
    job = _jobs(ui).get(job_id)
    if job.target != name:
        from lepton.errors import NotFoundError

        raise NotFoundError(f"no job {job_id!r} for deployment {name!r}")
    return ui.templates.render(request, "partials/jobs_status.html", deployment=name, job=job)
