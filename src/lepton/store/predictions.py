"""Queries over the prediction log and the feedback attached to it (DuckDB over Parquet).

The server writes predictions under ``<home>/logs/predictions/<deployment>/`` and this
module writes feedback under ``<home>/logs/feedback/<deployment>/``, both as immutable
Parquet parts (temp name + rename). Feedback is idempotent: re-sending a label for the
same ``(request_id, row)`` replaces it when read (the newest wins); ids that match no
logged prediction are reported back, never silently stored.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from lepton.errors import DataError
from lepton.names import validate_name
from lepton.store.journal import recover
from lepton.store.log_mirror import LogMirror
from lepton.store.logs import write_part

_WINDOW = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_window(window: str | None) -> timedelta | None:
    """``"24h"``, ``"30m"``, ``"7d"`` → a timedelta; ``None``/``"all"`` → no limit."""
    if window is None or window == "all":
        return None
    match = _WINDOW.match(window.strip())
    if not match:
        raise DataError(f"window {window!r} not understood: use e.g. 30m, 24h, 7d or all")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


@dataclass
class FeedbackResult:
    accepted: int
    updated: int
    unknown: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "updated": self.updated, "unknown": self.unknown}


@dataclass
class ActualsResult:
    """Actuals matched to logged forecasts: how many, how many forecast rows, which not."""

    accepted: int  # actuals that matched at least one logged forecast
    forecasts: int  # logged forecast rows they labelled (new + updated)
    updated: int  # of those, rows that already had an actual
    unknown: list[dict[str, Any]] = field(default_factory=list)  # {"series", "time"}

    def to_json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "forecasts": self.forecasts,
            "updated": self.updated,
            "unknown": self.unknown,
        }


def is_actuals(frame: pd.DataFrame) -> bool:
    """Forecast actuals (``series, time, value``) rather than request_id-keyed feedback?"""
    columns = set(map(str, frame.columns))
    return "request_id" not in columns and {"series", "time", "value"} <= columns


def canonical_times(values: pd.Series | list[Any], *, field: str = "time") -> pd.Series:
    """Timestamps as the ISO strings forecasts are answered and logged with (naive UTC).

    Forecast answers, the log and actuals all pass through here, so an actual sent back
    with the timestamp a forecast carried (or any other spelling of the same instant)
    matches it.
    """
    raw = pd.Series(values)
    try:
        parsed = pd.to_datetime(raw, errors="coerce", utc=True, format="mixed")
    except (TypeError, ValueError) as exc:
        raise DataError(f"{field}: not timestamps ({exc})", field=field) from exc
    bad = parsed.isna() & raw.notna()
    if bad.any():
        raise DataError(f"{field}: {raw[bad].iloc[0]!r} is not a timestamp", field=field)
    naive = parsed.dt.tz_localize(None)
    return naive.map(lambda t: t.isoformat() if pd.notna(t) else None).astype(object)


class PredictionStore:
    """Read the prediction log, write and read feedback, join them."""

    def __init__(self, logs_root: Path, mirror: LogMirror | None = None) -> None:
        """``mirror``: the log shared through a remote artifact store (every host's parts)."""
        self.root = logs_root
        self.predictions_root = logs_root / "predictions"
        self.feedback_root = logs_root / "feedback"
        self.mirror = mirror

    # -- reading ---------------------------------------------------------------------------
    def _files(self, base: Path, deployment: str) -> str | None:
        on_part = self.mirror.push if self.mirror is not None else None
        recover(self.predictions_root, on_part)  # a crashed server's journal joins the log
        folder = base / validate_name(deployment, kind="deployment name")
        if self.mirror is not None:  # what other hosts logged, before reading
            self.mirror.pull(folder)
        if not folder.exists() or not any(folder.rglob("part-*.parquet")):
            return None
        return str(folder / "**" / "part-*.parquet")

    def predictions(
        self,
        deployment: str,
        *,
        window: str | timedelta | None = None,
        version: int | None = None,
        role: str | None = "primary",
        columns: list[str] | None = None,
    ) -> pd.DataFrame:
        """Logged rows of a deployment, oldest first, filtered by window/version/role."""
        pattern = self._files(self.predictions_root, deployment)
        if pattern is None:
            return pd.DataFrame()
        where, params = self._filters(window, version, role)
        select = ", ".join(f'"{c}"' for c in columns) if columns else "*"
        sql = (
            f"SELECT {select} FROM read_parquet(?, union_by_name=true, hive_partitioning=false)"
            f"{where} ORDER BY ts, request_id, row"
        )
        with duckdb.connect() as con:
            return con.execute(sql, [pattern, *params]).df()

    @staticmethod
    def _filters(
        window: str | timedelta | None, version: int | None, role: str | None
    ) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        span = parse_window(window) if isinstance(window, str) or window is None else window
        if span is not None:
            clauses.append("ts >= ?")
            params.append(datetime.now(UTC) - span)
        if version is not None:
            clauses.append("version = ?")
            params.append(version)
        if role is not None:
            clauses.append("role = ?")
            params.append(role)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def errors(self, deployment: str, *, window: str | timedelta | None = None) -> pd.DataFrame:
        """Requests the server refused or failed (ts, status)."""
        pattern = self._files(self.root / "errors", deployment)
        if pattern is None:
            return pd.DataFrame(columns=["deployment", "ts", "status"])
        where, params = self._filters(window, None, None)
        sql = f"SELECT * FROM read_parquet(?, hive_partitioning=false){where} ORDER BY ts"
        with duckdb.connect() as con:
            return con.execute(sql, [pattern, *params]).df()

    def feedback(self, deployment: str) -> pd.DataFrame:
        """Ground truth per ``(request_id, row)``; the newest label wins."""
        pattern = self._files(self.feedback_root, deployment)
        if pattern is None:
            return pd.DataFrame(columns=["request_id", "row", "label", "received"])
        sql = (
            "SELECT request_id, row, label, received FROM ("
            " SELECT *, row_number() OVER (PARTITION BY request_id, row ORDER BY received DESC)"
            " AS rank FROM read_parquet(?, union_by_name=true, hive_partitioning=false)"
            ") WHERE rank = 1 ORDER BY received"
        )
        with duckdb.connect() as con:
            return con.execute(sql, [pattern]).df()

    def labelled(
        self, deployment: str, *, window: str | timedelta | None = None, version: int | None = None
    ) -> pd.DataFrame:
        """Primary predictions that have feedback, with the label as column ``label``."""
        predictions = self.predictions(deployment, window=window, version=version)
        feedback = self.feedback(deployment)
        if predictions.empty or feedback.empty:
            return pd.DataFrame()
        return predictions.merge(
            feedback[["request_id", "row", "label"]], on=["request_id", "row"], how="inner"
        )

    # -- writing ---------------------------------------------------------------------------
    def add_feedback(self, deployment: str, labels: pd.DataFrame) -> FeedbackResult:
        """Attach ground truth by ``request_id`` (and ``row``, default 0) to logged predictions."""
        if "request_id" not in labels.columns or "label" not in labels.columns:
            raise DataError(
                "feedback needs columns request_id and label (and optionally row); "
                f"got {', '.join(map(str, labels.columns))}"
            )
        frame = labels.copy()
        if "row" not in frame.columns:
            frame["row"] = 0
        frame = frame[["request_id", "row", "label"]]
        if frame["label"].isna().any():
            raise DataError(
                "feedback has empty labels; drop those rows or fill them", field="label"
            )
        frame["request_id"] = frame["request_id"].astype(str)
        try:
            frame["row"] = frame["row"].astype("int64")
        except (TypeError, ValueError) as exc:
            raise DataError(f"feedback 'row' must be integers: {exc}", field="row") from exc
        frame["label"] = frame["label"].astype(str)
        frame = frame.drop_duplicates(["request_id", "row"], keep="last")
        known = self._known_keys(deployment, frame)
        keys = list(zip(frame["request_id"], frame["row"], strict=True))
        is_known = pd.Series([k in known for k in keys], index=frame.index)
        unknown = sorted(set(frame.loc[~is_known, "request_id"]))
        accepted = frame[is_known]
        previous = self.feedback(deployment)
        already = set(zip(previous["request_id"], previous["row"], strict=True))
        updated = sum(
            k in already for k in zip(accepted["request_id"], accepted["row"], strict=True)
        )
        if len(accepted):
            accepted = accepted.assign(received=pd.Timestamp.now(tz=UTC))
            part = write_part(self.feedback_root / deployment, accepted)
            if self.mirror is not None:
                self.mirror.push(part)
        return FeedbackResult(len(accepted) - updated, updated, unknown)

    def add_actuals(self, deployment: str, actuals: pd.DataFrame) -> ActualsResult:
        """Forecast ground truth by ``(series, time, value)``: labels every logged forecast
        of that series for that timestamp (stored as feedback on its ``(request_id, row)``).

        Actuals that match no logged forecast come back in ``unknown``, never stored.
        """
        missing = [c for c in ("series", "time", "value") if c not in actuals.columns]
        if missing:
            raise DataError(
                f"actuals need columns series, time and value; missing {', '.join(missing)}",
                field=missing[0],
            )
        frame = pd.DataFrame(
            {
                "series": actuals["series"].astype(str).to_numpy(),
                "time": canonical_times(actuals["time"].reset_index(drop=True)).to_numpy(),
                "value": pd.to_numeric(actuals["value"], errors="coerce").to_numpy(float),
            }
        )
        if frame["time"].isna().any():
            raise DataError("actuals have empty timestamps", field="time")
        if not frame["value"].map(math.isfinite).all():
            raise DataError("actuals need a finite number in 'value'", field="value")
        frame = frame.drop_duplicates(["series", "time"], keep="last").reset_index(drop=True)
        logged = self._forecast_keys(deployment)
        matched = frame.merge(logged, on=["series", "time"], how="inner")
        hit = set(zip(matched["series"], matched["time"], strict=True))
        is_known = [k in hit for k in zip(frame["series"], frame["time"], strict=True)]
        unknown = frame.loc[[not k for k in is_known], ["series", "time"]]
        missed = [{"series": str(a), "time": str(b)} for a, b in unknown.itertuples(index=False)]
        result = ActualsResult(int(sum(is_known)), 0, 0, missed)
        if len(matched):
            labels = pd.DataFrame(
                {
                    "request_id": matched["request_id"].to_numpy(),
                    "row": matched["row"].to_numpy(),
                    "label": [repr(float(v)) for v in matched["value"]],
                }
            )
            written = self.add_feedback(deployment, labels)
            result.forecasts = written.accepted + written.updated
            result.updated = written.updated
        return result

    def _forecast_keys(self, deployment: str) -> pd.DataFrame:
        """``(request_id, row, series, time)`` of every primary forecast logged."""
        empty = pd.DataFrame(columns=["request_id", "row", "series", "time"])
        pattern = self._files(self.predictions_root, deployment)
        if pattern is None:
            return empty
        sql = (
            "SELECT request_id, row, in_series AS series, in_time AS time FROM read_parquet(?,"
            " union_by_name=true, hive_partitioning=false) WHERE role = 'primary'"
            " AND in_series IS NOT NULL"
        )
        try:
            with duckdb.connect() as con:
                keys = con.execute(sql, [pattern]).df()
        except duckdb.BinderException:  # no forecast was ever logged here
            return empty
        keys["series"] = keys["series"].astype(str)
        keys["time"] = canonical_times(keys["time"]).to_numpy()
        return keys

    def _known_keys(self, deployment: str, frame: pd.DataFrame) -> set[tuple[str, int]]:
        pattern = self._files(self.predictions_root, deployment)
        if pattern is None:
            return set()
        sql = (
            "SELECT DISTINCT p.request_id, p.row FROM read_parquet(?, union_by_name=true,"
            " hive_partitioning=false) p JOIN wanted w ON p.request_id = w.request_id"
            " AND p.row = w.row WHERE p.role = 'primary'"
        )
        with duckdb.connect() as con:
            con.register("wanted", frame[["request_id", "row"]])
            rows = con.execute(sql, [pattern]).fetchall()
        return {(str(r[0]), int(r[1])) for r in rows}


def strip_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """The logged input columns under their original names (``in_age`` → ``age``)."""
    inputs = [c for c in frame.columns if c.startswith("in_")]
    return frame[inputs].rename(columns=lambda c: c[3:])
