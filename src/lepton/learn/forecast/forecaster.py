"""The ``Forecaster`` base class every family implements (``families``, ``gbm``).

Why a module of its own: the family registry (``families``) names the global GBM
family, whose module subclasses this base; with the base here neither imports the other
in a cycle.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import pandas as pd

from lepton.learn.forecast.blocks import ForecastBlock
from lepton.learn.forecast.series import SeriesSet


class Forecaster(ABC):
    """Fit on series, forecast ``horizon`` steps past the end of each given history."""

    name: ClassVar[str]
    is_global: ClassVar[bool] = False

    def fit(self, series: SeriesSet, horizon: int) -> Forecaster:
        """Learn what carries over between histories (global models); local ones refit per call."""
        self.season_ = series.season
        return self

    @abstractmethod
    def predict(
        self,
        history: SeriesSet,
        horizon: int,
        future: pd.DataFrame | None,
        levels: tuple[int, ...],
    ) -> ForecastBlock:
        """Forecasts for every series of ``history``; ``future`` holds known covariates."""
