"""Drift of free-text columns: length, vocabulary and meaning, between reference and live text.

Three views, each with its own verdict, because texts drift in different ways:

- **length**: characters per text, tested with the numeric rules of ``detect_drift``
  (KS on small references, normed Wasserstein otherwise) so thresholds match the
  tabular columns';
- **out-of-vocabulary rate**: the share of live tokens (scikit-learn's default token
  pattern, lower-cased) that never occur in the reference. Vocabulary size grows with
  sample size, so the verdict compares like with like: the reference is split in two
  halves, and the live OOV rate against half A's vocabulary is compared with half B's
  own OOV rate against it; drift when live exceeds that by ``OOV_MARGIN`` (5 points);
- **embedding drift**: a domain classifier (Evidently's default method for embeddings):
  logistic regression tells reference from live MiniLM embeddings, scored by
  cross-validated ROC-AUC. Drift when the AUC exceeds 0.55 *and* the one-sided 1%
  critical value of the AUC under no drift (Mann-Whitney null, standard deviation
  ``sqrt((n1 + n2 + 1) / (12 n1 n2))``), so a small window cannot cry wolf by chance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lepton.learn import text as textlib
from lepton.monitor.drift import FeatureDrift, detect_drift

OOV_MARGIN = 0.05
AUC_THRESHOLD = 0.55
AUC_Z = 2.326  # one-sided 1%
MAX_EMBED_ROWS = 1_000  # per side: enough for a stable AUC, ~10-40 s of MiniLM on a small CPU
MIN_EMBED_ROWS = 10


@dataclass
class TextDrift:
    """One text column's drift in length, vocabulary and embedding space."""

    name: str
    reference_rows: int
    current_rows: int
    length: FeatureDrift
    oov_rate: float  # live tokens not in the whole reference's vocabulary
    expected_oov_rate: float  # reference half B against half A's vocabulary
    current_oov_rate: float  # live tokens against half A's vocabulary (compared with the above)
    oov_drifted: bool
    embedding_auc: float | None = None
    embedding_threshold: float | None = None
    embedding_drifted: bool | None = None

    @property
    def drifted(self) -> bool:
        return self.length.drifted or self.oov_drifted or bool(self.embedding_drifted)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "drifted": self.drifted,
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            "length_test": self.length.test,
            "length_score": self.length.score,
            "length_drifted": self.length.drifted,
            "oov_rate": self.oov_rate,
            "expected_oov_rate": self.expected_oov_rate,
            "current_oov_rate": self.current_oov_rate,
            "oov_drifted": self.oov_drifted,
            "embedding_auc": self.embedding_auc,
            "embedding_threshold": self.embedding_threshold,
            "embedding_drifted": self.embedding_drifted,
        }


def text_drift(
    name: str,
    reference: pd.Series,
    current: pd.Series,
    *,
    embeddings: bool = True,
    seed: int = 0,
) -> TextDrift:
    """Drift of one text column; missing and blank texts are left out on both sides."""
    ref = _present(reference)
    cur = _present(current)
    lengths = detect_drift(
        pd.DataFrame({name: [float(len(t)) for t in ref]}),
        pd.DataFrame({name: [float(len(t)) for t in cur]}),
        kinds={name: "numeric"},
    ).features[0]
    ref_tokens = [textlib.tokens(t) for t in ref]
    cur_tokens = [tok for t in cur for tok in textlib.tokens(t)]
    vocabulary = {tok for toks in ref_tokens for tok in toks}
    order = np.random.default_rng(seed).permutation(len(ref_tokens))
    half_a = {tok for i in order[: len(order) // 2] for tok in ref_tokens[i]}
    half_b = [tok for i in order[len(order) // 2 :] for tok in ref_tokens[i]]
    expected = _oov(half_b, half_a)
    current_vs_a = _oov(cur_tokens, half_a)
    result = TextDrift(
        name,
        len(ref),
        len(cur),
        lengths,
        oov_rate=_oov(cur_tokens, vocabulary),
        expected_oov_rate=expected,
        current_oov_rate=current_vs_a,
        oov_drifted=bool(cur_tokens) and current_vs_a > expected + OOV_MARGIN,
    )
    if embeddings and min(len(ref), len(cur)) >= MIN_EMBED_ROWS:
        auc, threshold = domain_classifier_auc(_sample(ref, seed), _sample(cur, seed))
        result.embedding_auc, result.embedding_threshold = auc, threshold
        result.embedding_drifted = auc > threshold
    return result


def domain_classifier_auc(reference: list[str], current: list[str]) -> tuple[float, float]:
    """(cross-validated ROC-AUC of reference-vs-live on MiniLM embeddings, drift threshold)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    x = textlib.embed(reference + current)
    y = np.r_[np.zeros(len(reference)), np.ones(len(current))]
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    scores = cross_val_predict(
        LogisticRegression(C=1.0, max_iter=1000), x, y, cv=folds, method="predict_proba"
    )[:, 1]
    auc = float(roc_auc_score(y, scores))
    n1, n2 = len(reference), len(current)
    null_sd = math.sqrt((n1 + n2 + 1) / (12.0 * n1 * n2))
    return auc, max(AUC_THRESHOLD, 0.5 + AUC_Z * null_sd)


def _present(values: pd.Series) -> list[str]:
    return [str(t) for t in textlib.as_texts(values) if str(t).strip()]


def _oov(tokens: list[str], vocabulary: set[str]) -> float:
    if not tokens:
        return 0.0
    return sum(tok not in vocabulary for tok in tokens) / len(tokens)


def _sample(texts: list[str], seed: int) -> list[str]:
    if len(texts) <= MAX_EMBED_ROWS:
        return texts
    rows = np.random.default_rng(seed).choice(len(texts), MAX_EMBED_ROWS, replace=False)
    return [texts[i] for i in sorted(rows)]
