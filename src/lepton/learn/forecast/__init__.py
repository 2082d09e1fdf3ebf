"""Time-series forecasting: series preparation, forecaster families, backtests, intervals.

The forecast kind's training entry point is ``lepton.learn.forecast.automl:fit_forecast``
(named by ``lepton.runtime.kinds.forecast``); the fitted ``ForecastModel`` is what a
forecast package pickles and what the server's ``/forecast`` route runs.
"""
