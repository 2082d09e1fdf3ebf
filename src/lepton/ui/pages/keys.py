"""API keys: who may call the servers and this dashboard; minting and revoking them.

As ``lepton keys create`` / ``revoke``: ``metadata.create_api_key`` returns the plaintext
once and stores only its SHA-256 (the page shows it once, in a flash that is dropped when
rendered); ``revoke_api_key`` stamps ``revoked_at``, servers stop accepting the key within
seconds, and this dashboard ends the key's sessions at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lepton.errors import DataError, LeptonError
from lepton.serve.auth import SCOPES
from lepton.ui.context import UiDep
from lepton.ui.security import ActionSession, PageSession
from lepton.ui.templating import url_prefix

router = APIRouter()


def _back(request: Request) -> RedirectResponse:
    return RedirectResponse(f"{url_prefix(request)}/keys", status_code=303)


@router.get("/keys", response_class=HTMLResponse)
def keys_list(request: Request, ui: UiDep, session: PageSession) -> HTMLResponse:
    keys = sorted(ui.project.metadata.list_api_keys(), key=lambda k: k.id, reverse=True)
    return ui.templates.render(request, "keys.html", keys=keys, scopes=SCOPES)


@router.post("/keys")
def keys_create(
    request: Request,
    ui: UiDep,
    session: ActionSession,
    name: Annotated[str, Form()] = "",
    scopes: Annotated[list[str] | None, Form()] = None,
) -> Response:
    chosen = list(dict.fromkeys(scopes or []))
    try:
        bad = [s for s in chosen if s not in SCOPES]
        if bad:
            raise DataError(f"unknown scope {bad[0]!r}; choose from {', '.join(SCOPES)}")
        if not chosen:
            raise DataError("choose at least one scope")
        token, record = ui.project.metadata.create_api_key(name.strip(), scopes=chosen)
        ui.forget_key_cache()  # a new admin key can log in at once, not after the cache TTL
    except LeptonError as exc:
        session.flash("error", f"key not created: {exc}")
        return _back(request)
    session.flash(
        "ok",
        f"created key {record.id} {record.name!r} ({', '.join(record.scopes)}) by {session.key_name}",
    )
    session.flash(
        "key", f"{token} — copy it now: Lepton keeps only its hash and will not show it again"
    )
    return _back(request)


@router.post("/keys/{key_id}/revoke")
def keys_revoke(request: Request, key_id: int, ui: UiDep, session: ActionSession) -> Response:
    record = ui.project.metadata.revoke_api_key(key_id)
    ended = ui.sessions.close_for_key(record.id)
    ui.forget_key_cache()
    session.flash(
        "ok",
        f"revoked key {record.id} ({record.name}) by {session.key_name}"
        + (f"; ended {ended} dashboard session{'s' if ended != 1 else ''}" if ended else ""),
    )
    return _back(request)
