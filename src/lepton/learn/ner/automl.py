"""The NER kind's training entry point: the pretrained pipeline, or fine-tuned on your spans.

Without an entities column the pretrained pipeline is packaged as it is (its labels are
OntoNotes'), and the texts only give the monitoring reference. With one, a seeded 20%
of the annotated texts is held out: the pretrained pipeline is scored there (its labels
mapped to yours, the map learnt on the training texts) and so is the fine-tuned one,
early-stopped on that split; the better of the two is registered.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lepton.errors import DataError
from lepton.learn.ner.finetune import EVAL_SAMPLE, examples, fine_tune
from lepton.learn.ner.mapping import learn_label_map
from lepton.learn.ner.model import NerModel
from lepton.learn.ner.pipeline import base_version, dump, load_base, recognizer, restore
from lepton.learn.ner.profile import build_profile, vocabulary
from lepton.learn.ner.scoring import entity_scores
from lepton.learn.ner.settings import NerSettings
from lepton.learn.ner.spans import Span, parse_spans
from lepton.learn.trials import FamilySearch, FamilyTrial

if TYPE_CHECKING:
    from lepton.learn.automl import AutoML

METRIC = "entity_f1"
MIN_ANNOTATED = 10
MAP_SAMPLE = 2000  # training texts the pretrained label map is learnt on
RESERVE_SHARE, RESERVE_MIN_S = 0.2, 3.0  # of the budget: final scoring, profile, packaging


def read_texts(frame: pd.DataFrame, column: str) -> list[str]:
    texts = []
    for row, value in enumerate(frame[column].tolist()):
        if not isinstance(value, str) or not value.strip():
            raise DataError(
                f"row {row}: {column!r} is empty; every text needs some characters", field=column
            )
        texts.append(value)
    return texts


def fit_ner(automl: AutoML, frame: pd.DataFrame, column_kinds: dict[str, str]) -> AutoML:
    """``AutoML.fit`` for ``task="ner"`` (named by ``lepton.runtime.kinds.ner``)."""
    settings = NerSettings.from_options(automl.options or {}, frame)
    budget = float(automl.time_limit)
    started = time.monotonic() - (time.time() - automl.started_)
    deadline = started + budget - max(RESERVE_MIN_S, RESERVE_SHARE * budget)
    texts = read_texts(frame, settings.text_column)
    notes = automl.notes_
    if settings.entities_column is None:
        model, rows, how = _pretrained_only(settings, texts, automl.seed, notes)
    else:
        gold = [
            parse_spans(v, t, row=i, field=settings.entities_column)
            for i, (v, t) in enumerate(zip(frame[settings.entities_column], texts, strict=True))
        ]
        model, rows, how = _fine_tuned(settings, texts, gold, deadline, automl.seed, notes)
    from lepton.learn.automl import LeaderboardRow

    automl.task_, automl.metric_, automl.n_folds_ = "ner", METRIC, 1
    automl.validation_how_ = how
    automl.model_ = model
    automl.search_ = FamilySearch([FamilyTrial(r["model"], True, r["fit_seconds"]) for r in rows])
    automl.interrupted_ = False
    automl.leaderboard_ = [LeaderboardRow(**r) for r in rows]
    automl.fit_seconds_ = time.time() - automl.started_
    return automl


def _row(
    name: str, origin: str, score: float, seconds: float, weight: float, ms_per_row: float = 0.0
) -> dict[str, Any]:
    return {
        "model": name,
        "family": "spacy-ner",
        "origin": origin,
        "score": score,
        "score_std": float("nan"),
        "fit_seconds": seconds,
        "predict_ms_per_row": ms_per_row,  # spans of one held-out text, one core
        "weight": weight,
        "params": {},
    }


def _pretrained_only(
    settings: NerSettings, texts: list[str], seed: int, notes: list[str]
) -> tuple[NerModel, list[dict[str, Any]], str]:
    nlp = restore(dump(load_base(settings.base)))  # as the package will reload it
    labels = list(recognizer(nlp).labels)
    details = {"chosen": "pretrained", "base_version": base_version(settings.base)}
    model = NerModel(nlp, settings, labels, {x: x for x in labels}, {}, details)
    sample = _sample(texts, seed)
    model.profile = build_profile(nlp, sample, model.spans(sample), vocabulary(nlp, texts), seed)
    notes.append(
        f"no entities column: serving the pretrained {settings.base} pipeline "
        f"({len(labels)} OntoNotes labels); the {len(texts)} texts are the monitoring reference"
    )
    rows = [_row("pretrained", settings.base, float("nan"), 0.0, 1.0)]
    return model, rows, "not scored: no annotated texts (pretrained pipeline served as is)"


def _fine_tuned(
    settings: NerSettings,
    texts: list[str],
    gold: list[list[Span]],
    deadline: float,
    seed: int,
    notes: list[str],
) -> tuple[NerModel, list[dict[str, Any]], str]:
    annotated = sum(bool(g) for g in gold)
    if annotated < MIN_ANNOTATED:
        raise DataError(
            f"--task ner needs at least {MIN_ANNOTATED} texts with entities to fine-tune "
            f"(found {annotated}); drop --entities-column to serve the pretrained pipeline",
            field=settings.entities_column,
        )
    labels = sorted({s.label for row in gold for s in row})
    order = np.random.default_rng(seed).permutation(len(texts))
    n_held = max(1, round(settings.holdout * len(texts)))
    held, train = np.sort(order[:n_held]), np.sort(order[n_held:])
    train_texts, train_gold = [texts[i] for i in train], [gold[i] for i in train]
    held_texts, held_gold = [texts[i] for i in held], [gold[i] for i in held]
    version = base_version(settings.base)

    began = time.monotonic()
    base = load_base(settings.base)
    pretrained_labels = list(recognizer(base).labels)
    raw = NerModel(base, settings, pretrained_labels, {}, {}, {})
    map_at = np.random.default_rng(seed).permutation(len(train_texts))[:MAP_SAMPLE]
    label_map = learn_label_map(
        [train_gold[i] for i in map_at], raw.spans([train_texts[i] for i in map_at])
    )
    baseline = NerModel(base, settings, labels, label_map, {}, {"chosen": "pretrained"})
    timed = time.monotonic()
    baseline_spans = baseline.spans(held_texts)
    baseline_ms = 1000 * (time.monotonic() - timed) / len(held_texts)
    pretrained = entity_scores(held_gold, baseline_spans)
    pretrained_seconds = time.monotonic() - began
    mapped = ", ".join(f"{k}→{v}" for k, v in sorted(label_map.items()) if v) or "none"
    notes.append(f"pretrained labels mapped to yours on the training texts: {mapped}")

    began = time.monotonic()
    nlp = load_base(settings.base)
    tuned = NerModel(nlp, settings, labels, {}, {}, {"chosen": "fine-tuned"})
    check_at = np.random.default_rng(seed + 1).permutation(len(held_texts))[:EVAL_SAMPLE]
    check_texts = [held_texts[i] for i in check_at]
    check_gold = [held_gold[i] for i in check_at]
    train_examples = examples(nlp, train_texts, train_gold, notes)
    result = fine_tune(
        nlp,
        train_examples,
        lambda _nlp: float(entity_scores(check_gold, tuned.spans(check_texts))["f1"]),
        deadline,
        seed=seed,
        dropout=settings.dropout,
        eval_every=max(200, min(2000, len(train_examples) // 4)),
    )
    # what the package will hold: a trained pipeline's in-memory state (parser caches)
    # scores beams a hair differently from its reloaded self, so score the reloaded one
    tuned.nlp = restore(dump(nlp))
    timed = time.monotonic()
    tuned_spans = tuned.spans(held_texts)
    tuned_ms = 1000 * (time.monotonic() - timed) / len(held_texts)
    finetuned = entity_scores(held_gold, tuned_spans)
    tuned_seconds = time.monotonic() - began
    notes.append(
        f"fine-tuned {result.steps} steps over {result.epochs:.2f} epochs in "
        f"{result.seconds:.1f} s; stopped: {result.stopped}"
    )
    pick_tuned = finetuned["f1"] >= pretrained["f1"]
    chosen = tuned if pick_tuned else baseline
    if not pick_tuned:
        notes.append(
            "the fine-tuned recognizer did not beat the pretrained one: kept the pretrained"
        )
    chosen.details = {
        "chosen": "fine-tuned" if pick_tuned else "pretrained",
        "base_version": version,
        "holdout": {"fine-tuned": finetuned, "pretrained": pretrained},
        "history": result.history,
        "n_train": len(train_texts),
        "n_holdout": len(held_texts),
    }
    chosen.profile = build_profile(
        chosen.nlp,
        held_texts,
        tuned_spans if pick_tuned else baseline_spans,
        vocabulary(chosen.nlp, train_texts),
        seed,
    )
    rows = [
        _row(
            "fine-tuned",
            f"{settings.base} {version}, {result.stopped}",
            finetuned["f1"],
            tuned_seconds,
            float(pick_tuned),
            tuned_ms,
        ),
        _row(
            "pretrained",
            f"{settings.base} {version}, labels mapped",
            pretrained["f1"],
            pretrained_seconds,
            float(not pick_tuned),
            baseline_ms,
        ),
    ]
    rows.sort(key=lambda r: -r["weight"])
    how = (
        f"strict entity-level F1 on a seeded {settings.holdout:.0%} hold-out of "
        f"{len(texts)} texts ({len(held_texts)} texts, "
        f"{int(pretrained['support'])} entities); early stopping on a sample of it"
    )
    return chosen, rows, how


def _sample(texts: list[str], seed: int, n: int = 2000) -> list[str]:
    pick = np.random.default_rng(seed).permutation(len(texts))[:n]
    return [texts[i] for i in np.sort(pick)]
