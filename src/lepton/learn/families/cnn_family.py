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
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from torch import nn

WARMUP_SHARE = 0.03
PATIENCE_EPOCHS = 8
PATIENCE_BELOW_LR = 0.3  # of the peak rate: early stopping only acts in the annealing tail
EVAL_BATCH = 1024
FULL_RES_BELOW = 24  # pixels: smaller inputs keep full resolution in the first stage


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and a (projected) shortcut."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ImageNet(nn.Module):
    """uint8 NHWC pixels → class probabilities; normalisation and temperature inside."""

    mean: torch.Tensor
    std: torch.Tensor
    temperature: torch.Tensor

    def __init__(
        self,
        channels: int,
        n_classes: int,
        width: int,
        blocks: int,
        mean: tuple[float, ...],
        std: tuple[float, ...],
        dropout: float = 0.0,
        first_stride: int = 1,
    ) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("temperature", torch.ones(()))
        layers: list[nn.Module] = [
            nn.Conv2d(channels, width, 3, 1, 1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
        ]
        cin = width
        for stage, cout in enumerate((width, 2 * width, 4 * width)):
            for b in range(blocks):
                stride = (first_stride if stage == 0 else 2) if b == 0 else 1
                layers.append(BasicBlock(cin, cout, stride))
                cin = cout
        self.body = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(cin, n_classes)
        self.embedding_size = cin

    def normalise(self, pixels: torch.Tensor) -> torch.Tensor:
        """uint8 (or 0-255 float) NHWC → normalised float NCHW."""
        x = pixels.permute(0, 3, 1, 2).float() / 255.0
        return (x - self.mean) / self.std

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features (global average pool) of normalised NCHW input."""
        return self.body(x).mean(dim=(2, 3))  # type: ignore[no-any-return]

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.embed(x)))  # type: ignore[no-any-return]

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.logits(self.normalise(pixels)) / self.temperature, dim=1)


def augment(pixels: torch.Tensor, pad: int, hflip: bool, affine: bool) -> torch.Tensor:
    """Batched random crop of a zero-padded image, flips and a small affine, NHWC float."""
    n, h, w, _ = pixels.shape
    x = pixels.float()
    if pad > 0:
        padded = F.pad(x, (0, 0, pad, pad, pad, pad))
        oy = torch.randint(0, 2 * pad + 1, (n,))
        ox = torch.randint(0, 2 * pad + 1, (n,))
        rows = (oy[:, None] + torch.arange(h))[:, :, None]
        cols = (ox[:, None] + torch.arange(w))[:, None, :]
        x = padded[torch.arange(n)[:, None, None], rows, cols]
    if hflip:
        flip = torch.rand(n) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(2), x)
    if affine:
        angle = (torch.rand(n) - 0.5) * (math.pi / 9)  # ±10°
        scale = 1.0 + (torch.rand(n) - 0.5) * 0.2  # ±10%
        cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
        theta = torch.stack(
            [
                torch.stack([cos, -sin, torch.zeros(n)], 1),
                torch.stack([sin, cos, torch.zeros(n)], 1),
            ],
            1,
        )
        nchw = x.permute(0, 3, 1, 2)
        grid = F.affine_grid(theta, list(nchw.shape), align_corners=False)
        x = F.grid_sample(nchw, grid, align_corners=False).permute(0, 2, 3, 1)
    return x


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


def predict_proba(net: ImageNet, pixels: torch.Tensor) -> NDArray[np.float64]:
    """Probabilities for uint8 NHWC pixels, in batches, in eval mode."""
    net.eval()
    parts = []
    with torch.inference_mode():
        for start in range(0, len(pixels), EVAL_BATCH):
            parts.append(net(pixels[start : start + EVAL_BATCH]).double().numpy())
    if not parts:
        return np.zeros((0, net.head.out_features))
    proba = np.concatenate(parts)
    return np.asarray(proba / proba.sum(axis=1, keepdims=True), dtype=np.float64)


def embeddings(net: ImageNet, pixels: torch.Tensor) -> NDArray[np.float64]:
    """Penultimate-layer features for uint8 NHWC pixels (embedding drift)."""
    net.eval()
    parts = []
    with torch.inference_mode():
        for start in range(0, len(pixels), EVAL_BATCH):
            batch = pixels[start : start + EVAL_BATCH]
            parts.append(net.embed(net.normalise(batch)).double().numpy())
    return np.asarray(np.concatenate(parts), dtype=np.float64)


def _log_loss(proba: NDArray[np.float64], y: NDArray[np.int64]) -> float:
    return float(-np.mean(np.log(np.clip(proba[np.arange(len(y)), y], 1e-12, 1.0))))
