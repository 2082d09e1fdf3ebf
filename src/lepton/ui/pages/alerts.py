"""Fired alerts, newest first, a page at a time, optionally of one deployment.

Read through ``metadata.alerts.page(offset=, limit=, deployment=)`` when the store has it;
otherwise (older store code) through ``list_alerts``, sliced to the same page shape.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lepton.ui.context import UiDep
from lepton.ui.security import PageSession

router = APIRouter()
PAGE_SIZE = 50
FALLBACK_LIMIT = 10_000


@dataclass(frozen=True)
class _Page:
    items: list[Any]
    total: int
    offset: int
    limit: int

    @property
    def has_previous(self) -> bool:
        return self.offset > 0

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.total


def alerts_page(metadata: Any, *, offset: int, limit: int, deployment: str | None) -> Any:
    page = getattr(metadata.alerts, "page", None)
    if page is not None:
        accepted = inspect.signature(page).parameters
        wanted = {"offset": offset, "limit": limit, "deployment": deployment}
        return page(**{k: v for k, v in wanted.items() if k in accepted})
    items = metadata.list_alerts(deployment, limit=FALLBACK_LIMIT)
    return _Page(items[offset : offset + limit], len(items), offset, limit)


@router.get("/alerts", response_class=HTMLResponse)
def alerts_list(
    request: Request,
    ui: UiDep,
    session: PageSession,
    deployment: str | None = None,
    offset: int = 0,
) -> HTMLResponse:
    chosen = (deployment or "").strip() or None
    page = alerts_page(
        ui.project.metadata, offset=max(offset, 0), limit=PAGE_SIZE, deployment=chosen
    )
    prefix = request.scope.get("root_path", "") or ""
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
