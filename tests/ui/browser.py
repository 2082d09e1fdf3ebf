"""Browser helpers for the dashboard tests: Debian's chromium driven by Playwright.

Playwright never downloads a browser here; it launches the system ``/usr/bin/chromium``
(Debian package ``chromium``). A missing browser is an error, never a skip.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# The tests run as root, where Chromium's sandbox cannot start ("Chromium sandboxing
# failed!"), so it is turned off both through Playwright and on the command line.
CHROMIUM_ARGS: tuple[str, ...] = ("--no-sandbox",)
ARTIFACTS = Path(os.environ.get("LEPTON_TEST_ARTIFACTS", str(REPO_ROOT / "test-artifacts"))) / "ui"
DOCS_SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"


def launch_browser(playwright: Playwright) -> Browser:
    """Launch headless Debian chromium; raise (never skip) when it is not installed."""
    if not CHROMIUM.is_file():
        raise RuntimeError(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium package "
            "(apt-get install -y chromium; .ci/run installs it)"
        )
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        chromium_sandbox=False,
        args=list(CHROMIUM_ARGS),
    )


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG of ``page`` as ``ARTIFACTS/<name>.png`` and return its path.

    With ``LEPTON_UI_DOCS_SCREENSHOTS=1`` it is also copied to ``docs/screenshots/``.
    """
    path = ARTIFACTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("LEPTON_UI_DOCS_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / f"{name}.png")
    return path
