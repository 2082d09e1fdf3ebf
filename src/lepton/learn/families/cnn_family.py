"""A small ResNet trained from scratch on CPU: the image family.

Why this shape: on two CPU cores a budget of minutes buys a few dozen epochs of a
network with ~0.1-0.7 M parameters, which is where a narrow three-stage ResNet
(widths w, 2w, 4w; 1-2 basic blocks a stage) beats plain conv stacks. The network
takes uint8 NHWC pixels and normalises them itself, so the exported ONNX graph and
the server feed exactly what training fed. Augmentation (random crop from a padded
image, horizontal flips, optional small affine) runs batched on tensors. The learning
rate follows the *clock* (warm-up, then cosine to zero at the deadline), so a run
anneals properly whatever the budget; the best validation epoch is kept (early
stopping, patience in epochs — but only once the rate has come down: while it is high
the validation loss wanders, and stopping there kept a half-trained 91% model on a
30-minute Fashion-MNIST budget).
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from lepton.learn.families.registry import FamilySpec

if TYPE_CHECKING:
    import torch
    from torch import nn

    from lepton.learn.families.cnn_net import ImageNet

WARMUP_SHARE = 0.03
PATIENCE_EPOCHS = 8
PATIENCE_BELOW_LR = 0.3  # of the peak rate: early stopping only acts in the annealing tail
FULL_RES_BELOW = 24  # pixels: smaller inputs keep full resolution in the first stage
_MOVED = ("BasicBlock", "ImageNet", "augment", "predict_proba", "embeddings", "EVAL_BATCH")


def __getattr__(name: str) -> Any:
    """The network lived here: image models pickled before it moved still load."""
    if name in _MOVED:
        from lepton.learn.families import cnn_net

        return getattr(cnn_net, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass
class CNNFit:
    net: ImageNet
    epochs: float
    best_epoch: int
    val_loss: float
    val_proba: NDArray[np.float64]
    seconds: float
    stopped_by_deadline: bool
    images_per_second: float


class CNNFamily:
    """Default configs (a small portfolio), a search space and a deadline-bound fit."""

    name = "cnn"

    def portfolio(self, n_rows: int) -> list[dict[str, Any]]:
        base = {
            "lr": 0.08,
            "weight_decay": 5e-4,
            "batch_size": 128,
            "label_smoothing": 0.1,
            "hflip": True,
            "affine": False,
            "dropout": 0.1,
        }
        shapes = [(24, 1), (16, 1), (32, 1), (16, 2)]
        return [{**base, "width": w, "blocks": b} for w, b in shapes]

    def suggest(self, trial: Any) -> dict[str, Any]:
        return {
            "width": trial.suggest_categorical("width", [16, 24, 32]),
            "blocks": trial.suggest_int("blocks", 1, 2),
            "lr": trial.suggest_float("lr", 0.02, 0.2, log=True),
            "weight_decay": trial.suggest_float("weight_decay", 1e-4, 2e-3, log=True),
            "batch_size": 128,
            "label_smoothing": trial.suggest_float("label_smoothing", 0.0, 0.15),
            "hflip": trial.suggest_categorical("hflip", [True, False]),
            "affine": trial.suggest_categorical("affine", [False, True]),
            "dropout": trial.suggest_float("dropout", 0.0, 0.3),
        }

    def build(
        self,
        params: dict[str, Any],
        channels: int,
        n_classes: int,
        mean: tuple[float, ...],
        std: tuple[float, ...],
        size: tuple[int, int] = (0, 0),
    ) -> ImageNet:
        from lepton.learn.families.cnn_net import ImageNet

        return ImageNet(
            channels,
            n_classes,
            int(params["width"]),
            int(params["blocks"]),
            mean,
            std,
            float(params.get("dropout", 0.0)),
            # from 24 px up, the first stage runs at half resolution: 4x cheaper, same accuracy
            first_stride=2 if min(size) >= FULL_RES_BELOW else 1,
        )

    def images_per_second(
        self, net: ImageNet, sample: torch.Tensor, params: dict[str, Any]
    ) -> float:
        """Training throughput measured on a few real steps (what the budget will buy)."""
        import torch
        import torch.nn.functional as F

        optim = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9)
        batch = sample[: int(params["batch_size"])]
        target = torch.zeros(len(batch), dtype=torch.int64)
        net.train()
        times = []
        for step in range(5):
            started = time.perf_counter()
            optim.zero_grad()
            loss = F.cross_entropy(net.logits(net.normalise(batch)), target)
            loss.backward()  # type: ignore[no-untyped-call]
            optim.step()
            if step > 0:
                times.append(time.perf_counter() - started)
        return float(len(batch) / min(times))  # the least disturbed step: others share the CPU

    def fit(
        self,
        net: ImageNet,
        x: torch.Tensor,
        y: NDArray[np.int64],
        x_val: torch.Tensor,
        y_val: NDArray[np.int64],
        params: dict[str, Any],
        deadline: float,
        seed: int = 0,
    ) -> CNNFit:
        """Train until ``deadline`` (``time.monotonic``) or early stopping; keep the best epoch."""
        import torch
        import torch.nn.functional as F

        from lepton.learn.families.cnn_net import augment, predict_proba

        torch.manual_seed(seed)
        started = time.monotonic()
        budget = max(deadline - started, 1e-3)
        target = torch.from_numpy(np.asarray(y, dtype=np.int64))
        batch = int(min(params["batch_size"], max(8, len(x) // 4)))
        decay: list[nn.Parameter] = []
        no_decay: list[nn.Parameter] = []
        for name, p in net.named_parameters():
            (no_decay if p.ndim <= 1 or name.endswith(".bias") else decay).append(p)
        optim = torch.optim.SGD(
            [
                {"params": decay, "weight_decay": float(params["weight_decay"])},
                {"params": no_decay, "weight_decay": 0.0},
            ],
            lr=float(params["lr"]),
            momentum=0.9,
            nesterov=True,
        )
        smoothing = float(params.get("label_smoothing", 0.0))
        pad = max(1, round(x.shape[1] / 12))  # 2 px on 28 px: shifts, not cut-off garments
        generator = torch.Generator().manual_seed(seed)
        best: tuple[float, dict[str, Any] | None, int, NDArray[np.float64]] = (
            float("inf"),
            None,
            0,
            np.zeros((0, 0)),
        )
        epoch, seen, stale, hit, progress = 0, 0, 0, False, 0.0
        while not hit:
            net.train()
            order = torch.randperm(len(x), generator=generator)
            for start in range(0, len(x), batch):
                idx = order[start : start + batch]
                if len(idx) < 2:
                    continue
                progress = (time.monotonic() - started) / budget
                if progress >= 1.0:
                    hit = True
                    break
                for group in optim.param_groups:
                    group["lr"] = float(params["lr"]) * _schedule(progress)
                inputs = augment(x[idx], pad, bool(params["hflip"]), bool(params["affine"]))
                optim.zero_grad()
                loss = F.cross_entropy(
                    net.logits(net.normalise(inputs)), target[idx], label_smoothing=smoothing
                )
                loss.backward()  # type: ignore[no-untyped-call]
                optim.step()
                seen += len(idx)
            epoch += 1
            proba = predict_proba(net, x_val)
            val_loss = _log_loss(proba, y_val)
            if val_loss < best[0] - 1e-5:
                best, stale = (val_loss, copy.deepcopy(net.state_dict()), epoch, proba), 0
            else:
                stale += 1
            if stale >= PATIENCE_EPOCHS and _schedule(progress) < PATIENCE_BELOW_LR:
                break
        if best[1] is not None:
            net.load_state_dict(best[1])
        net.eval()
        seconds = time.monotonic() - started
        return CNNFit(
            net,
            seen / max(len(x), 1),
            best[2],
            best[0],
            best[3],
            seconds,
            hit,
            seen / max(seconds, 1e-9),
        )


def _schedule(progress: float) -> float:
    """Linear warm-up, then cosine to zero at the deadline."""
    if progress < WARMUP_SHARE:
        return max(progress / WARMUP_SHARE, 0.02)
    rest = (progress - WARMUP_SHARE) / (1 - WARMUP_SHARE)
    return 0.5 * (1 + math.cos(math.pi * min(rest, 1.0)))


def _log_loss(proba: NDArray[np.float64], y: NDArray[np.int64]) -> float:
    return float(-np.mean(np.log(np.clip(proba[np.arange(len(y)), y], 1e-12, 1.0))))


FAMILIES = (
    FamilySpec(
        "cnn",
        CNNFamily,
        tasks=("binary", "multiclass"),
        inputs="image",
        no_export_reason=(
            "an image network is exported whole (lepton.optimize.images.export_image_graph), "
            "not as a member of a table model's graph"
        ),
    ),
)
