"""The image family's network and its batched helpers (torch), apart from the family.

Apart so that listing the families does not import torch; see ``cnn_family``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from torch import nn

EVAL_BATCH = 1024


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
