"""Wire the dashboard's pages, static files, sessions and error pages to one project."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from lepton.errors import LeptonError
from lepton.store.project import Project
from lepton.ui.context import UiContext
from lepton.ui.security import CsrfError, LoginRequired, SecurityHeaders, login_redirect
from lepton.ui.templating import Templates

if TYPE_CHECKING:
    from lepton.serve.metrics import ServerMetrics

UI_PREFIX = "/ui"
STATIC = Path(__file__).parent / "static"
# page modules, in navigation order; each exposes ``router``
PAGES = (
    "auth",
    "overview",
    "datasets",
    "runs",
    "models",
    "deployments",
    "monitoring",
    "alerts",
    "keys",
)


def _page_modules() -> list[ModuleType]:
    modules: list[ModuleType] = []
    for name in PAGES:
        try:
            modules.append(import_module(f"lepton.ui.pages.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"lepton.ui.pages.{name}":
                raise
    return modules


def create_ui_app(project: Project, *, server_metrics: ServerMetrics | None = None) -> FastAPI:
    """The dashboard for ``project``, to be mounted at ``UI_PREFIX``."""
    from lepton.ui.jobs import Jobs

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ui = UiContext(
        project=project, templates=Templates(), server_metrics=server_metrics, jobs=Jobs(project)
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in _page_modules():
        app.include_router(module.router)
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return login_redirect(request)

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, exc: CsrfError) -> Response:
        return _error_page(request, 403, str(exc))

    @app.exception_handler(LeptonError)
    async def _lepton(request: Request, exc: LeptonError) -> Response:
        return _error_page(request, exc.http_status, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return _error_page(request, exc.status_code, str(exc.detail))

    return app


def _error_page(request: Request, status: int, message: str) -> Response:
    ui: UiContext = request.app.state.ui
    if request.headers.get("hx-request"):
        return HTMLResponse(
            ui.templates.env.get_template("partials/error.html").render(message=message),
            status_code=status,
            headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"},
        )
    return ui.templates.render(
        request, "error.html", status_code=status, status=status, message=message
    )


def mount_on_server(server: FastAPI, project: Project) -> None:
    """Mount the dashboard at ``UI_PREFIX`` on a ``lepton serve`` app, with its metrics.

    Why here and not in ``lepton.serve``: the server needs only the runtime and the
    store (its start-up time and its layer rule); the dashboard pulls in monitoring and
    retraining, so the command that wants both (``lepton serve``) joins them.
    """
    metrics: ServerMetrics = server.state.lepton.metrics
    server.mount(UI_PREFIX, create_ui_app(project, server_metrics=metrics))


def create_standalone_app(project: Project) -> FastAPI:
    """What ``lepton ui`` serves: the dashboard at ``/ui``, a health check, ``/`` → ``/ui/``."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/")
    def root() -> RedirectResponse:
        return RedirectResponse(f"{UI_PREFIX}/", status_code=307)

    app.mount(UI_PREFIX, create_ui_app(project))
    return app
