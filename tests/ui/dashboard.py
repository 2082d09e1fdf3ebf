"""A logged-in dashboard client over a fresh project, shared by the page tests.

In-process (Starlette's TestClient) for the page and security tests, which check HTML
and status codes; the browser tests (``test_browser.py``) use a real ``lepton ui``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi.testclient import TestClient

from lepton.store.project import Project
from lepton.ui import create_standalone_app

BASE_URL = "http://127.0.0.1"


@dataclass
class Dashboard:
    client: TestClient
    project: Project
    admin_key: str
    csrf: str

    def get(self, path: str) -> str:
        """The page's HTML; fails the test on anything but 200."""
        response = self.client.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:500]}"
        return response.text

    def post(self, path: str, data: dict[str, str] | None = None, *, htmx: bool = False) -> object:
        """A form POST with this session's CSRF token (what the pages' forms send)."""
        headers = {"Origin": BASE_URL}
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.post(
            path,
            data={**(data or {}), "csrf_token": self.csrf},
            headers=headers,
            follow_redirects=False,
        )


def login(client: TestClient, key: str) -> str:
    """Log ``client`` in with ``key`` through the real form; the session's CSRF token."""
    page = client.get("/ui/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert token is not None
    response = client.post(
        "/ui/login",
        data={"key": key, "login_token": token.group(1), "next": "/ui/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    overview = client.get("/ui/")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', overview.text)
    assert csrf is not None and csrf.group(1)
    return csrf.group(1)


def open_dashboard(project: Project) -> Dashboard:
    """A client logged in with a fresh admin key of ``project``."""
    key, _ = project.metadata.create_api_key("ui-admin", scopes=["admin"])
    client = TestClient(create_standalone_app(project), base_url=BASE_URL)
    return Dashboard(client, project, key, login(client, key))
