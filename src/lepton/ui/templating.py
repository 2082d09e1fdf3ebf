"""Jinja2 rendering with autoescaping everywhere, and the few filters the pages need.

Every value a user chose (dataset, model, deployment and key names, parameters, alert
messages) reaches HTML through this environment, where autoescape is always on; no
template marks user data ``|safe``. Chart data travels as JSON inside
``<script type="application/json">`` blocks, which the browser never executes.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup


def _when(value: datetime | None) -> str:
    if value is None:
        return "–"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _ago(value: datetime | None) -> str:
    if value is None:
        return "–"
    seconds = (datetime.now(UTC) - value.astimezone(UTC)).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit} ago"
    return f"{max(seconds, 0):.0f} s ago"


def _num(value: Any, digits: int = 4) -> str:
    if isinstance(value, bool) or value is None:
        return "–" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return f"{value:.{digits}g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 60:
        return f"{value:.1f} s"
    return f"{value / 60:.1f} min"


def _json_block(value: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` block: ``<`` escaped so no text
    inside can close the tag, whatever a user named things."""
    text = json.dumps(value, default=str, allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # escaped just above for its one context


def url_prefix(request: Request) -> str:
    """Where the dashboard is mounted (``/ui``): every link and redirect starts with it."""
    return str(request.scope.get("root_path", "") or "")


class Templates:
    """The dashboard's template environment and its ``render`` entry point."""

    def __init__(self) -> None:
        self.env = Environment(
            loader=PackageLoader("lepton.ui", "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            when=_when, ago=_ago, num=_num, seconds=_seconds, json_block=_json_block
        )

    def render(
        self, request: Request, name: str, status_code: int = 200, **values: Any
    ) -> HTMLResponse:
        """Render ``name`` with the request's session, CSRF token and URL prefix added."""
        session = getattr(request.state, "ui_session", None)
        context = {
            "prefix": url_prefix(request),
            "path": request.url.path,
            "session": session,
            "csrf_token": session.csrf_token if session is not None else "",
            "flashes": session.take_flashes() if session is not None else [],
            **values,
        }
        html = self.env.get_template(name).render(context)
        return HTMLResponse(html, status_code=status_code)
