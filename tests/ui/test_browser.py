"""The dashboard in a real browser: Debian's chromium, driven by Playwright (issue 16).

One ``lepton serve`` (which mounts the dashboard at ``/ui``) over a real project: a
dataset (one column named like an HTML tag), two trained versions of ``churn`` with the
second optimized, a deployment with a canary, logged predictions, and an alert whose
message is HTML. Each test opens its own browser context (its own cookies) and writes
screenshots into the test artifacts (``tests/ui/browser.py``).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    expect,
    sync_playwright,
)

from lepton.data.catalog import DataCatalog
from lepton.learn.training import train_dataset
from lepton.optimize import optimize
from lepton.serve.deployments import deploy, get_spec
from lepton.store.project import Project
from tests.helpers.home import home_env, open_project
from tests.serve.conftest import Server, churn_frame, start_server
from tests.ui.browser import launch_browser, screenshot

HOSTILE = "<img src=x onerror=alert(1)>"


@dataclass
class Site:
    server: Server
    project: Project
    admin_key: str
    deployment: str

    @property
    def ui(self) -> str:
        return f"{self.server.url}/ui"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    env = home_env(tmp_path_factory.mktemp("ui-browser-home"))
    project = open_project(env)
    catalog = DataCatalog(project)
    rng = np.random.default_rng(0)
    odd = pd.DataFrame({HOSTILE: rng.normal(size=50), "plain": rng.integers(0, 5, size=50)})
    catalog.add_frame(odd, name="odd", target=None)
    ref = catalog.add_frame(churn_frame(), name="churn", target="y")[0].ref
    train_dataset(project, ref, time_limit=6, families=["linear"], n_folds=3)
    ref2 = catalog.add_frame(churn_frame(seed=1), name="churn", target="y")[0].ref
    train_dataset(project, ref2, time_limit=6, families=["linear"], n_folds=3, model_name="churn")
    optimize(project, "churn@2", measure_seconds=0.3, measure_memory=False)
    deployment = "churn-live"
    deploy(project, "churn@1", name=deployment)
    deploy(project, "churn@2", name=deployment, canary_percent=20)
    project.metadata.set_alias("churn", "production", 1, actor="cli", reason=HOSTILE)
    project.metadata.record_alert(
        deployment,
        rule="drift",
        kind="drift",
        message=f"feature {HOSTILE} drifted",
        value=0.4,
        threshold=0.2,
    )
    admin_key, _ = project.metadata.create_api_key("browser-admin", scopes=["admin"])
    predict_key, _ = project.metadata.create_api_key("browser-predict", scopes=["predict"])
    server = start_server(env)
    rows = churn_frame(n=20, seed=2).drop(columns=["y"]).to_dict(orient="records")
    with server.client(predict_key) as client:
        for _ in range(5):
            answer = client.post(f"/v1/deployments/{deployment}/predict", json={"records": rows})
            assert answer.status_code == 200, answer.text
    try:
        yield Site(server, project, admin_key, deployment)
    finally:
        server.stop()
        project.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_browser(playwright)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def on_console(message: ConsoleMessage) -> None:
        # a refused login answers 401, which chromium reports as a failed load: expected
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console {message.type}: {message.text}")

    def on_dialog(dialog: Dialog) -> None:
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("console", on_console)
    page.on("dialog", on_dialog)
    yield page
    context.close()
    # no script error, no CSP violation (they are console errors), no alert() ever
    assert problems == []


def log_in(page: Page, site: Site) -> None:
    page.goto(f"{site.ui}/")
    expect(page).to_have_url(re.compile(r"/ui/login"))
    page.get_by_label("API key").fill(site.admin_key)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{site.ui}/")


def test_login_then_every_page(page: Page, site: Site) -> None:
    log_in(page, site)
    screenshot(page, "overview")
    run_id = site.project.metadata.list_runs(limit=1)[0].id
    visits = [
        ("Datasets", "datasets", "Datasets"),
        ("Runs", "runs", "Runs"),
        ("Models", "models", "Models"),
        ("Deployments", "deployments", "Deployments"),
        ("Monitoring", "monitoring", "Monitoring"),
        ("Alerts", "alerts", "Alerts"),
        ("Keys", "keys", "Keys"),
    ]
    for link, shot, heading in visits:
        page.get_by_role("navigation").get_by_role("link", name=link, exact=True).click()
        expect(page.locator("h1")).to_contain_text(heading, ignore_case=True)
        screenshot(page, shot)
    details = [
        ("/datasets/churn", "dataset", "churn"),
        (f"/runs/{run_id}", "run", run_id[:8]),
        ("/models/churn", "model", "churn"),
        ("/models/churn/2", "model-version", "churn"),
        (f"/deployments/{site.deployment}", "deployment", site.deployment),
        (f"/monitoring/{site.deployment}", "monitoring-deployment", site.deployment),
    ]
    runs = [r.id for r in site.project.metadata.list_runs(limit=2)]
    details.append(("/runs/compare?" + "&".join(f"ids={r}" for r in runs), "runs-compare", "ompar"))
    for path, shot, text in details:
        answer = page.goto(f"{site.ui}{path}")
        assert answer is not None and answer.status == 200, path
        expect(page.locator("h1")).to_contain_text(text)
        page.wait_for_load_state("networkidle")
        screenshot(page, shot)
    # the charts were drawn by the vendored uPlot, not left as empty boxes
    page.goto(f"{site.ui}/models/churn/2")
    expect(page.locator(".uplot").first).to_be_visible()


def test_promote_then_rollback_from_the_browser(page: Page, site: Site) -> None:
    name = f"ui-{uuid.uuid4().hex[:8]}"
    deploy(site.project, "churn@1", name=name)
    deploy(site.project, "churn@2", name=name, canary_percent=25)
    log_in(page, site)
    page.goto(f"{site.ui}/deployments/{name}")
    page.get_by_role("button", name=re.compile("^Promote")).click()
    expect(page.locator("#flash")).to_contain_text("promot")
    spec = get_spec(site.project, name)
    assert [(r.version, r.weight) for r in spec.routes] == [(2, 100.0)]
    screenshot(page, "deployment-promoted")
    page.get_by_role("button", name=re.compile("^Roll ?back", re.IGNORECASE)).click()
    expect(page.locator("#flash")).to_contain_text("roll")
    spec = get_spec(site.project, name)
    assert spec.primary == 1
    # and through the HTTP API: the server picks the change up on its next poll (0.3 s)
    assert served_routes(site, name) == [1]


def served_routes(site: Site, name: str, within_s: float = 10.0) -> list[int]:
    """The versions ``GET /v1/deployments`` routes ``name`` to, once the server has
    picked up the rollback (or whatever it serves when ``within_s`` runs out)."""
    deadline = time.monotonic() + within_s
    versions: list[int] = []
    with httpx.Client(base_url=site.server.url, timeout=30) as client:
        while time.monotonic() < deadline:
            answer = client.get(
                "/v1/deployments", headers={"Authorization": f"Bearer {site.admin_key}"}
            )
            assert answer.status_code == 200, answer.text
            listed = {d["name"]: d for d in answer.json()["deployments"]}
            versions = [r["version"] for r in listed.get(name, {}).get("routes", [])]
            if versions == [1]:
                break
            time.sleep(0.2)
    return versions


def test_hostile_names_render_as_text(page: Page, site: Site) -> None:
    log_in(page, site)
    page.goto(f"{site.ui}/datasets/odd")
    expect(page.get_by_text(HOSTILE).first).to_be_visible()
    assert page.locator("img[src='x']").count() == 0
    page.goto(f"{site.ui}/alerts")
    expect(page.get_by_text(HOSTILE, exact=False).first).to_be_visible()
    assert page.locator("img[src='x']").count() == 0
    page.goto(f"{site.ui}/models/churn")
    assert page.locator("img[src='x']").count() == 0
    screenshot(page, "hostile-names")


def test_no_page_without_a_session(page: Page, site: Site) -> None:
    for path in ("/", "/runs", "/models/churn", f"/deployments/{site.deployment}", "/keys"):
        page.goto(f"{site.ui}{path}")
        expect(page).to_have_url(re.compile(r"/ui/login\?next="))
    page.get_by_label("API key").fill("not-a-key")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("invalid")
    screenshot(page, "login-refused")
