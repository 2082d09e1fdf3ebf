"""Time-series forecasting: history in, quantile forecasts per future step out.

Never inferred from columns (any table with a date could be a forecast): a dataset
becomes this kind when the user asks for ``--task forecast``. Its packages take the
history columns (time, series id, target, known and static covariates), answer on
``POST /v1/deployments/{name}/forecast`` with one row per series and step, and are
monitored by scoring the logged forecasts against the actuals sent back as feedback.
"""

from __future__ import annotations

from typing import ClassVar

from lepton.runtime.kinds.registry import ModelKind, register_kind
from lepton.runtime.kinds.tabular import TABLE_COLUMNS


class ForecastKind(ModelKind):
    name = "forecast"
    priority = 30
    tasks: ClassVar[frozenset[str]] = frozenset({"forecast"})
    # lepton.learn.forecast.settings.ForecastSettings' fields
    options: ClassVar[frozenset[str]] = frozenset(
        {
            "time_column",
            "horizon",
            "id_column",
            "known_covariates",
            "static_covariates",
            "quantiles",
            "n_windows",
            "season_length",
            "families",
        }
    )
    input_kinds: ClassVar[frozenset[str]] = TABLE_COLUMNS
    output_shape = "per series and step: the mean and each requested quantile"
    feature_importance = False  # lags are built from the target itself; nothing to permute
    trainer = "lepton.learn.forecast.automl:fit_forecast"
    evaluator = "lepton.learn.forecast.evaluation:evaluate_forecast"
    codec = "lepton.serve.codecs.forecast:ForecastCodec"
    onnx_predictor = "lepton.runtime.onnx_forecast:OnnxForecastPredictor"
    variants = "lepton.optimize.forecast:ForecastBuilder"
    input_checks = "lepton.monitor.inputs:forecast_checks"
    live_performance = "lepton.monitor.forecasting:forecast_performance"
    retrainer = "lepton.monitor.retrain:retrain_forecast"
    prediction_drift = False

    def claims(self, column_kinds: object) -> bool:
        return False  # chosen by task, never by columns


register_kind(ForecastKind())
