"""Magnitude pruning of the prunable members (the MLP), then a short fine-tune, mask fixed.

Zeroed weights only pay off where a runtime exploits sparsity (or the file is
compressed); the table reports what they buy on this machine, which may be nothing.
Which members qualify is their family's ``FamilySpec.prunable`` / ``quantizable``; a
prunable fitted model is a ``PrunableModel``.
"""

from __future__ import annotations

import copy
from typing import Any, Protocol, cast

import numpy as np
import torch
from numpy.typing import NDArray

from lepton.learn.families import TaskInfo, family_spec
from lepton.learn.features import Encoded
from lepton.learn.model import Member, TrainedModel


class PrunableModel(Protocol):
    """A fitted network with linear layers in ``net.body`` and targets scaled by ``y_*``."""

    net: Any
    info: TaskInfo
    y_mean: float
    y_scale: float

    def tensors(self, data: Encoded) -> tuple[torch.Tensor, torch.Tensor]: ...


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
    pruned = copy.deepcopy(model)
    data = pruned.encoder.transform(frame)
    torch.manual_seed(seed)
    for member in pruned.members:
        if not family_spec(member.family).prunable:
            continue
        for fitted in member.models:
            _prune_one(cast(PrunableModel, fitted), data, y, sparsity, epochs)
    return pruned


def _prune_one(
    fitted: PrunableModel, data: Encoded, y: NDArray[Any], sparsity: float, epochs: int
) -> None:
    num, cat = fitted.tensors(data)
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
    """Whether int8 quantization has anything to act on: a weighted quantizable member."""
    return any(family_spec(m.family).quantizable and m.weight > 0 for m in members)


def prunable_members(members: list[Member]) -> bool:
    """Whether ``prune_model`` has anything to prune: a weighted prunable member."""
    return any(family_spec(m.family).prunable and m.weight > 0 for m in members)
