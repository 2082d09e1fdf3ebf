"""The recommend kind's optimizer: native is measured, no ONNX variant is built, and why.

A recommender answers by a lookup (scores over learned arrays, each user's known items
masked, a popularity fallback), not by a per-row function; ONNX has nothing to export.
The table still shows what native costs: held-out examples are ``(user, item)``
interactions the model did not see, scored as hits (the item among the user's top k);
latency is one user's top-k, throughput users per second over a batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import LeptonError
from lepton.learn.metrics import Metric
from lepton.optimize.choose import check_objective
from lepton.optimize.measure import latency_ms, throughput
from lepton.optimize.protocol import BuiltVariant, Measure, MeasureOptions, Progress, VariantRun
from lepton.optimize.result import Variant
from lepton.runtime.manifest import PackageManifest
from lepton.runtime.recommending import NO_ONNX

BATCH_USERS = 256


def _hit_rate(y: Any, pred: Any) -> float:
    return float(np.mean(np.asarray(pred, dtype=float) == np.asarray(y, dtype=float)))


class RecommendBuilder:
    examples = "interactions"
    native_description = "native recommender (lookup over learned arrays)"

    def labelled_heldout(
        self,
        model: Any,
        manifest: PackageManifest,
        heldout: pd.DataFrame,
        objective: str,
        what: str,
    ) -> tuple[pd.DataFrame, NDArray[np.float64], Metric]:
        """Held-out (user, item) rows; y is 1 for each (a hit is what a perfect model scores)."""
        check_objective(objective)
        s = model.settings
        missing = [c for c in (s.user_column, s.item_column) if c not in heldout.columns]
        if missing:
            raise LeptonError(f"held-out {what} have no column {missing[0]!r}")
        rows = heldout[[s.user_column, s.item_column]].dropna().astype(str).reset_index(drop=True)
        if rows.empty:
            raise LeptonError(f"no held-out {what} to measure on")
        metric = Metric(f"hit_rate@{s.k}", _hit_rate, True, False, ("recommend",))
        return rows, np.ones(len(rows)), metric

    def features(self, model: Any, heldout: pd.DataFrame, say: Progress) -> pd.DataFrame:
        return heldout

    def build(
        self,
        model: Any,
        manifest: PackageManifest,
        features: pd.DataFrame,
        train: pd.DataFrame | None,
        workdir: Path,
        tolerance: float,
        notes: list[str],
        say: Progress,
    ) -> list[BuiltVariant]:
        notes.append(f"onnx-fp32 not built: {NO_ONNX}")
        return []

    def measurer(
        self, model: Any, features: pd.DataFrame, workdir: Path, options: MeasureOptions
    ) -> Measure:
        s = model.settings
        users = list(dict.fromkeys(features[s.user_column]))
        batch = users[:BATCH_USERS]

        def measure(variant: Variant) -> VariantRun:
            if variant.kind != "native":
                raise LeptonError(f"{variant.name}: {NO_ONNX}")
            answers = {a["user"]: a for a in model.recommend_many(users)}
            pred = np.array(
                [
                    float(item in {i["item"] for i in answers[user]["items"]})
                    for user, item in zip(
                        features[s.user_column], features[s.item_column], strict=True
                    )
                ]
            )
            p50, p99 = latency_ms(
                lambda i: model.recommend(users[i % len(users)]),
                len(users),
                seconds=options.seconds,
            )
            rate = throughput(
                lambda: model.recommend_many(batch), len(batch), seconds=options.seconds
            )
            size = sum(
                f.stat().st_size for f in (variant.folder / "native").glob("*") if f.is_file()
            )
            return VariantRun(pred, p50, p99, rate, size)

        return measure
