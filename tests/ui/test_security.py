"""No page without a session; no action without the CSRF token; strict headers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from lepton.store.project import Project
from lepton.ui import create_standalone_app
from tests.ui.dashboard import BASE_URL, Dashboard, login

PAGES = (
    "/ui/",
    "/ui/datasets",
    "/ui/runs",
    "/ui/models",
    "/ui/deployments",
    "/ui/alerts",
    "/ui/keys",
)


def test_pages_redirect_to_login_without_a_session(project: Project) -> None:
    client = TestClient(create_standalone_app(project), base_url=BASE_URL)
    for path in PAGES:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/ui/login?next=")


def test_htmx_requests_without_a_session_get_401_with_a_redirect(project: Project) -> None:
    client = TestClient(create_standalone_app(project), base_url=BASE_URL)
    response = client.get("/ui/runs", headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.status_code == 401
    assert response.headers["hx-redirect"].startswith("/ui/login")


def test_only_admin_keys_log_in(project: Project) -> None:
    predict_key, _ = project.metadata.create_api_key("p", scopes=["predict"])
    client = TestClient(create_standalone_app(project), base_url=BASE_URL)
    for key, status in ((predict_key, 403), ("not-a-key", 401)):
        client.get("/ui/login")
        token = client.cookies.get("lepton_login") or ""
        response = client.post(
            "/ui/login", data={"key": key, "login_token": token}, follow_redirects=False
        )
        assert response.status_code == status
        assert "lepton_session" not in response.headers.get("set-cookie", "")


def test_login_form_needs_its_own_token(project: Project) -> None:
    key, _ = project.metadata.create_api_key("a", scopes=["admin"])
    client = TestClient(create_standalone_app(project), base_url=BASE_URL)
    client.get("/ui/login")
    response = client.post(
        "/ui/login", data={"key": key, "login_token": "forged"}, follow_redirects=False
    )
    assert response.status_code == 403


def test_session_cookie_is_httponly_samesite_and_expires(project: Project) -> None:
    key, _ = project.metadata.create_api_key("a", scopes=["admin"])
    client = TestClient(create_standalone_app(project), base_url=BASE_URL)
    page = client.get("/ui/login")
    token = client.cookies.get("lepton_login")
    response = client.post(
        "/ui/login", data={"key": key, "login_token": token or ""}, follow_redirects=False
    )
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("lepton_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=" in cookie
    assert page.status_code == 200


def test_actions_need_the_csrf_token_and_the_same_origin(dashboard: Dashboard) -> None:
    client = dashboard.client
    assert client.post("/ui/logout", follow_redirects=False).status_code == 403
    forged = client.post("/ui/logout", data={"csrf_token": "x"}, follow_redirects=False)
    assert forged.status_code == 403
    elsewhere = client.post(
        "/ui/logout",
        data={"csrf_token": dashboard.csrf},
        headers={"Origin": "http://evil.example"},
        follow_redirects=False,
    )
    assert elsewhere.status_code == 403
    assert client.get("/ui/", follow_redirects=False).status_code == 200  # still logged in
    ok = dashboard.post("/ui/logout")
    assert getattr(ok, "status_code", None) == 303
    assert client.get("/ui/", follow_redirects=False).status_code == 303


def test_revoking_the_key_ends_its_sessions(dashboard: Dashboard) -> None:
    record = next(k for k in dashboard.project.metadata.list_api_keys() if k.name == "ui-admin")
    dashboard.project.metadata.revoke_api_key(record.id)
    dashboard.client.app.state  # noqa: B018 - the app is real; its key cache is short
    import time

    time.sleep(5.2)  # the key check's cache lifetime (KEY_CHECK_TTL_S)
    assert dashboard.client.get("/ui/", follow_redirects=False).status_code == 303


def test_responses_carry_strict_headers(dashboard: Dashboard) -> None:
    response = dashboard.client.get("/ui/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["server-timing"].startswith("app;dur=")


def test_login_never_redirects_off_the_dashboard(project: Project) -> None:
    key, _ = project.metadata.create_api_key("a", scopes=["admin"])
    for target in ("https://evil.example/", "//evil.example/ui/", "/ui/\\evil", "/elsewhere"):
        client = TestClient(create_standalone_app(project), base_url=BASE_URL)
        client.get("/ui/login")
        response = client.post(
            "/ui/login",
            data={
                "key": key,
                "login_token": client.cookies.get("lepton_login") or "",
                "next": target,
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == "/ui/", target
    assert login is not None
