"""Fired alerts, newest first, a page at a time, optionally of one deployment.

Read through ``metadata.alerts.page(offset=, limit=, deployment=)``: one page in SQL.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lepton.ui.context import UiDep
from lepton.ui.security import PageSession
from lepton.ui.templating import url_prefix

router = APIRouter()
PAGE_SIZE = 50


@router.get("/alerts", response_class=HTMLResponse)
def alerts_list(
    request: Request,
    ui: UiDep,
    session: PageSession,
    deployment: str | None = None,
    offset: int = 0,
) -> HTMLResponse:
    chosen = (deployment or "").strip() or None
    page = ui.project.metadata.alerts.page(
        offset=max(offset, 0), limit=PAGE_SIZE, deployment=chosen
    )
    prefix = url_prefix(request)
    query = urlencode({"deployment": chosen}) + "&" if chosen else ""
    names = sorted(d.name for d in ui.project.metadata.list_deployments())
    return ui.templates.render(
        request,
        "alerts.html",
        page=page,
        deployment=chosen,
        deployments=names,
        base=f"{prefix}/alerts?{query}",
    )
