"""Forecasts: ``{"series": [...]}`` or ``{"history": [...], "future": [...]}`` → one request.

Why one "row" per request: a forecast request is not a batch of independent rows (the
history rows of a series only mean something together), so ``read`` returns the parsed
body as a single row and ``validate`` checks it against one version's forecast settings
(its time/id/target columns, known covariates and trained horizon). Forecasts answer on
``/forecast``, never through the row batcher; the log keeps one row per (series, step).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from starlette.requests import Request

from lepton.runtime.manifest import PackageManifest
from lepton.serve.codecs.base import Codec, Records, WrongEndpoint
from lepton.serve.codecs.body import MAX_BODY_BYTES, read_json_object
from lepton.serve.codecs.openapi import json_object
from lepton.serve.echo import clip, echo
from lepton.serve.validation import PayloadTooLarge, RequestError
from lepton.store.predictions import canonical_times

MAX_HISTORY_ROWS = 200_000
MAX_SERIES = 10_000
FIELDS = ("series", "history", "future", "horizon")


class ForecastCodec(Codec):
    """One forecast request, checked against one version's forecasting settings."""

    endpoint = "forecast"

    @classmethod
    def for_manifest(
        cls, manifest: PackageManifest, *, reject_unknown_categories: bool
    ) -> ForecastCodec:
        settings = dict(manifest.extra.get("forecast") or {})
        if not settings.get("time_column") or not settings.get("horizon"):
            raise RequestError(
                f"package of {manifest.target!r} records no forecast settings", field="model"
            )
        return cls(
            target=manifest.target,
            time_column=str(settings["time_column"]),
            horizon=int(settings["horizon"]),
            id_column=settings.get("id_column"),
            known_covariates=list(settings.get("known_covariates") or []),
            static_covariates=list(settings.get("static_covariates") or []),
        )

    def __init__(
        self,
        *,
        target: str,
        time_column: str,
        horizon: int,
        id_column: str | None = None,
        known_covariates: list[str] | None = None,
        static_covariates: list[str] | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.target = target
        self.time_column = time_column
        self.horizon = horizon
        self.id_column = id_column
        self.known_covariates = list(known_covariates or [])
        self.static_covariates = list(static_covariates or [])
        self.max_body_bytes = max_body_bytes

    # -- reading and checking ------------------------------------------------------------
    async def read(self, request: Request) -> list[Any]:
        wanted = '{"series": ["id", …]} or {"history": [{column: value, …}], "horizon": H}'
        return [await read_json_object(request, self.max_body_bytes, wanted)]

    def validate(self, rows: list[Any]) -> Records:
        """The body → ``[{"series", "history", "future", "horizon"}]`` (one request)."""
        if len(rows) != 1 or not isinstance(rows[0], dict):
            raise RequestError("a forecast request is one JSON object", field="body")
        body: dict[str, Any] = rows[0]
        unknown = [k for k in body if k not in FIELDS]
        if unknown:
            raise RequestError(
                f"unknown field(s) {echo(unknown)}; a forecast request has {', '.join(FIELDS)}",
                field=clip(str(unknown[0])),
            )
        horizon = self._horizon(body.get("horizon"))
        series = self._series(body.get("series"))
        history = self._rows(body.get("history"), "history", self._history_columns())
        future = self._rows(body.get("future"), "future", self._future_columns())
        if series is None and history is None:
            raise RequestError(
                'name stored series {"series": ["id", …]} or send their recent {"history": [rows]}',
                field="series",
            )
        if series is not None and history is not None:
            raise RequestError(
                "send either stored series names or history rows, not both", field="series"
            )
        if history is not None:
            for i, row in enumerate(history):
                value = row[self.target]
                if value is not None and not _is_number(value):
                    raise RequestError(
                        f"{self.target} must be a number, got {echo(value)}",
                        field=f"history[{i}].{self.target}",
                        row=i,
                    )
        if future is not None and not self.known_covariates:
            raise RequestError("this model uses no known covariates: drop 'future'", field="future")
        return [{"series": series, "history": history, "future": future, "horizon": horizon}]

    def _horizon(self, value: Any) -> int:
        if value is None:
            return self.horizon
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise RequestError(
                f"horizon must be a whole number, got {echo(value)}", field="horizon"
            )
        steps = int(value)
        if not 1 <= steps <= self.horizon:
            raise RequestError(
                f"horizon {steps} is outside 1..{self.horizon}: this model was trained and "
                f"backtested for at most {self.horizon} steps",
                field="horizon",
            )
        return steps

    def _series(self, value: Any) -> list[str] | None:
        if value is None:
            return None
        if not isinstance(value, list) or not value:
            raise RequestError('"series" must be a non-empty list of series ids', field="series")
        if len(value) > MAX_SERIES:
            raise PayloadTooLarge(
                f"{len(value)} series in one request; the limit is {MAX_SERIES}", field="series"
            )
        out = []
        for i, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, str | int):
                raise RequestError(
                    f"a series id is a string, got {echo(item)}", field=f"series[{i}]", row=i
                )
            out.append(str(item))
        return out

    def _history_columns(self) -> list[str]:
        named = [self.time_column, self.id_column, self.target, *self.known_covariates]
        return [c for c in named if c]

    def _future_columns(self) -> list[str]:
        named = [self.time_column, self.id_column, *self.known_covariates]
        return [c for c in named if c]

    def _rows(self, value: Any, name: str, required: list[str]) -> Records | None:
        if value is None:
            return None
        if not isinstance(value, list) or not value:
            raise RequestError(f'"{name}" must be a non-empty list of row objects', field=name)
        if len(value) > MAX_HISTORY_ROWS:
            raise PayloadTooLarge(
                f"{len(value)} {name} rows in one request; the limit is {MAX_HISTORY_ROWS}",
                field=name,
            )
        for i, row in enumerate(value):
            if not isinstance(row, dict):
                raise RequestError(f"each {name} row is an object", field=f"{name}[{i}]", row=i)
            for column in required:
                if row.get(column) is None and not (column == self.target and column in row):
                    raise RequestError(
                        f"{name} row {i} lacks {column!r}", field=f"{name}[{i}].{column}", row=i
                    )
        return list(value)

    # -- answering and logging -----------------------------------------------------------
    def frames(self, request: dict[str, Any]) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
        """The request's history and future rows as the frames the model takes."""
        history = pd.DataFrame.from_records(request["history"]) if request["history"] else None
        future = pd.DataFrame.from_records(request["future"]) if request["future"] else None
        return history, future

    def series_column(self) -> str:
        return self.id_column or "series"

    def forecasts(self, frame: pd.DataFrame, outputs: list[str]) -> Records:
        """The model's forecast frame → answer rows ``{"series", <time>, "step", …}``."""
        ids = frame[self.series_column()].astype(str).to_numpy()
        times = canonical_times(frame[self.time_column]).to_numpy()
        steps = frame["step"].to_numpy(dtype=np.int64)
        values = frame[outputs].to_numpy(dtype=float)
        out = []
        for i in range(len(frame)):
            row: dict[str, Any] = {
                "series": ids[i],
                self.time_column: times[i],
                "step": int(steps[i]),
            }
            row.update(zip(outputs, values[i].tolist(), strict=True))
            out.append(row)
        return out

    def loggable(self, records: Records) -> Records:
        """Per series of a request: its id, last history time and mean level (input checks)."""
        request = records[0]
        levels = self._levels(request)
        last: dict[str, Any] = {}
        for row in request["history"] or []:
            series = str(row.get(self.id_column)) if self.id_column else "series"
            last[series] = max(str(row[self.time_column]), last.get(series, ""))
        return [
            {"series": series, "time": last.get(series), "level": level}
            for series, level in levels.items()
        ]

    def encode(self, outputs: NDArray[Any], labels: list[Any] | None) -> dict[str, Any]:
        """Forecast values → one object per (series, step) keyed by output column."""
        columns = [str(label) for label in labels or []]
        values = np.asarray(outputs, dtype=float)
        return {"predictions": [dict(zip(columns, row, strict=True)) for row in values.tolist()]}

    def log_rows(
        self, request: dict[str, Any], answer: Records, outputs: list[str]
    ) -> tuple[Records, NDArray[np.float64]]:
        """One logged row per (series, step): series id, target time, step, history level."""
        levels = self._levels(request)
        if not self.id_column and len(levels) == 1:  # one series: whatever the model calls it
            only = next(iter(levels.values()))
            levels = {row["series"]: only for row in answer}
        records = [
            {
                "series": row["series"],
                "time": row[self.time_column],
                "step": row["step"],
                "level": levels.get(row["series"]),
            }
            for row in answer
        ]
        values = np.array([[row[c] for c in outputs] for row in answer], dtype=float)
        return records, values.reshape(len(answer), len(outputs))

    def _levels(self, request: dict[str, Any]) -> dict[str, float]:
        """Mean of the target in the history each series was sent with (for drift)."""
        if not request["history"]:
            return {}
        frame = pd.DataFrame.from_records(request["history"])
        ids = (
            frame[self.id_column].astype(str)
            if self.id_column and self.id_column in frame.columns
            else pd.Series("series", index=frame.index)
        )
        values = pd.to_numeric(frame[self.target], errors="coerce")
        means = values.groupby(ids.to_numpy()).mean()
        return {str(k): float(v) for k, v in means.items() if math.isfinite(v)}

    @classmethod
    def openapi_request_body(cls) -> dict[str, Any]:
        rows = {"type": "array", "items": {"type": "object"}}
        return {
            "content": {
                "application/json": json_object(
                    series={
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "forecast these stored series (from their training history)",
                    },
                    history={**rows, "description": "recent rows: time, series id, target, …"},
                    future={**rows, "description": "known covariates for the forecast steps"},
                    horizon={"type": "integer", "description": "steps ahead (default: trained)"},
                )
            }
        }


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


__all__ = ["ForecastCodec", "WrongEndpoint"]
