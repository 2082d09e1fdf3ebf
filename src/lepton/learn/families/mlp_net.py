"""The MLP family's network, apart from the family so that listing families skips torch."""

from __future__ import annotations

import torch
from torch import nn


class TabularMLP(nn.Module):
    """Embeddings for each categorical column, concatenated with numbers, then an MLP."""

    def __init__(
        self,
        n_num: int,
        cardinalities: list[int],
        hidden: int,
        layers: int,
        dropout: float,
        out: int,
    ) -> None:
        super().__init__()
        self.embeddings = nn.ModuleList(
            nn.Embedding(c + 1, min(16, (c + 1) // 2 + 1)) for c in cardinalities
        )
        width = n_num + sum(min(16, (c + 1) // 2 + 1) for c in cardinalities)
        blocks: list[nn.Module] = []
        for _ in range(layers):
            blocks += [
                nn.Linear(width, hidden),
                nn.BatchNorm1d(hidden),
                nn.ReLU(),
                nn.Dropout(dropout),
            ]
            width = hidden
        blocks.append(nn.Linear(width, out))
        self.body = nn.Sequential(*blocks)

    def forward(self, num: torch.Tensor, cat: torch.Tensor) -> torch.Tensor:
        parts = [num] + [emb(cat[:, j]) for j, emb in enumerate(self.embeddings)]
        return self.body(torch.cat(parts, dim=1))  # type: ignore[no-any-return]
