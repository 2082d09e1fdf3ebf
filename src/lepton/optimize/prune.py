"""Magnitude pruning of the MLP members, then a short fine-tune with the mask held fixed.

Zeroed weights only pay off where a runtime exploits sparsity (or the file is
compressed); the table reports what they buy on this machine, which may be nothing.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from lepton.learn.families.mlp_family import MLPModel
from lepton.learn.model import Member, TrainedModel


def prune_model(
    model: TrainedModel,
    frame: Any,
    y: NDArray[Any],
    *,
    sparsity: float = 0.5,
    epochs: int = 2,
    seed: int = 0,
) -> TrainedModel:
    """A copy of ``model`` whose MLP linear layers keep only their largest ``1 - sparsity`` weights."""
    from lepton.learn.families.mlp_family import _tensors

    pruned = copy.deepcopy(model)
    data = pruned.encoder.transform(frame)
    torch.manual_seed(seed)
    for member in pruned.members:
        if member.family != "mlp":
            continue
        for fitted in member.models:
            assert isinstance(fitted, MLPModel)
            _prune_one(fitted, *_tensors(fitted.encoder, data), y, sparsity, epochs)
    return pruned


def _prune_one(
    fitted: Any, num: torch.Tensor, cat: torch.Tensor, y: NDArray[Any], sparsity: float, epochs: int
) -> None:
    net = fitted.net
    linears = [m for m in net.body if isinstance(m, torch.nn.Linear)]
    masks = []
    for layer in linears:
        weights = layer.weight.detach().abs()
        cut = torch.quantile(weights.flatten(), sparsity)
        masks.append((weights > cut).float())
        layer.weight.data *= masks[-1]
    if fitted.info.is_classification:
        target = torch.from_numpy(np.asarray(y, dtype=np.int64))
        loss_fn: torch.nn.Module = torch.nn.CrossEntropyLoss()
    else:
        scaled = (np.asarray(y, dtype=np.float64) - fitted.y_mean) / fitted.y_scale
        target = torch.from_numpy(scaled.astype(np.float32))[:, None]
        loss_fn = torch.nn.MSELoss()
    optim = torch.optim.AdamW(net.parameters(), lr=3e-4, weight_decay=1e-5)
    for _ in range(epochs):
        net.train()
        for batch in torch.split(torch.randperm(len(num)), 256):
            if len(batch) < 2:
                continue
            optim.zero_grad()
            loss_fn(net(num[batch], cat[batch]), target[batch]).backward()
            optim.step()
            for layer, mask in zip(linears, masks, strict=True):
                layer.weight.data *= mask
    net.eval()


def neural_members(members: list[Member]) -> bool:
    return any(m.family == "mlp" and m.weight > 0 for m in members)
