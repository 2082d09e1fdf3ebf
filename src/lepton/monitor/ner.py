"""Monitoring a NER deployment: have the texts changed, and are the entities still right?

Drift compares the logged texts and answers with the held-out profile the package
records (``extra.ner.profile``):

- **entity rate**, entities per token of each text (Kolmogorov-Smirnov);
- **out-of-vocabulary rate**, the share of each text's words unseen in training (KS):
  the first sign of a new domain, before the entities degrade;
- **label mix**, the shares of the labels answered (Jensen-Shannon distance, the 0.1
  line the rules kind uses).

Live entity F1 is measured when feedback sends the true entities of a logged text
(``label``: JSON ``[[start, end, label], …]``).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from lepton.learn.ner.profile import words as profile_words
from lepton.monitor.drift import DriftReport, FeatureDrift, detect_drift, jensen_shannon_distance
from lepton.monitor.inputs import InputChecks
from lepton.monitor.performance import LivePerformance, scored_per_version, training_metrics
from lepton.monitor.quality import check_quality
from lepton.monitor.rules import SHARE_THRESHOLD
from lepton.runtime.manifest import PackageManifest
from lepton.store.project import Project

SCHEMA = [
    {"name": "text", "kind": "text", "nullable": False},
    {"name": "entities", "kind": "text", "nullable": False},
]
METRIC = "entity_f1"


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    import spacy

    return spacy.blank("en")  # the English tokenizer the pipeline's make_doc uses


def text_rates(texts: pd.Series, entities: pd.Series, vocab: set[str]) -> pd.DataFrame:
    """Per text: entities per token and out-of-vocabulary share."""
    rates = []
    for text, spans in zip(texts.astype(str), entities, strict=True):
        words = profile_words(_tokenizer(), text)  # as the training profile counted them
        n = max(len(words), 1)
        found = len(json.loads(spans)) if isinstance(spans, str) and spans else 0
        rates.append((found / n, sum(w not in vocab for w in words) / n))
    return pd.DataFrame(rates, columns=["entity_rate", "oov_rate"])


def label_mix_drift(profile: dict[str, Any], labels: pd.Series) -> FeatureDrift:
    trained = profile.get("label_share", {})
    names = list(trained)
    live = dict.fromkeys(names, 0.0)
    other = 0.0
    for row in labels.fillna("").astype(str):
        for label in filter(None, row.split("|")):
            if label in live:
                live[label] += 1
            else:
                other += 1
    ref = np.array([trained[n] for n in names] + [0.0])
    cur = np.array([live[n] for n in names] + [other])
    distance = jensen_shannon_distance(ref, cur)
    return FeatureDrift(
        "label_mix",
        "categorical",
        "jensenshannon",
        distance,
        None,
        SHARE_THRESHOLD,
        distance > SHARE_THRESHOLD,
        0.0,
    )


def ner_checks(
    manifest: PackageManifest, reference: pd.DataFrame, current: pd.DataFrame
) -> InputChecks:
    """Entity-rate, OOV-rate and label-mix drift of the logged texts against training."""
    profile = manifest.extra.get("ner", {}).get("profile", {})
    sample = profile.get("sample", {})
    tokens = np.maximum(np.asarray(sample.get("n_tokens", []), dtype=float), 1.0)
    base = pd.DataFrame(
        {
            "entity_rate": np.asarray(sample.get("n_entities", []), dtype=float) / tokens,
            "oov_rate": np.asarray(sample.get("n_oov", []), dtype=float) / tokens,
        }
    )
    quality = check_quality(SCHEMA, current)
    if current.empty or "text" not in current.columns or base.empty:
        return InputChecks(None, quality, base)
    live = text_rates(current["text"], current["entities"], set(profile.get("vocab", [])))
    kinds = {"entity_rate": "numeric", "oov_rate": "numeric"}
    features = list(detect_drift(base, live, kinds=kinds).features)
    if profile.get("label_share"):
        features.append(label_mix_drift(profile, current.get("labels", pd.Series(dtype=str))))
    share = sum(f.drifted for f in features) / len(features)
    drift = DriftReport(features, share, share >= 0.5, len(base), len(current))
    return InputChecks(drift, quality, base)


def _spans(value: Any) -> set[tuple[int, int, str]]:
    try:
        items = json.loads(value) if isinstance(value, str) else []
    except json.JSONDecodeError:
        return set()
    out = set()
    for item in items if isinstance(items, list) else []:
        if isinstance(item, list) and len(item) == 3:
            out.add((int(item[0]), int(item[1]), str(item[2])))
    return out


def live_f1(frame: pd.DataFrame) -> dict[str, float]:
    """Strict entity-level F1 of the logged answers against the fed-back entities."""
    tp = n_pred = n_gold = 0
    for predicted, truth in zip(frame["in_entities"], frame["label"], strict=True):
        p, g = _spans(predicted), _spans(truth)
        tp, n_pred, n_gold = tp + len(p & g), n_pred + len(p), n_gold + len(g)
    if not len(frame):
        return {}
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {METRIC: f1, "precision": precision, "recall": recall}


def ner_performance(
    project: Project, model: str, manifest: PackageManifest, labelled: pd.DataFrame, bucket: str
) -> LivePerformance:
    """Live entity F1 per version and per time bucket, next to the held-out one."""
    if labelled.empty or "in_entities" not in labelled.columns:
        return LivePerformance()
    return scored_per_version(labelled, live_f1, training_metrics(manifest.metrics), bucket)


def retrain_ner(
    project: Project,
    deployment: str,
    *,
    margin: float = 0.002,
    holdout_share: float = 0.3,
    canary_percent: float = 10.0,
    promote_after: float | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    on_event: Any = None,
) -> Any:
    """Fed-back entities become annotated texts; the challenger must beat the champion's F1.

    The labelled live texts are split (seeded) into a fresh holdout and a training share;
    the training share is appended to the champion's data, the challenger is fine-tuned
    with the champion's settings, and both are scored on the holdout by entity F1.
    """
    from lepton.data.catalog import DataCatalog
    from lepton.data.splits import split_frame
    from lepton.errors import DataError
    from lepton.learn.ner.evaluation import evaluate_ner
    from lepton.monitor.retrain import MIN_LABELLED_ROWS, decide, train_challenger
    from lepton.runtime.loader import load_predictor, package_folder
    from lepton.runtime.manifest import read_manifest
    from lepton.serve.deployments import get_spec

    spec = get_spec(project, deployment)
    champion = project.metadata.get_model_version(spec.model, spec.primary)
    manifest = read_manifest(package_folder(project, champion))
    extra = manifest.extra.get("ner", {})
    text, entities = str(extra.get("text_column", "text")), "entities"
    labelled = project.predictions.labelled(deployment)
    if len(labelled) < MIN_LABELLED_ROWS:
        raise DataError(
            f"{deployment!r} has {len(labelled)} annotated predictions; retraining needs at "
            f"least {MIN_LABELLED_ROWS} (send the true entities as feedback labels)"
        )
    live = pd.DataFrame(
        {
            text: labelled["in_text"].astype(str).to_numpy(),
            entities: labelled["label"].astype(str).to_numpy(),
        }
    )
    train_live, holdout = split_frame(live, method="random", test_size=holdout_share, seed=seed)
    params = project.metadata.get_run(champion.run_id).params if champion.run_id else {}
    reference = DataCatalog(project).get(str(manifest.lineage["dataset"]))
    base = reference.to_pandas()
    column = extra.get("entities_column") or entities
    if column in base.columns and column != entities:
        base = base.rename(columns={column: entities})
    if entities not in base.columns:  # the champion was the pretrained pipeline: no spans
        base = base.iloc[0:0]
    combined = pd.concat([base[[text, entities]], train_live], ignore_index=True)
    options = {"text_column": text, "entities_column": entities}
    dataset, outcome = train_challenger(
        project,
        spec.model,
        reference.name,
        combined,
        target=None,
        task="ner",
        params=params,
        source=f"retrain of {deployment}: {reference.ref} + {len(train_live)} annotated live texts",
        time_limit=time_limit,
        seed=seed,
        on_event=on_event,
        options=options,
    )

    def score(version: int) -> float:
        predictor, _ = load_predictor(project, f"{spec.model}@{version}")
        model: Any = predictor.model  # a NerModel: its settings name the entities column
        frame = holdout.rename(columns={entities: model.settings.entities_column or entities})
        return float(evaluate_ner(model, frame)["metrics"][METRIC])

    champion_score = score(champion.version)
    challenger_score = score(outcome.version.version)
    return decide(
        project,
        deployment,
        spec.model,
        champion.version,
        outcome.version.version,
        dataset,
        metric=METRIC,
        champion_score=champion_score,
        challenger_score=challenger_score,
        improvement=challenger_score - champion_score,
        margin=margin,
        canary_percent=canary_percent,
        promote_after=promote_after,
        run_params={"holdout_share": holdout_share, "seed": seed},
        holdout_rows=len(holdout),
        training_rows=len(combined),
    )
