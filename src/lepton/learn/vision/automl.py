"""AutoML for image classification: the image half of ``AutoML.fit``.

Why a holdout instead of k-fold: one CNN epoch on tens of thousands of images costs
tens of seconds on two cores, so k-fold would spend the budget k times on the same
question. The flow, all inside ``time_limit``:

1. decode every image once with the shared preprocessing (size and mode chosen from
   the training images) into a uint8 array; stratified holdout for validation;
2. measure each candidate shape's training throughput on a few real steps and keep
   only shapes that can run enough epochs in the budget (``MIN_EPOCHS``);
3. short proxy trials of the survivors on a subset choose width/depth (the search) —
   unless the budget buys ``FULL_EPOCHS`` of several shapes: then capacity is what is
   short, not epochs, and the largest of those trains (short proxies on a subset always
   favour the small nets that converge first);
4. the chosen shape trains on every training image for the rest of the budget with a
   clock-driven schedule and early stopping; temperature is fitted on the holdout.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from numpy.typing import NDArray

from lepton.errors import DataError, LeptonError
from lepton.learn.cv import TrialResult, TrialSpec
from lepton.learn.ensemble import fit_temperature
from lepton.learn.families.base import TaskInfo
from lepton.learn.families.cnn_family import CNNFamily, _log_loss
from lepton.learn.families.cnn_net import predict_proba
from lepton.learn.metrics import Metric, get_metric
from lepton.learn.search import SearchResult
from lepton.learn.tasks import infer_task
from lepton.learn.vision.model import ImageModel
from lepton.runtime.images import (
    Preprocessing,
    channel_stats,
    choose_geometry,
    load_paths,
)

if TYPE_CHECKING:
    from lepton.learn.automl import AutoML, LeaderboardRow

THREADS = 2
SMALL_DATA = 2000  # images; below this training runs single-threaded
MIN_EPOCHS = 10  # a shape that cannot see the data this often in the budget is too big
FULL_EPOCHS = 30  # a shape that can see the data this often needs no more epochs
PROBE_SHARE = 0.04  # of the budget, at most, for measuring training throughput
PROXY_SHARE = 0.15  # of the budget left after decoding, split between proxy trials
MAX_PROXIES = 3
RESERVE_SHARE = 0.03  # for temperature, assembly and the clock's own slack
GEOMETRY_SAMPLE = 2000
SURE_IMAGES_PER_SECOND = 100  # any portfolio shape trains at least this fast at 64x64


def fit_images(automl: AutoML, frame: pd.DataFrame, column_kinds: dict[str, str]) -> AutoML:
    """The image kind's training entry point: fit ``automl`` on a table of image paths."""
    image_column = next(
        c for c, k in column_kinds.items() if k == "image_path" and c != automl.target
    )
    started = automl.started_
    deadline = started + float(automl.time_limit)
    say = automl.on_event or (lambda kind, payload: None)
    # two threads pay on real data; on a few small images their sync costs more than it saves
    torch.set_num_threads(THREADS if len(frame) >= SMALL_DATA else 1)
    notes: list[str] = []
    labelled = frame[frame[automl.target].notna() & frame[image_column].notna()]
    if len(labelled) < len(frame):
        notes.append(f"dropped {len(frame) - len(labelled)} rows with no image or no label")
    target = infer_task(labelled[automl.target], automl.task or "multiclass")
    if target.task == "regression":
        raise LeptonError("image models classify; pass a label column, not a quantity")
    y = target.encode(labelled[automl.target])
    metric = get_metric(automl.metric or "accuracy", target.task)
    ignored = [c for c in labelled.columns if c not in (automl.target, image_column)]
    if ignored:
        notes.append(f"image model uses the pixels only; ignored {', '.join(map(str, ignored))}")

    pre_size, mode = _geometry(labelled, image_column)
    paths = [str(p) for p in labelled[image_column]]
    pixels = load_paths(paths, pre_size, mode)
    notes.append(f"decoded {len(paths):,} images at {pre_size[0]}×{pre_size[1]} {mode}")
    train_idx, val_idx = _holdout(y, automl.seed)
    mean, std = channel_stats(pixels[train_idx])
    pre = Preprocessing(pre_size, mode, mean, std)
    x_train, x_val = torch.from_numpy(pixels[train_idx]), torch.from_numpy(pixels[val_idx])
    y_train, y_val = y[train_idx], y[val_idx]
    del pixels

    family = CNNFamily()
    info = TaskInfo(target.task, len(target.labels), metric.name, automl.seed, THREADS)
    reserve = max(1.0, RESERVE_SHARE * float(automl.time_limit))
    candidates = _feasible(family, pre, info, x_train, deadline - reserve, notes)
    result = SearchResult()
    board: list[LeaderboardRow] = []
    chosen = candidates[0]
    if len(candidates) > 1:
        chosen = _proxy_search(
            family,
            candidates,
            pre,
            info,
            (x_train, y_train, x_val, y_val),
            deadline - reserve,
            metric,
            result,
            board,
            say,
        )
    spec = TrialSpec(len(result.trials), "cnn", chosen, info, deadline - reserve, "final")
    say("trial_started", {"trial": spec})
    net = family.build(chosen, pre.channels, len(target.labels), pre.mean, pre.std, pre.size)
    fit = family.fit(
        net,
        x_train,
        y_train,
        x_val,
        y_val,
        chosen,
        time.monotonic() + (deadline - reserve - time.time()),
        automl.seed,
    )
    temperature = fit_temperature(fit.val_proba, y_val)
    fit.net.temperature.fill_(temperature)
    val_proba = predict_proba(fit.net, x_val)
    trial = _trial(spec, fit.val_proba, metric, y_val, fit.seconds)
    trial.oof = val_proba
    trial.loss = metric.loss(y_val, val_proba)
    trial.stopped_by_deadline = fit.stopped_by_deadline
    result.trials.append(trial)
    say("trial_finished", {"trial": trial, "best": [trial]})
    notes.append(
        f"final cnn (width {chosen['width']}, {chosen['blocks']} block(s)/stage): "
        f"{fit.epochs:.1f} epochs at {fit.images_per_second:.0f} images/s, best epoch "
        f"{fit.best_epoch}, temperature {temperature:.3f}"
    )
    board.insert(0, _row(f"cnn#{spec.trial_id}", "final", trial, metric, chosen, weight=1.0))
    result.seconds = time.time() - started

    model = ImageModel(fit.net, pre, target, automl.label, image_column, chosen)
    model.extra.update(
        {
            "val_rows": len(val_idx),
            "train_rows": len(train_idx),
            "epochs": fit.epochs,
            "images_per_second": fit.images_per_second,
            "threads": torch.get_num_threads(),
        }
    )
    automl.notes_ = notes
    automl.task_, automl.metric_, automl.n_folds_ = target.task, metric.name, 1
    automl.validation_how_ = (
        f"stratified holdout of {len(val_idx):,} images ({len(val_idx) / len(y):.0%}), "
        "used for early stopping, temperature and the choice of shape"
    )
    automl.search_ = result
    automl.model_ = model
    automl.leaderboard_ = board
    automl.fit_seconds_ = time.time() - started
    automl.interrupted_ = False
    return automl


def _geometry(frame: pd.DataFrame, column: str) -> tuple[tuple[int, int], str]:
    """Size and mode from recorded ``width``/``height``/``mode`` columns, else a sample of files."""
    if {"width", "height", "mode"} <= set(frame.columns):
        sizes = list(zip(frame["height"].astype(int), frame["width"].astype(int), strict=True))
        modes = [str(m) for m in frame["mode"]]
    else:
        from lepton.runtime.images import decode

        sizes, modes = [], []
        for path in frame[column].head(GEOMETRY_SAMPLE):
            with decode(Path(str(path)), field=str(path)) as image:
                sizes.append((image.height, image.width))
                modes.append(image.mode)
    height, width, mode = choose_geometry(sizes, modes)
    return (height, width), mode


def _holdout(y: NDArray[np.int64], seed: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    from sklearn.model_selection import train_test_split

    counts = np.bincount(y)
    if counts[counts > 0].min() < 2:
        raise DataError("a class has a single image; a validation split needs at least 2 per class")
    share = 0.1 if len(y) >= 2000 else 0.2
    share = max(share, len(counts) / len(y))  # at least one validation image per class
    idx = np.arange(len(y))
    train, val = train_test_split(idx, test_size=share, random_state=seed, stratify=y)
    return np.sort(train).astype(np.int64), np.sort(val).astype(np.int64)


def _feasible(
    family: CNNFamily,
    pre: Preprocessing,
    info: TaskInfo,
    x_train: torch.Tensor,
    end: float,
    notes: list[str],
) -> list[dict[str, Any]]:
    """Portfolio shapes whose measured throughput buys ``MIN_EPOCHS`` in the final budget."""
    portfolio = family.portfolio(len(x_train))
    final_seconds = max(end - time.time(), 1.0) * (1 - PROXY_SHARE)
    if len(x_train) * MIN_EPOCHS < SURE_IMAGES_PER_SECOND * final_seconds:
        return portfolio[:MAX_PROXIES]  # small data: every shape fits, measuring costs more
    speeds: list[tuple[dict[str, Any], float]] = []
    probe_end = time.time() + PROBE_SHARE * max(end - time.time(), 0.0)
    ordered = sorted(portfolio, key=lambda p: p["width"] ** 2 * p["blocks"])  # cheap first
    speeds.append((ordered[0], _choose_threads(family, pre, info, x_train, ordered[0], notes)))
    for params in ordered[1:]:
        if time.time() > probe_end:
            break  # shapes not measured in time are not tried
        net = family.build(params, pre.channels, info.n_classes, pre.mean, pre.std, pre.size)
        speeds.append((params, family.images_per_second(net, x_train, params)))
    final_seconds = max(end - time.time(), 1.0) * (1 - PROXY_SHARE)
    epochs = [(p, ips * final_seconds / len(x_train)) for p, ips in speeds]  # in the budget
    fast = [p for p, e in epochs if e >= MIN_EPOCHS]
    ok = [p for p in portfolio if p in fast]  # back in portfolio order
    shown = ", ".join(f"w{p['width']}×{p['blocks']}: {ips:.0f}/s" for p, ips in speeds)
    notes.append(f"training throughput (images/s): {shown}")
    roomy = [(p, e) for p, e in epochs if e >= FULL_EPOCHS]
    if len(roomy) >= 2:
        biggest, n_epochs = max(roomy, key=lambda r: r[0]["width"] ** 2 * r[0]["blocks"])
        notes.append(
            f"the budget buys {FULL_EPOCHS}+ epochs of {len(roomy)} shapes: training the "
            f"largest, w{biggest['width']}×{biggest['blocks']} "
            f"(~{n_epochs:.0f} epochs), without proxy trials"
        )
        return [biggest]
    if not ok:
        fastest = max(speeds, key=lambda s: s[1])[0]
        notes.append(
            f"no shape fits {MIN_EPOCHS} epochs in the budget; using the fastest "
            f"(width {fastest['width']}); raise --time-limit for a better model"
        )
        return [fastest]
    return ok[:MAX_PROXIES]


def _choose_threads(
    family: CNNFamily,
    pre: Preprocessing,
    info: TaskInfo,
    x_train: torch.Tensor,
    params: dict[str, Any],
    notes: list[str],
) -> float:
    """Train on ``THREADS`` threads unless one thread is measurably faster; returns images/s.

    On a machine whose cores other processes share, OpenMP's two threads wait on each
    other at every barrier; measured here that halved throughput. One probe each decides.
    """
    rates = {}
    for threads in (THREADS, 1):
        torch.set_num_threads(threads)
        net = family.build(params, pre.channels, info.n_classes, pre.mean, pre.std, pre.size)
        rates[threads] = family.images_per_second(net, x_train, params)
    best = max(rates, key=lambda t: rates[t])
    torch.set_num_threads(best)
    notes.append(
        f"torch threads: {best} ({', '.join(f'{t}: {r:.0f} images/s' for t, r in rates.items())}"
        f" for w{params['width']}x{params['blocks']})"
    )
    return rates[best]


def _proxy_search(
    family: CNNFamily,
    candidates: list[dict[str, Any]],
    pre: Preprocessing,
    info: TaskInfo,
    data: tuple[torch.Tensor, NDArray[np.int64], torch.Tensor, NDArray[np.int64]],
    end: float,
    metric: Metric,
    result: SearchResult,
    board: list[LeaderboardRow],
    say: Any,
) -> dict[str, Any]:
    """Short trials of each candidate on a subset; the best validation score wins."""
    x_train, y_train, x_val, y_val = data
    each = max(end - time.time(), 0.0) * PROXY_SHARE / len(candidates)
    rng = np.random.default_rng(info.seed)
    subset = np.sort(rng.permutation(len(x_train))[: max(500, min(len(x_train), 10_000))])
    vsub = np.sort(rng.permutation(len(x_val))[: min(len(x_val), 2000)])
    scored = []
    for params in candidates:
        spec = TrialSpec(len(result.trials), "cnn", params, info, end, "search (subset)")
        say("trial_started", {"trial": spec})
        net = family.build(params, pre.channels, info.n_classes, pre.mean, pre.std, pre.size)
        fit = family.fit(
            net,
            x_train[subset],
            y_train[subset],
            x_val[vsub],
            y_val[vsub],
            params,
            time.monotonic() + each,
            info.seed,
        )
        trial = _trial(spec, fit.val_proba, metric, y_val[vsub], fit.seconds)
        result.trials.append(trial)
        best = min(result.trials, key=lambda t: t.loss)
        say("trial_finished", {"trial": trial, "best": [best]})
        board.append(_row(f"cnn#{spec.trial_id}", spec.origin, trial, metric, params))
        scored.append((trial.loss, _log_loss(fit.val_proba, y_val[vsub]), params))
    return min(scored, key=lambda s: (s[0], s[1]))[2]


def _trial(
    spec: TrialSpec,
    proba: NDArray[np.float64],
    metric: Metric,
    y: NDArray[np.int64],
    seconds: float,
) -> TrialResult:
    trial = TrialResult(spec, oof=proba, fit_seconds=seconds)
    trial.loss = metric.loss(y, proba)
    trial.fold_losses = [trial.loss]
    return trial


def _row(
    name: str,
    origin: str,
    trial: TrialResult,
    metric: Metric,
    params: dict[str, Any],
    weight: float = 0.0,
) -> LeaderboardRow:
    from lepton.learn.automl import LeaderboardRow

    return LeaderboardRow(
        model=name,
        family="cnn",
        origin=origin,
        score=-trial.loss if metric.greater_is_better else trial.loss,
        score_std=float("nan"),
        fit_seconds=trial.fit_seconds,
        predict_ms_per_row=0.0,
        weight=weight,
        params=params,
    )
