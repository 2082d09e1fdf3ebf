"""What a forecasting run is asked to do, validated once at the edge.

Why a dataclass: the CLI, ``lepton.fit`` and retraining pass the same options (time
column, horizon, series id, covariates, quantiles), and every part downstream — series
preparation, backtests, the package manifest — reads these typed fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from lepton.errors import DataError

DEFAULT_QUANTILES = (0.1, 0.5, 0.9)
DEFAULT_WINDOWS = 3
MAX_HORIZON = 10_000


@dataclass(frozen=True)
class ForecastSettings:
    """The forecasting task: which columns mean what, how far ahead, which quantiles."""

    time_column: str
    horizon: int
    id_column: str | None = None
    known_covariates: tuple[str, ...] = ()
    static_covariates: tuple[str, ...] = ()
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES
    n_windows: int = DEFAULT_WINDOWS
    season_length: int | None = None  # None: from the inferred frequency
    families: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.time_column:
            raise DataError("forecasting needs --time-column: the column holding timestamps")
        if not isinstance(self.horizon, int) or not 1 <= self.horizon <= MAX_HORIZON:
            raise DataError(f"--horizon must be a whole number of steps ≥ 1 (got {self.horizon!r})")
        bad = [q for q in self.quantiles if not 0.0 < q < 1.0]
        if bad or not self.quantiles:
            raise DataError(f"--quantiles must lie strictly between 0 and 1 (got {bad or '[]'})")
        if self.n_windows < 1:
            raise DataError(f"backtest windows must be ≥ 1 (got {self.n_windows})")
        if self.season_length is not None and self.season_length < 1:
            raise DataError(f"season length must be ≥ 1 (got {self.season_length})")
        overlap = set(self.known_covariates) & set(self.static_covariates)
        if overlap:
            raise DataError(f"covariates {sorted(overlap)} are listed as both known and static")

    @property
    def columns(self) -> list[str]:
        """Every input column the task names (time, id, covariates)."""
        named = [self.time_column, self.id_column, *self.known_covariates, *self.static_covariates]
        return [c for c in named if c]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("known_covariates", "static_covariates", "quantiles", "families"):
            out[key] = list(out[key]) if out[key] is not None else None
        return out

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> ForecastSettings:
        """From ``lepton.fit``/CLI keyword options; unknown names are a clear error."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(options) - known)
        if unknown:
            raise DataError(
                f"unknown forecasting option(s) {unknown}; known: {', '.join(sorted(known))}"
            )
        if "time_column" not in options or "horizon" not in options:
            raise DataError(
                "forecasting needs a time column and a horizon (--time-column, --horizon)"
            )
        values = dict(options)
        for key in ("known_covariates", "static_covariates", "families"):
            if values.get(key) is not None:
                values[key] = tuple(_names(values[key]))
        if values.get("quantiles") is not None:
            values["quantiles"] = tuple(sorted({float(q) for q in _names(values["quantiles"])}))
        try:
            values["horizon"] = int(values["horizon"])
        except (TypeError, ValueError) as exc:
            raise DataError(
                f"--horizon must be a whole number (got {options['horizon']!r})"
            ) from exc
        return cls(**values)


def _names(value: str | Sequence[Any]) -> list[Any]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return list(value)


@dataclass
class Notes:
    """What preparation and training decided on the user's behalf, for the report."""

    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        if line not in self.lines:
            self.lines.append(line)
