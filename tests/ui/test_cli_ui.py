"""``lepton ui`` serves the dashboard on its own; ``lepton serve --no-ui`` leaves it out."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.helpers.home import home_env, open_project
from tests.helpers.servers import free_port
from tests.serve.conftest import start_server


def _wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"exited with {proc.returncode}"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within 60 s")


def test_lepton_ui_serves_the_dashboard_and_its_login(tmp_path: Path) -> None:
    env = home_env(tmp_path / "home")
    project = open_project(env)
    key, _ = project.metadata.create_api_key("ui-cli", scopes=["admin"])
    project.close()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lepton", "ui", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{base}/healthz", proc)
        with httpx.Client(base_url=base, timeout=10) as client:
            root = client.get("/")
            assert root.status_code == 307 and root.headers["location"] == "/ui/"
            form = client.get("/ui/login")
            token = re.search(r'name="login_token" value="([^"]+)"', form.text)
            assert token is not None
            done = client.post("/ui/login", data={"key": key, "login_token": token.group(1)})
            assert done.status_code == 303 and done.headers["location"] == "/ui/"
            overview = client.get("/ui/")
            assert overview.status_code == 200 and "Overview" in overview.text
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_lepton_serve_mounts_the_dashboard_unless_told_not_to(tmp_path: Path) -> None:
    env = home_env(tmp_path / "home")
    open_project(env).close()
    for extra, status in (((), 200), (("--no-ui",), 404)):
        server = start_server(env, extra=extra)
        try:
            assert httpx.get(f"{server.url}/ui/login", timeout=10).status_code == status
        finally:
            server.stop()
