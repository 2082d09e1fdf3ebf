"""The package's ONNX serving graph behind the ``Predictor`` interface.

The graph (written by ``lepton.optimize``) holds the whole pipeline — category lookup,
imputation, scaling, one-hot, every member, the blend, temperature and the
missing-input hedge — so a request only has to be laid out as three plain arrays:

- ``num``     float32 [N, F]: numeric and boolean columns, then datetime parts (NaN = missing)
- ``cat``     string  [N, C]: categorical columns as text (``MISSING`` = missing)
- ``missing`` float32 [N]: share of the row's input columns that are missing

``predict_records`` builds those straight from dicts, without pandas, which is what
makes single-row requests fast. ONNX files hold no code, so loading one is safe.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lepton.errors import DataError, LeptonError
from lepton.runtime.columns import DATETIME_PARTS, FALSE_TEXTS, TRUE_TEXTS, booleans, date_parts
from lepton.runtime.manifest import ColumnSpec, PackageManifest, read_manifest
from lepton.runtime.predictor import RawOutputPredictor

MISSING = "\x00<missing>"  # the category text for a missing value; never a real category


def session_options(threads: int = 1) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return options


class GraphLayout:
    """How request columns map onto the graph's ``num`` / ``cat`` inputs (from the manifest)."""

    def __init__(self, input_schema: Sequence[ColumnSpec]) -> None:
        kinds = {c.name: c.kind for c in input_schema}
        self.columns = [c.name for c in input_schema]
        self.numeric = [n for n, k in kinds.items() if k == "numeric"]
        self.boolean = [n for n, k in kinds.items() if k == "boolean"]
        self.datetime = [n for n, k in kinds.items() if k == "datetime"]
        self.categorical = [n for n, k in kinds.items() if k == "categorical"]
        self.n_num = (
            len(self.numeric) + len(self.boolean) + len(self.datetime) * len(DATETIME_PARTS)
        )

    def from_frame(self, frame: pd.DataFrame) -> dict[str, NDArray[Any]]:
        """Exactly ``FeatureEncoder.transform``'s numbers, with categories left as text."""
        absent = [c for c in self.columns if c not in frame.columns]
        if absent:
            raise DataError(f"input is missing column(s): {', '.join(map(str, absent))}")
        n = len(frame)
        parts: list[NDArray[np.float32]] = []
        if self.numeric:
            block = frame[self.numeric].apply(pd.to_numeric, errors="coerce")
            parts.append(block.to_numpy(dtype=np.float32, na_value=np.nan).reshape(n, -1))
        parts += [booleans(frame[c]).reshape(n, 1) for c in self.boolean]
        parts += [date_parts(frame[c]) for c in self.datetime]
        num = np.hstack(parts).astype(np.float32) if parts else np.zeros((n, 0), np.float32)
        cat = np.empty((n, len(self.categorical)), dtype=object)
        for j, column in enumerate(self.categorical):
            values = frame[column].astype("string").astype(object)
            cat[:, j] = values.where(values.notna(), MISSING).to_numpy()
        missing = frame[self.columns].isna().mean(axis=1).to_numpy(dtype=np.float32)
        return {"num": num, "cat": cat, "missing": missing}

    def from_records(
        self, records: list[dict[str, Any]] | dict[str, list[Any]]
    ) -> dict[str, NDArray[Any]]:
        """The same arrays from plain dicts (absent keys count as missing); no DataFrame."""
        if isinstance(records, dict):
            if self.datetime:
                return self.from_frame(pd.DataFrame(records))
            keys = list(records)
            records = [
                dict(zip(keys, row, strict=True)) for row in zip(*records.values(), strict=True)
            ]
        if self.datetime:  # date parsing is pandas' job; rare in request-time features
            return self.from_frame(pd.DataFrame.from_records(records, columns=self.columns))
        width = len(self.columns)
        num_rows: list[list[float]] = []
        cat_rows: list[list[str]] = []
        missing: list[float] = []
        numeric, boolean, categorical = self.numeric, self.boolean, self.categorical
        # plain lists, one array at the end: element-wise writes into numpy arrays
        # cost more than the rest of the loop together
        for record in records:
            get = record.get
            absent = 0
            row: list[float] = []
            for column in numeric:
                value = get(column)
                if isinstance(value, float | int):
                    if value != value:
                        absent += 1
                    row.append(value)
                elif _is_missing(value):
                    absent += 1
                    row.append(math.nan)
                else:
                    row.append(_number(value))
            for column in boolean:
                value = get(column)
                if _is_missing(value):
                    absent += 1
                    row.append(math.nan)
                else:
                    text = str(value).strip().lower()
                    row.append(
                        1.0 if text in TRUE_TEXTS else 0.0 if text in FALSE_TEXTS else math.nan
                    )
            texts: list[str] = []
            for column in categorical:
                value = get(column)
                if _is_missing(value):
                    absent += 1
                    texts.append(MISSING)
                else:
                    texts.append(value if type(value) is str else str(value))
            num_rows.append(row)
            cat_rows.append(texts)
            missing.append(absent / width)
        n = len(num_rows)
        num = np.array(num_rows, dtype=np.float32).reshape(n, self.n_num)
        cat = np.empty((n, len(categorical)), dtype=object)
        if n and categorical:
            cat[:] = cat_rows
        return {"num": num, "cat": cat, "missing": np.array(missing, dtype=np.float32)}


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and value != value


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


class OnnxPredictor(RawOutputPredictor):
    """A ``Predictor`` that runs the package's ONNX serving graph with onnxruntime."""

    def __init__(
        self,
        graph: Path | bytes,
        manifest: PackageManifest,
        path: Path | None = None,
        *,
        threads: int = 1,
    ):
        import onnxruntime as ort

        self.manifest = manifest
        self.path = path
        self.layout = GraphLayout(manifest.input_schema)
        source = str(graph) if isinstance(graph, Path) else graph
        try:
            self.session = ort.InferenceSession(
                source, sess_options=session_options(threads), providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own exception types
            raise LeptonError(
                f"the ONNX graph of {path or 'this package'} cannot be loaded: {exc}"
            ) from exc
        self._inputs = {i.name for i in self.session.get_inputs()}
        self._output = self.session.get_outputs()[0].name

    @classmethod
    def load(cls, folder: str | Path, *, threads: int = 1) -> OnnxPredictor:
        path = Path(folder)
        manifest = read_manifest(path)
        relative = manifest.serving.get("onnx")
        if not relative or not (path / relative).is_file():
            raise LeptonError(f"model package {path} has no ONNX serving graph")
        return cls(path / relative, manifest, path, threads=threads)

    def run(self, feed: dict[str, NDArray[Any]]) -> NDArray[np.float64]:
        """Probabilities (n, k) or values (n,) for prepared graph inputs."""
        if len(feed["missing"]) == 0:
            k = len(self.labels)
            return np.zeros((0, k) if self.task != "regression" else 0, dtype=np.float64)
        out = self.session.run([self._output], {k: v for k, v in feed.items() if k in self._inputs})
        return np.asarray(out[0], dtype=np.float64)

    def predict_records(
        self, records: list[dict[str, Any]] | dict[str, list[Any]]
    ) -> NDArray[np.float64]:
        return self.run(self.layout.from_records(records))

    def predict_raw(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        return self.run(self.layout.from_frame(frame))
