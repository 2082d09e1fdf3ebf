"""The landing page: what is deployed, what ran lately, what fired."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lepton.ui.context import UiDep
from lepton.ui.security import PageSession

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, ui: UiDep, session: PageSession) -> HTMLResponse:
    metadata = ui.project.metadata
    return ui.templates.render(
        request,
        "overview.html",
        runs=metadata.list_runs(limit=10),
        deployments=metadata.list_deployments(),
        alerts=metadata.list_alerts(limit=10),
    )
