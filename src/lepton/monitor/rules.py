"""Monitoring a rules deployment: have the baskets changed, do the suggestions still hit?

Drift compares the logged live baskets with the training baskets' profile that the
package records (``extra.rules.profile``): the share of baskets holding each of the top
items (Jensen-Shannon distance, Evidently's 0.1 line) and basket sizes (Kolmogorov-
Smirnov through the shared drift tests). Hit rate@k is measured when feedback names
the item the customer actually added: a hit when it was among the k suggestions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lepton.monitor.drift import DriftReport, FeatureDrift, detect_drift, jensen_shannon_distance
from lepton.monitor.inputs import InputChecks
from lepton.monitor.performance import LivePerformance, scored_per_version, training_metrics
from lepton.monitor.quality import check_quality
from lepton.runtime.manifest import PackageManifest
from lepton.store.project import Project

SHARE_THRESHOLD = 0.1  # Jensen-Shannon distance above which the item mix drifted
SCHEMA = [
    {"name": "items", "kind": "text", "nullable": False},
    {"name": "basket_size", "kind": "numeric", "nullable": False},
]


def item_share_drift(profile: dict[str, Any], baskets: pd.Series) -> FeatureDrift:
    """Jensen-Shannon distance between training and live shares of the top items (+ rest)."""
    trained = profile.get("item_share", {})
    names = list(trained)
    live_counts = dict.fromkeys(names, 0.0)
    other_live = 0.0
    for basket in baskets.dropna().astype(str):
        for item in basket.split("|"):
            if item in live_counts:
                live_counts[item] += 1
            else:
                other_live += 1
    size_mean = float(profile.get("size_mean", 1.0))
    ref = np.array([trained[n] for n in names] + [max(size_mean - sum(trained.values()), 0.0)])
    cur = np.array([live_counts[n] for n in names] + [other_live])
    distance = jensen_shannon_distance(ref, cur)
    drifted = distance > SHARE_THRESHOLD
    return FeatureDrift(
        "item_share", "categorical", "jensenshannon", distance, None, SHARE_THRESHOLD, drifted, 0.0
    )


def rules_checks(
    manifest: PackageManifest, reference: pd.DataFrame, current: pd.DataFrame
) -> InputChecks:
    """Item-share and basket-size drift of the logged baskets against training."""
    profile = manifest.extra.get("rules", {}).get("profile", {})
    quality = check_quality(SCHEMA, current)
    sizes = pd.DataFrame({"basket_size": np.asarray(profile.get("size_sample", []), dtype=float)})
    if current.empty or "items" not in current.columns or sizes.empty:
        return InputChecks(None, quality, sizes)
    live_sizes = pd.DataFrame(
        {"basket_size": pd.to_numeric(current["basket_size"], errors="coerce").to_numpy(float)}
    ).dropna()
    features = [item_share_drift(profile, current["items"])]
    if len(live_sizes):
        size_report = detect_drift(sizes, live_sizes, kinds={"basket_size": "numeric"})
        features += size_report.features
    share = sum(f.drifted for f in features) / len(features)
    drift = DriftReport(features, share, share >= 0.5, len(sizes), len(current))
    return InputChecks(drift, quality, sizes)


def hit_rates(frame: pd.DataFrame, labels: list[Any], k: int) -> dict[str, float]:
    """Hit rate@k of logged suggestions against the fed-back items (0 when none was suggested)."""
    names = [str(label) for label in labels]
    columns = [f"out_p_{n}" for n in names if f"out_p_{n}" in frame.columns]
    truth = frame["label"].astype(str).to_numpy()
    if not len(truth):
        return {}
    if not columns:
        return {f"hit_rate@{k}": 0.0}
    scores = frame[columns].to_numpy(dtype=float)
    items = np.asarray([c[len("out_p_") :] for c in columns], dtype=object)
    hits = 0
    for row, actual in zip(scores, truth, strict=True):
        top = [i for i in np.argsort(-row, kind="stable")[:k] if row[i] > 0]
        hits += actual in set(items[top])
    return {f"hit_rate@{k}": hits / len(truth)}


def rules_performance(
    project: Project, model: str, manifest: PackageManifest, labelled: pd.DataFrame, bucket: str
) -> LivePerformance:
    """Live hit rate@k per version and per time bucket, next to the held-out one."""
    if labelled.empty:
        return LivePerformance()
    k = int(manifest.extra.get("rules", {}).get("top_k", 5))
    return scored_per_version(
        labelled,
        lambda group: hit_rates(group, manifest.labels, k),
        training_metrics(manifest.metrics),
        bucket,
    )


REPORT_RULES = 25


def rules_sections(manifest: PackageManifest) -> list[tuple[str, str]]:
    """The HTML report's "Top rules" table: what the deployment serves, strongest first."""
    import html

    rules = manifest.extra.get("rules", {}).get("rules", [])[:REPORT_RULES]
    head = "".join(
        f"<th>{h}</th>"
        for h in ("antecedent", "consequent", "support", "confidence", "lift", "conviction")
    )
    rows = []
    for rule in rules:
        conviction = rule.get("conviction")
        cells = (
            html.escape(", ".join(map(str, rule["antecedent"]))),
            html.escape(", ".join(map(str, rule["consequent"]))),
            f"{rule['support']:.4f}",
            f"{rule['confidence']:.3f}",
            f"{rule['lift']:.2f}",
            "inf" if conviction is None else f"{conviction:.2f}",
        )
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    total = manifest.extra.get("rules", {}).get("n_rules", len(rules))
    title = f"Top {len(rules)} of {total} rules"
    return [(title, f"<table><tr>{head}</tr>{''.join(rows)}</table>")]
