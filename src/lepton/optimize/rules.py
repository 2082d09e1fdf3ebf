"""The rules kind's optimizer: the native lookup measured, no ONNX variant, and why.

A rule set is looked up by set containment over a few hundred rules; there is no
numeric graph to export to ONNX, quantize or prune. ``lepton optimize`` on a rules
model measures the native predictor (latency, throughput, held-out hit rate@k) and
records why no variant was built.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import LeptonError
from lepton.learn.metrics import Metric
from lepton.learn.rules.baskets import build_baskets
from lepton.learn.rules.model import ITEMS, RulesModel
from lepton.optimize.choose import check_objective
from lepton.optimize.native_records import NativeRecordsBuilder
from lepton.runtime.manifest import PackageManifest
from lepton.runtime.rules import NoOnnxRules

BATCH = 256


def hit_metric(k: int) -> Metric:
    """Hit rate@k over score rows: the held-out item among the k best-scored (score > 0)."""

    def hits(y: Any, scores: Any) -> float:
        scores = np.asarray(scores, dtype=float)
        if not len(y):
            return 0.0
        top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        found = [
            int(t) >= 0 and t in row and scores[i, t] > 0
            for i, (t, row) in enumerate(zip(np.asarray(y), top, strict=True))
        ]
        return float(np.mean(found))

    return Metric(f"hit_rate@{k}", hits, True, True, ("rules",))


class RulesBuilder(NativeRecordsBuilder):
    """``VariantBuilder`` for rules models: native only, with the reason in the notes."""

    examples = "baskets"
    reason = NoOnnxRules.REASON
    batch = BATCH
    max_calls = 500
    native_description = "association rules (native set-containment lookup)"

    def labelled_heldout(
        self,
        model: RulesModel,
        manifest: PackageManifest,
        heldout: pd.DataFrame,
        objective: str,
        what: str,
    ) -> tuple[pd.DataFrame, NDArray[Any], Metric]:
        """Leave one item out of each held-out basket: the rest is asked, the item is y."""
        check_objective(objective)
        s = model.settings
        baskets = [b for b in build_baskets(heldout, s.transaction_column, s.item_column).lists()]
        rng = np.random.default_rng(0)
        queries, truth = [], []
        code = {item: i for i, item in enumerate(model.labels)}
        for basket in baskets:
            if len(basket) < 2:
                continue
            held = int(rng.integers(len(basket)))
            queries.append({ITEMS: basket[:held] + basket[held + 1 :]})
            truth.append(code.get(basket[held], -1))
        if not queries:
            raise LeptonError(f"no held-out {what} of two or more items to measure on")
        return pd.DataFrame(queries), np.asarray(truth, dtype=np.int64), hit_metric(s.top_k)
