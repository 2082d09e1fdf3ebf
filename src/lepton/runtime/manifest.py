"""The model package contract: a typed, versioned ``PackageManifest``.

Why typed: the manifest is what training writes and what the server, the optimizer,
the monitor and the CLI read. As a dict it was read by string key in a dozen files
and written by three builders; as one dataclass with one reader and one writer a
missing or misspelt field fails once, at the edge, with a clear message.

Format history:

- ``lepton.model/1``: no ``kind`` field; image packages carried a top-level
  ``preprocessing`` copy. Read by ``_upgrade_v1``: the kind is inferred by the kinds
  registry from the input columns, so packages already in a store still load.
- ``lepton.model/2``: adds ``kind``; everything not in the typed fields rides in
  ``extra`` (feature importance, notes, training details).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lepton.errors import LeptonError
from lepton.runtime.kinds.registry import get_kind, infer_kind

FORMAT = "lepton.model/2"
LEGACY_FORMATS = ("lepton.model/1",)
MANIFEST = "lepton.json"
NATIVE = "native/model.pkl"
ONNX = "onnx/model.onnx"


@dataclass(frozen=True)
class ColumnSpec:
    """One input a request must carry: its kind and what values are allowed."""

    name: str
    kind: str  # numeric, boolean, datetime, categorical, text, image
    nullable: bool = True
    categories: tuple[str, ...] | None = None
    max_chars: int | None = None
    min: float | None = None
    max: float | None = None
    dtype: str | None = None
    preprocessing: dict[str, Any] | None = None  # images: how pixels reach the network

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "nullable": self.nullable}
        for key in ("categories", "max_chars", "min", "max", "dtype", "preprocessing"):
            value = getattr(self, key)
            if value is not None:
                out[key] = list(value) if key == "categories" else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnSpec:
        categories = data.get("categories")
        return cls(
            name=str(data["name"]),
            kind=str(data["kind"]),
            nullable=bool(data.get("nullable", True)),
            categories=tuple(str(c) for c in categories) if categories is not None else None,
            max_chars=data.get("max_chars"),
            min=data.get("min"),
            max=data.get("max"),
            dtype=data.get("dtype"),
            preprocessing=data.get("preprocessing"),
        )


@dataclass(frozen=True)
class OutputSpec:
    """What a prediction is: class probabilities over ``labels``, or a value."""

    type: str  # "class", "value", "forecast", "cluster", "anomaly", "spans", "transcript"
    name: str
    labels: tuple[Any, ...] = ()
    probabilities: bool = False

    @classmethod
    def for_task(cls, task: str, target: str, labels: list[Any]) -> OutputSpec:
        if task == "regression":
            return cls("value", target)
        if task == "forecast":  # labels name the columns of each step: mean, q0.1, …
            return cls("forecast", target, tuple(labels), False)
        if task == "clustering":  # labels are cluster ids; outputs are closeness, not proba
            return cls("cluster", target, tuple(labels), False)
        if task == "anomaly":  # labels name the columns of each row: score, is_anomaly
            return cls("anomaly", target, tuple(labels), False)
        if task == "ner":  # per row a list of entity spans; labels are the entity types
            return cls("spans", target, tuple(labels), False)
        if task == "speech":  # per row a transcript: text, segments, timings
            return cls("transcript", target, (), False)
        return cls("class", target, tuple(labels), True)

    def to_dict(self) -> dict[str, Any]:
        if self.type == "value":
            return {"type": "value", "name": self.name}
        if self.type in ("forecast", "anomaly", "spans", "transcript"):
            return {"type": self.type, "name": self.name, "labels": list(self.labels)}
        return {
            "type": self.type,
            "name": self.name,
            "labels": list(self.labels),
            "probabilities": self.probabilities,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutputSpec:
        return cls(
            str(data["type"]),
            str(data.get("name", "")),
            tuple(data.get("labels", ())),
            bool(data.get("probabilities", False)),
        )


@dataclass(frozen=True)
class MemberSpec:
    """One ensemble member as the package describes it (the fitted models live in native/)."""

    name: str
    family: str
    weight: float
    params: dict[str, Any]
    n_fold_models: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "family": self.family,
            "weight": self.weight,
            "params": self.params,
            "n_fold_models": self.n_fold_models,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MemberSpec:
        return cls(
            str(data["name"]),
            str(data["family"]),
            float(data["weight"]),
            dict(data.get("params", {})),
            int(data.get("n_fold_models", 1)),
        )


@dataclass(frozen=True)
class VariantSpec:
    """For an optimized variant: which one it is and how it measured."""

    name: str
    description: str = ""
    max_abs_diff: float | None = None
    measurement: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "max_abs_diff": self.max_abs_diff,
            "measurement": self.measurement,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VariantSpec:
        return cls(
            str(data["name"]),
            str(data.get("description", "")),
            data.get("max_abs_diff"),
            data.get("measurement"),
        )


@dataclass(frozen=True)
class PackageManifest:
    """``lepton.json``: everything a consumer needs to know about a package without loading it."""

    kind: str
    task: str
    target: str
    input_schema: tuple[ColumnSpec, ...]
    output_schema: OutputSpec
    metrics: dict[str, Any] = field(default_factory=dict)
    lineage: dict[str, Any] = field(default_factory=dict)
    serving: dict[str, str] = field(default_factory=dict)  # "native" / "onnx" → file
    ensemble: tuple[MemberSpec, ...] = ()
    temperature: float = 1.0
    dropped_columns: dict[str, str] = field(default_factory=dict)
    variant: VariantSpec | None = None
    optimization: list[dict[str, Any]] | None = None  # a variant's measured table
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    extra: dict[str, Any] = field(default_factory=dict)
    format: str = FORMAT

    @property
    def labels(self) -> list[Any]:
        return list(self.output_schema.labels)

    @property
    def input_columns(self) -> list[str]:
        return [c.name for c in self.input_schema]

    @property
    def is_regression(self) -> bool:
        return self.task == "regression"

    @property
    def has_native(self) -> bool:
        return "native" in self.serving

    @property
    def parent(self) -> dict[str, Any]:
        """The version this package is a variant of (empty for trained packages)."""
        return dict(self.lineage.get("parent") or {})

    @property
    def cv_metric(self) -> str | None:
        cv = self.metrics.get("cv") or {}
        return str(cv["metric"]) if "metric" in cv else None

    def columns_of_kind(self, kind: str) -> list[ColumnSpec]:
        return [c for c in self.input_schema if c.kind == kind]

    def schema_dicts(self) -> list[dict[str, Any]]:
        """The input schema as JSON objects (what validators and reports take)."""
        return [c.to_dict() for c in self.input_schema]

    def replace(self, **changes: Any) -> PackageManifest:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format": self.format,
            "kind": self.kind,
            "task": self.task,
            "target": self.target,
            "input_schema": self.schema_dicts(),
            "dropped_columns": self.dropped_columns,
            "output_schema": self.output_schema.to_dict(),
            "metrics": self.metrics,
            "lineage": self.lineage,
            "ensemble": [m.to_dict() for m in self.ensemble],
            "temperature": self.temperature,
            "serving": self.serving,
            "created_at": self.created_at,
        }
        if self.variant is not None:
            out["variant"] = self.variant.to_dict()
        if self.optimization is not None:
            out["optimization"] = self.optimization
        return {**self.extra, **out}

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, where: str = "manifest") -> PackageManifest:
        fmt = data.get("format")
        if fmt in LEGACY_FORMATS:
            data = _upgrade_v1(data)
        elif fmt != FORMAT:
            raise LeptonError(f"{where}: unsupported package format {fmt!r}")
        known = {f.name for f in fields(cls)}
        try:
            variant = data.get("variant")
            manifest = cls(
                kind=str(data["kind"]),
                task=str(data["task"]),
                target=str(data["target"]),
                input_schema=tuple(ColumnSpec.from_dict(c) for c in data["input_schema"]),
                output_schema=OutputSpec.from_dict(data["output_schema"]),
                metrics=dict(data.get("metrics") or {}),
                lineage=dict(data.get("lineage") or {}),
                serving={str(k): str(v) for k, v in (data.get("serving") or {}).items()},
                ensemble=tuple(MemberSpec.from_dict(m) for m in data.get("ensemble") or ()),
                temperature=float(data.get("temperature", 1.0)),
                dropped_columns=dict(data.get("dropped_columns") or {}),
                variant=VariantSpec.from_dict(variant) if variant else None,
                optimization=data.get("optimization"),
                created_at=str(data.get("created_at", "")),
                extra={k: v for k, v in data.items() if k not in known},
                format=FORMAT,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise LeptonError(f"{where} is not a valid Lepton manifest: {exc!r}") from exc
        allowed = get_kind(manifest.kind).input_kinds
        wrong = [c.name for c in manifest.input_schema if c.kind not in allowed]
        if wrong:
            raise LeptonError(
                f"{where}: a {manifest.kind} model cannot take input column(s) "
                f"{', '.join(map(repr, wrong))} of their kind"
            )
        return manifest


def _upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A ``lepton.model/1`` manifest as a /2 one: infer the kind, drop the preprocessing copy."""
    out = {k: v for k, v in data.items() if k != "preprocessing"}
    out["kind"] = infer_kind(str(c.get("kind")) for c in data.get("input_schema", []))
    out["format"] = FORMAT
    return out


def read_manifest(folder: Path) -> PackageManifest:
    """The one reader: ``folder/lepton.json`` as a typed manifest, or a clear error."""
    path = folder / MANIFEST
    if not path.is_file():
        raise LeptonError(f"{folder} is not a Lepton model package: no {MANIFEST}")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise LeptonError(f"{path} is corrupt: {exc}") from exc
    if not isinstance(data, dict):
        raise LeptonError(f"{path} is corrupt: not a JSON object")
    return PackageManifest.from_dict(data, where=str(path))


def write_manifest(folder: Path, manifest: PackageManifest) -> None:
    """The one writer: atomic (temp file + rename), so a reader never sees half a manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(manifest.to_dict(), indent=1, default=_json_default)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".lepton-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, folder / MANIFEST)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)
