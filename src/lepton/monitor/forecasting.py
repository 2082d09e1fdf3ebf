"""Live forecast accuracy: logged forecasts scored against the actuals sent back.

Why scaled like training: MASE divides each series' absolute error by the naive error
the model measured on that series' training history (``details["scales"]``), and the
residual drift compares live scaled residuals with the backtest's, so the live numbers
sit on the same scale as the backtest figures in the package manifest and a decay shows
as a difference. Series the model never saw (forecast from sent history only) have no
recorded scale and are left out of MASE and residual drift (still in coverage).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lepton.learn.forecast.metrics import interval_pairs
from lepton.learn.forecast.model import quantile_name
from lepton.monitor.drift import FeatureDrift, detect_drift
from lepton.monitor.performance import COLUMNS, OVER_TIME, LivePerformance
from lepton.runtime.loader import load_predictor
from lepton.runtime.manifest import PackageManifest
from lepton.store.project import Project

RESIDUAL = "scaled_residual"


def backtest_figures(manifest: PackageManifest) -> dict[str, float]:
    """What the package's backtest measured: mean MASE, interval coverage, residual mean."""
    backtest = dict((manifest.extra.get("forecast") or {}).get("backtest") or {})
    mean = backtest.get("mean") or {}
    out: dict[str, float] = {}
    if "mase" in mean:
        out["mase"] = float(mean["mase"])
    for key, value in (backtest.get("coverage") or {}).items():
        out[str(key)] = float(value)
    if "residual_mean" in backtest:
        out["residual_mean"] = float(backtest["residual_mean"])
    return out


class _Version:
    """One model version's recorded scales, quantiles and backtest, loaded once."""

    def __init__(self, project: Project, model: str, version: int) -> None:
        predictor, _ = load_predictor(project, f"{model}@{version}")
        details: dict[str, Any] = dict(getattr(predictor.model, "details", {}) or {})
        self.scales = dict(
            zip(map(str, details.get("scale_ids", [])), details.get("scales", []), strict=True)
        )
        self.residuals = np.asarray(details.get("residual_sample", []), dtype=float)
        settings = predictor.manifest.extra.get("forecast") or {}
        self.quantiles = tuple(float(q) for q in settings.get("quantiles") or ())
        self.training = backtest_figures(predictor.manifest)


def score(frame: pd.DataFrame, version: _Version) -> tuple[dict[str, float], np.ndarray]:
    """MASE, coverage per central interval and mean scaled residual; the residuals."""
    truth = pd.to_numeric(frame["label"], errors="coerce").to_numpy(dtype=float)
    mean = frame["out_prediction"].to_numpy(dtype=float)
    scale = frame["in_series"].astype(str).map(version.scales).to_numpy(dtype=float)
    finite = np.isfinite(truth) & np.isfinite(mean)
    out: dict[str, float] = {}
    for low, high in interval_pairs(version.quantiles):
        lo_col, hi_col = f"out_{quantile_name(low)}", f"out_{quantile_name(high)}"
        if lo_col in frame.columns and hi_col in frame.columns and finite.any():
            lo = frame[lo_col].to_numpy(dtype=float)[finite]
            hi = frame[hi_col].to_numpy(dtype=float)[finite]
            inside = (truth[finite] >= lo) & (truth[finite] <= hi)
            out[f"coverage_{round((high - low) * 100)}"] = float(inside.mean())
    scaled = finite & np.isfinite(scale) & (scale > 0)
    residuals = np.zeros(0)
    if scaled.any():
        errors = pd.DataFrame(
            {
                "series": frame["in_series"].astype(str).to_numpy()[scaled],
                "abs": np.abs(truth - mean)[scaled] / scale[scaled],
            }
        )
        out["mase"] = float(errors.groupby("series")["abs"].mean().mean())
        residuals = (truth - mean)[scaled] / scale[scaled]
        out["residual_mean"] = float(residuals.mean())
    return out, residuals


def forecast_performance(
    project: Project, model: str, manifest: PackageManifest, labelled: pd.DataFrame, bucket: str
) -> LivePerformance:
    """Live MASE, coverage and residuals per version, against each version's backtest."""
    if labelled.empty:
        return LivePerformance()
    versions = {
        int(str(v)): _Version(project, model, int(str(v))) for v in labelled["version"].unique()
    }
    rows = []
    drift: FeatureDrift | None = None
    primary_residuals: dict[int, np.ndarray] = {}
    for version, group in labelled.groupby("version"):
        number = int(str(version))
        loaded = versions[number]
        metrics, residuals = score(group, loaded)
        primary_residuals[number] = residuals
        for metric, value in metrics.items():
            trained = loaded.training.get(metric)
            rows.append(
                {
                    "version": number,
                    "metric": metric,
                    "live": value,
                    "n": len(group),
                    "training": trained,
                    "change": None if trained is None else value - trained,
                }
            )
    newest = max(primary_residuals, key=lambda v: len(primary_residuals[v]))
    live, loaded = primary_residuals[newest], versions[newest]
    if len(live) and len(loaded.residuals):
        drift = residual_drift(loaded.residuals, live)
    over_time: list[dict[str, Any]] = []
    frame = labelled.assign(bucket=labelled["ts"].dt.floor(bucket))
    for (ts, key), group in frame.groupby(["bucket", "version"]):
        number = int(str(key))
        metrics, _ = score(group, versions[number])
        for metric, value in metrics.items():
            over_time.append(
                {"ts": ts, "version": number, "metric": metric, "value": value, "n": len(group)}
            )
    return LivePerformance(
        pd.DataFrame(rows, columns=COLUMNS), pd.DataFrame(over_time, columns=OVER_TIME), drift
    )


def residual_drift(backtest: np.ndarray, live: np.ndarray) -> FeatureDrift:
    """Live scaled residuals vs the backtest's: has the error distribution moved?"""
    report = detect_drift(
        pd.DataFrame({RESIDUAL: backtest}),
        pd.DataFrame({RESIDUAL: live}),
        kinds={RESIDUAL: "numeric"},
    )
    return report.features[0]
