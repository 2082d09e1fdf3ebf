"""Login with an admin key, logout. The key itself is never stored in the session."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lepton.ui.context import UiDep
from lepton.ui.security import ActionSession, safe_next
from lepton.ui.sessions import ABSOLUTE_TIMEOUT_S, LOGIN_COOKIE, SESSION_COOKIE
from lepton.ui.templating import url_prefix

router = APIRouter()


def _cookie_path(request: Request) -> str:
    return url_prefix(request) + "/"


def _login_form(
    request: Request, ui: UiDep, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = ui.templates.render(
        request,
        "login.html",
        status_code=status_code,
        login_token=token,
        error=error,
        next=request.query_params.get("next", ""),
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=900,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=_cookie_path(request),
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, ui: UiDep) -> HTMLResponse:
    return _login_form(request, ui)


@router.post("/login")
def login(
    request: Request,
    ui: UiDep,
    key: Annotated[str, Form()] = "",
    login_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, login_token):
        return _login_form(request, ui, error="the login form expired; try again", status_code=403)
    record = ui.project.metadata.verify_api_key(key.strip()) if key.strip() else None
    if record is None:
        return _login_form(request, ui, error="invalid or revoked API key", status_code=401)
    if "admin" not in record.scopes:
        return _login_form(
            request,
            ui,
            error=f"key {record.name!r} is not an admin key; the dashboard needs one",
            status_code=403,
        )
    session_id, _ = ui.sessions.open(record.id, record.name)
    prefix = url_prefix(request)
    response = RedirectResponse(safe_next(prefix, next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(ABSOLUTE_TIMEOUT_S),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=_cookie_path(request),
    )
    response.delete_cookie(LOGIN_COOKIE, path=_cookie_path(request))
    return response


@router.post("/logout")
def logout(request: Request, ui: UiDep, session: ActionSession) -> Response:
    ui.sessions.close(request.cookies.get(SESSION_COOKIE))
    prefix = url_prefix(request)
    response = RedirectResponse(f"{prefix}/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=_cookie_path(request))
    return response
