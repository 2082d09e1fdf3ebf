"""Resolved configuration: where the project's metadata and artifacts live.

Values come, highest priority first, from environment variables, a
``lepton.toml`` (``$LEPTON_CONFIG``, else ``./lepton.toml``, else
``$LEPTON_HOME/lepton.toml``) and defaults. Each resolved value remembers where
it came from so ``lepton config`` can explain itself.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lepton.errors import ConfigError

ENV_PREFIX = "LEPTON_"
KEYS = ("home", "store_url", "artifacts_url", "ray_address")


@dataclass(frozen=True)
class Settings:
    """Where a Lepton project keeps its state."""

    home: Path
    store_url: str
    artifacts_url: str
    ray_address: str | None = None
    config_file: Path | None = None
    sources: dict[str, str] = field(default_factory=dict)

    def as_rows(self) -> list[tuple[str, str, str]]:
        """(key, value, source) rows, for display."""
        rows = []
        for key in KEYS:
            value = getattr(self, key)
            rows.append(
                (key, "" if value is None else str(value), self.sources.get(key, "default"))
            )
        rows.append(("config_file", str(self.config_file or ""), "-"))
        return rows


def _find_config_file(env: dict[str, str], home: Path | None) -> Path | None:
    explicit = env.get(f"{ENV_PREFIX}CONFIG")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"LEPTON_CONFIG points to {path}, which is not a file")
        return path
    candidates = [Path.cwd() / "lepton.toml"]
    if home is not None:
        candidates.append(home / "lepton.toml")
    return next((c for c in candidates if c.is_file()), None)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    section = doc.get("lepton", doc)
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [lepton] must be a table")
    unknown = sorted(set(section) - set(KEYS) - {"alerts", "serve", "monitor", "learn"})
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(KEYS)}"
        )
    return section


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Resolve the settings from ``env`` (default: ``os.environ``) and config files."""
    env = dict(os.environ if env is None else env)
    sources: dict[str, str] = {}
    values: dict[str, Any] = {}

    env_home = env.get(f"{ENV_PREFIX}HOME")
    config_file = _find_config_file(env, Path(env_home).expanduser() if env_home else None)
    file_values = _read_toml(config_file) if config_file else {}

    for key in KEYS:
        env_value = env.get(f"{ENV_PREFIX}{key.upper()}")
        if env_value:
            values[key], sources[key] = env_value, f"env {ENV_PREFIX}{key.upper()}"
        elif key in file_values:
            values[key], sources[key] = str(file_values[key]), f"file {config_file}"

    home = Path(values.get("home") or Path.home() / ".lepton").expanduser().resolve()
    store_url = values.get("store_url") or f"sqlite:///{home / 'lepton.db'}"
    artifacts_url = values.get("artifacts_url") or str(home / "artifacts")
    return Settings(
        home=home,
        store_url=store_url,
        artifacts_url=artifacts_url,
        ray_address=values.get("ray_address"),
        config_file=config_file,
        sources=sources,
    )
