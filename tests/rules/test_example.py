"""The rules example runs from a clean checkout on the bundled Adult sample."""

from __future__ import annotations

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rules_adult.py"


def test_adult_rules_example(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("rules_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.run_example(tmp_path / "home", time_limit=6)
    assert result["version"] == 1 and result["n_rules"] > 0
    assert 0 < result["metrics"]["cv_hit_rate@5"] <= 1
    assert all("=" in s["item"] for s in result["suggestions"])
