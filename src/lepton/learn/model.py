"""The trained pipeline: feature encoder → fold models of each member → weighted blend.

This is what gets pickled into a model package's ``native/`` folder and what the
``Predictor`` wraps. It takes a DataFrame and returns probabilities or values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.compute import available_cores
from lepton.learn.ensemble import apply_temperature
from lepton.learn.families.base import FittedModel, using_predict_threads
from lepton.learn.features import Encoded, FeatureEncoder
from lepton.learn.tasks import TargetEncoding
from lepton.learn.text import MAX_TEXT_CHARS
from lepton.runtime.kinds import infer_kind
from lepton.runtime.manifest import ColumnSpec, MemberSpec
from lepton.runtime.predictor import proba_frame

HEDGE_FROM_MISSING_SHARE = 0.5
BATCH_ROWS = 10_000  # from here a predict call uses every core (lepton predict, Model.predict)
HEDGE_PSEUDO_ROWS = 10.0  # smoothing of a category's class shares toward the overall prior
HEDGE_COUNTS = "hedge_category_counts"  # key in ``TrainedModel.extra``


@dataclass
class Member:
    """One trial's fold models, averaged (a bag), with its ensemble weight."""

    name: str
    family: str
    params: dict[str, Any]
    models: list[FittedModel]
    weight: float

    def predict(self, data: Encoded) -> NDArray[np.float64]:
        return np.asarray(np.mean([m.predict(data) for m in self.models], axis=0), dtype=np.float64)


@dataclass
class TrainedModel:
    encoder: FeatureEncoder
    target: TargetEncoding
    target_name: str
    members: list[Member]
    temperature: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)
    prior: NDArray[np.float64] | None = None  # class shares (or the mean) seen in training

    @property
    def task(self) -> str:
        return self.target.task

    @property
    def labels(self) -> list[Any]:
        return self.target.labels

    @property
    def input_columns(self) -> list[str]:
        return list(self.encoder.input_columns)

    @property
    def kind(self) -> str:
        return infer_kind(c.kind for c in self.input_schema())

    @property
    def dropped_columns(self) -> dict[str, str]:
        return dict(self.encoder.dropped_)

    def input_schema(self, frame: pd.DataFrame | None = None) -> tuple[ColumnSpec, ...]:
        """Columns a request must carry, with kinds and allowed values (ranges from ``frame``)."""
        return tuple(_column_spec(self.encoder, name, frame) for name in self.encoder.input_columns)

    def ensemble_specs(self) -> tuple[MemberSpec, ...]:
        return tuple(
            MemberSpec(m.name, m.family, m.weight, m.params, len(m.models)) for m in self.members
        )

    def manifest_extra(self) -> dict[str, Any]:
        return {}

    def predict_records(
        self, records: list[dict[str, Any]] | dict[str, list[Any]]
    ) -> NDArray[np.float64]:
        """Raw outputs for plain request records (or columns); builds a DataFrame first."""
        if isinstance(records, dict):
            return self.predict_raw(pd.DataFrame(records))
        return self.predict_raw(
            pd.DataFrame.from_records(records, columns=self.encoder.input_columns)
        )

    def predict_raw(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """Probabilities (n, k) for classification, values (n,) for regression.

        A batch of ``BATCH_ROWS`` rows or more predicts on every core (same outputs).
        """
        data = self.encoder.transform(frame)
        threads = available_cores() if len(frame) >= BATCH_ROWS else 1
        with using_predict_threads(threads):
            blended = sum(m.weight * m.predict(data) for m in self.members if m.weight > 0)
        out = np.asarray(blended, dtype=np.float64)
        if self.task != "regression":
            out = apply_temperature(out / out.sum(axis=1, keepdims=True), self.temperature)
        return self._hedge_uninformed(frame, out, data)

    def _hedge_uninformed(
        self, frame: pd.DataFrame, out: NDArray[np.float64], data: Encoded | None = None
    ) -> NDArray[np.float64]:
        """Rows missing most of their inputs carry little evidence: lean on the training prior.

        Models extrapolate confidently from imputed values; on such rows that confidence is
        unearned and, for log loss, ruinous. A row missing a share ``m >= 0.5`` of its
        inputs is blended ``(1 - m) * prediction + m * prior``; complete rows are untouched.
        The prior is conditioned on whatever categorical inputs the row does have (see
        ``_conditional_prior``), so the little evidence there is still counts.
        """
        columns = [c for c in self.encoder.input_columns if c in frame.columns]
        if self.prior is None or not columns:
            return out
        missing = frame[columns].isna().mean(axis=1).to_numpy()
        hedge = np.where(missing >= HEDGE_FROM_MISSING_SHARE, missing, 0.0)
        if not hedge.any():
            return out
        rows = np.flatnonzero(hedge)
        prior = self._conditional_prior(frame, rows, data)
        out = out.copy()
        m = hedge[rows]
        if out.ndim == 1:
            out[rows] = (1 - m) * out[rows] + m * prior[:, 0]
        else:
            out[rows] = (1 - m)[:, None] * out[rows] + m[:, None] * prior
        return out

    def _conditional_prior(
        self, frame: pd.DataFrame, rows: NDArray[np.int64], data: Encoded | None
    ) -> NDArray[np.float64]:
        """The training prior given the categorical inputs a row still has, shape (rows, k).

        Each observed category contributes its training class shares (or target mean),
        smoothed toward the overall prior by ``HEDGE_PSEUDO_ROWS`` pseudo-rows; several
        observed categories are combined by averaging their log likelihood ratios (a
        geometric mean, so correlated columns are not counted twice). Rows with no
        observed category, or models trained without these counts, get the plain prior.
        """
        assert self.prior is not None
        base = np.tile(self.prior, (len(rows), 1)).astype(np.float64)
        tables: list[NDArray[np.float64]] = self.extra.get(HEDGE_COUNTS) or []
        if not tables:
            return base
        codes = (data.cat if data is not None else self.encoder.transform(frame).cat)[rows]
        regression = self.task == "regression"
        shift = np.zeros_like(base)
        seen = np.zeros(len(rows))
        for j, table in enumerate(tables):
            code = codes[:, j]
            known = (code >= 0) & (code < len(table))
            if not known.any():
                continue
            counts = table[code[known]]  # (n, k) class counts, or (n, 2) [count, sum]
            if regression:
                n = counts[:, 0]
                mean = (counts[:, 1] + HEDGE_PSEUDO_ROWS * self.prior[0]) / (n + HEDGE_PSEUDO_ROWS)
                shift[known, 0] += mean - self.prior[0]
            else:
                n = counts.sum(axis=1, keepdims=True)
                shares = (counts + HEDGE_PSEUDO_ROWS * self.prior) / (n + HEDGE_PSEUDO_ROWS)
                shift[known] += np.log(shares) - np.log(self.prior)
            seen[known] += 1
        has = seen > 0
        if regression:
            base[has, 0] += shift[has, 0] / seen[has]
            return base
        logits = np.log(base[has]) + shift[has] / seen[has, None]
        conditioned = np.exp(logits - logits.max(axis=1, keepdims=True))
        base[has] = conditioned / conditioned.sum(axis=1, keepdims=True)
        return base

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        return proba_frame(self.task, self.predict_raw(frame), self.labels, frame.index)

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        raw = self.predict_raw(frame)
        if self.task == "regression":
            return pd.Series(raw, index=frame.index, name=self.target_name)
        values = self.target.decode(raw.argmax(axis=1))
        return pd.Series(values, index=frame.index, name=self.target_name)


def _column_spec(encoder: FeatureEncoder, name: str, frame: pd.DataFrame | None) -> ColumnSpec:
    kind = (
        "numeric"
        if name in encoder.numeric_
        else "boolean"
        if name in encoder.boolean_
        else "datetime"
        if name in encoder.datetime_
        else "text"
        if name in encoder.text_
        else "categorical"
    )
    low = high = dtype = None
    if frame is not None and name in frame.columns and kind == "numeric":
        values = pd.to_numeric(frame[name], errors="coerce")
        low, high, dtype = float(values.min()), float(values.max()), str(frame[name].dtype)
    return ColumnSpec(
        name,
        kind,
        categories=tuple(str(v) for v in encoder.categorical_[name])
        if kind == "categorical"
        else None,
        max_chars=MAX_TEXT_CHARS if kind == "text" else None,
        min=low,
        max=high,
        dtype=dtype,
    )
