"""A PyTorch MLP for tables: scaled numbers plus learned embeddings for categoricals.

Trained with AdamW and a one-cycle schedule; the epoch with the best validation loss
is kept (early stopping) and training stops at the deadline.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from lepton.learn.families.base import DenseEncoder, FitResult, FloatArray, TaskInfo
from lepton.learn.families.registry import FamilySpec
from lepton.learn.features import Encoded

if TYPE_CHECKING:
    import torch

    from lepton.learn.families.mlp_net import TabularMLP


def __getattr__(name: str) -> Any:
    """``TabularMLP`` lived here: models pickled before it moved still load."""
    if name == "TabularMLP":
        from lepton.learn.families.mlp_net import TabularMLP

        return TabularMLP
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _numbers_only(data: Encoded) -> Encoded:
    return Encoded(data.num, data.cat[:, :0], [])


def _tensors(encoder: DenseEncoder, data: Encoded) -> tuple[torch.Tensor, torch.Tensor]:
    """The network's inputs: scaled numbers with missing flags, and category codes + 1."""
    import torch

    dense = encoder.transform(_numbers_only(data))  # scaled numbers + missing flags
    cat = np.where(data.cat >= 0, data.cat + 1, 0)  # 0 = missing / unseen → its own embedding
    return torch.from_numpy(dense), torch.from_numpy(cat.astype(np.int64))


@dataclass
class MLPModel:
    encoder: DenseEncoder
    net: TabularMLP
    info: TaskInfo
    y_mean: float = 0.0
    y_scale: float = 1.0

    def tensors(self, data: Encoded) -> tuple[torch.Tensor, torch.Tensor]:
        """What ``net`` takes for ``data`` (pruning fine-tunes on these)."""
        return _tensors(self.encoder, data)

    def predict(self, data: Encoded) -> FloatArray:
        import torch

        num, cat = self.tensors(data)
        self.net.eval()
        with torch.no_grad():
            out = self.net(num, cat)
        if self.info.is_classification:
            return np.asarray(torch.softmax(out, dim=1).double().numpy(), dtype=np.float64)
        return np.asarray(out[:, 0].double().numpy() * self.y_scale + self.y_mean, dtype=np.float64)


class MLPFamily:
    name = "mlp"

    def default_params(self, info: TaskInfo, n_rows: int) -> dict[str, Any]:
        return {
            "hidden": 128,
            "layers": 2,
            "dropout": 0.1,
            "lr": 3e-3,
            "weight_decay": 1e-4,
            "batch_size": 256,
        }

    def suggest(self, trial: Any, info: TaskInfo, n_rows: int) -> dict[str, Any]:
        return {
            "hidden": trial.suggest_categorical("hidden", [64, 128, 256]),
            "layers": trial.suggest_int("layers", 1, 3),
            "dropout": trial.suggest_float("dropout", 0.0, 0.4),
            "lr": trial.suggest_float("lr", 5e-4, 1e-2, log=True),
            "weight_decay": trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
            "batch_size": trial.suggest_categorical("batch_size", [128, 256, 512]),
        }

    def fit(
        self,
        train: Encoded,
        y: NDArray[Any],
        valid: Encoded,
        y_valid: NDArray[Any],
        params: dict[str, Any],
        info: TaskInfo,
        deadline: float,
    ) -> FitResult:
        import torch
        from torch import nn

        from lepton.learn.families.mlp_net import TabularMLP

        torch.manual_seed(info.seed)
        torch.set_num_threads(info.threads)
        encoder = DenseEncoder().fit(_numbers_only(train))
        num, cat = _tensors(encoder, train)
        vnum, vcat = _tensors(encoder, valid)
        out = info.n_classes if info.is_classification else 1
        net = TabularMLP(
            num.shape[1],
            train.cardinalities,
            params["hidden"],
            params["layers"],
            params["dropout"],
            out,
        )
        y_mean, y_scale = 0.0, 1.0
        if info.is_classification:
            target = torch.from_numpy(np.asarray(y, dtype=np.int64))
            vtarget = torch.from_numpy(np.asarray(y_valid, dtype=np.int64))
            loss_fn: nn.Module = nn.CrossEntropyLoss()
        else:
            y_mean, y_scale = float(np.mean(y)), float(np.std(y) or 1.0)
            target = torch.from_numpy(((np.asarray(y) - y_mean) / y_scale).astype(np.float32))[
                :, None
            ]
            vtarget = torch.from_numpy(
                ((np.asarray(y_valid) - y_mean) / y_scale).astype(np.float32)
            )[:, None]
            loss_fn = nn.MSELoss()
        epochs = int(params.get("epochs", 60))
        batch = int(min(params["batch_size"], max(16, len(num) // 4)))
        steps = max(1, (len(num) + batch - 1) // batch)
        optim = torch.optim.AdamW(
            net.parameters(), lr=params["lr"], weight_decay=params["weight_decay"]
        )
        sched = torch.optim.lr_scheduler.OneCycleLR(
            optim, max_lr=params["lr"], total_steps=epochs * steps
        )
        generator = torch.Generator().manual_seed(info.seed)
        best_loss, best_state, best_epoch, patience, hit = float("inf"), None, 0, 0, False
        for epoch in range(epochs):
            net.train()
            order = torch.randperm(len(num), generator=generator)
            for start in range(0, len(num), batch):
                idx = order[start : start + batch]
                if len(idx) < 2:
                    continue
                optim.zero_grad()
                loss_fn(net(num[idx], cat[idx]), target[idx]).backward()
                optim.step()
                sched.step()
            net.eval()
            with torch.no_grad():
                val_loss = float(loss_fn(net(vnum, vcat), vtarget))
            if val_loss < best_loss - 1e-5:
                best_loss, best_state, best_epoch, patience = (
                    val_loss,
                    copy.deepcopy(net.state_dict()),
                    epoch + 1,
                    0,
                )
            else:
                patience += 1
            if patience >= 10:
                break
            if time.monotonic() > deadline:
                hit = True
                break
        if best_state is not None:
            net.load_state_dict(best_state)
        return FitResult(MLPModel(encoder, net, info, y_mean, y_scale), best_epoch, hit)


FAMILIES = (
    FamilySpec(
        "mlp",
        MLPFamily,
        default=7,
        exporter="lepton.optimize.members:mlp_member",
        quantizable=True,
        prunable=True,
    ),
)
