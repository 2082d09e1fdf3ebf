"""Keeping the caches third-party libraries write inside the project home.

Why: onnxruntime writes ``~/.cache/Microsoft/DeveloperTools/.onnxruntime/deviceid`` and
``onnxruntime.db`` the moment it is imported, and matplotlib (the HTML reports) its font
cache under ``~/.cache`` or ``~/.config``: writes outside ``LEPTON_HOME`` that a locked
down or read-only home refuses. All of these follow ``XDG_CACHE_HOME`` (so do torch,
Hugging Face and numba's fallback) or ``MPLCONFIGDIR``; both are pointed under the home
by ``keep_caches_in`` before any of those libraries is imported: first thing in the CLI,
and whenever a project is opened (the Python API, servers).
"""

from __future__ import annotations

import os
from pathlib import Path

from lepton.config import load_settings
from lepton.errors import ConfigError

CACHE_FOLDER = "cache"


def cache_variables(home: Path) -> dict[str, str]:
    """The environment variables that put library caches under ``home/cache``."""
    root = home / CACHE_FOLDER
    return {"XDG_CACHE_HOME": str(root), "MPLCONFIGDIR": str(root / "matplotlib")}


def keep_caches_in(home: Path) -> None:
    """Point library caches at ``home`` for this process and its children.

    A variable the user has already set is theirs and is left alone.
    """
    for key, value in cache_variables(home).items():
        os.environ.setdefault(key, value)


def keep_caches_in_project_home() -> None:
    """``keep_caches_in`` the home the settings resolve to, as a process starts.

    A broken configuration is left for the command itself to report on one line.
    """
    try:
        home = load_settings().home
    except ConfigError:
        return
    keep_caches_in(home)
