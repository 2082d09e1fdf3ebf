"""Who may see and do what: sessions on every page, CSRF on every action, strict headers.

- No page renders without a live session opened by an admin key that is still active.
- Every state-changing request (POST) must carry the session's CSRF token, as a form
  field ``csrf_token`` or an ``X-CSRF-Token`` header (htmx sends the header, see
  ``static/app.js``), and, when the browser says where it comes from, the same origin.
- Responses forbid framing and inline script (CSP), so even a value that escaped the
  template escaping could not run.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import Response

from lepton.errors import LeptonError
from lepton.ui.context import UiDep
from lepton.ui.sessions import SESSION_COOKIE, Session
from lepton.ui.templating import url_prefix

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


class LoginRequired(LeptonError):
    """No live session: pages redirect to the login form, htmx calls get a 401."""

    http_status = 401


class CsrfError(LeptonError):
    """A state-changing request without this session's CSRF token (or from elsewhere)."""

    http_status = 403


def _session(request: Request, ui: UiDep) -> Session:
    cookie = request.cookies.get(SESSION_COOKIE)
    session = ui.sessions.get(cookie)
    if session is not None and not ui.key_active(session.key_id):
        ui.sessions.close(cookie)  # the key was revoked: the session ends with it
        session = None
    if session is None:
        raise LoginRequired("log in with an admin key")
    request.state.ui_session = session
    return session


def _same_origin(request: Request) -> bool:
    """Origin (or Referer) names this host, when the browser sent either."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return source is None
    return urlsplit(source).netloc == request.headers.get("host", "")


async def _action_session(
    request: Request, session: Annotated[Session, Depends(_session)]
) -> Session:
    presented = request.headers.get("x-csrf-token")
    if presented is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        presented = value if isinstance(value, str) else None
    if not session.csrf_matches(presented) or not _same_origin(request):
        raise CsrfError("missing or wrong CSRF token: reload the page and try again")
    return session


PageSession = Annotated[Session, Depends(_session)]
ActionSession = Annotated[Session, Depends(_action_session)]


def login_redirect(request: Request) -> Response:
    """Where a request without a session goes: the login form, remembering the page."""
    prefix = url_prefix(request)
    target = f"{prefix}/login?next={quote(request.url.path)}"
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return Response(status_code=303, headers={"Location": target})


def safe_next(prefix: str, value: str | None) -> str:
    """A post-login destination inside the dashboard only (no open redirect)."""
    inside = bool(value) and str(value).startswith(prefix + "/")
    if inside and value and not value.startswith("//") and "\\" not in value and "://" not in value:
        return value
    return prefix + "/"


class SecurityHeaders(BaseHTTPMiddleware):
    """Strict headers on every dashboard response, and its server time for the benchmark."""

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        response.headers["Server-Timing"] = f"app;dur={elapsed_ms:.2f}"
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        if not request.url.path.startswith(url_prefix(request) + "/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response
