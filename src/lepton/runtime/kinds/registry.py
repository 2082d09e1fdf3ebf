"""The registry of model kinds: the one place that knows tables from texts from images.

Why a registry: the question "what kind of model is this?" used to be answered in
fourteen places with five different tests. Now a kind is one module in
``lepton.runtime.kinds`` that declares, for its models, everything each layer needs:

- which input columns make a dataset (or a package's input schema) this kind;
- the HTTP codec (``lepton.serve``): request body → rows, rows → records, outputs →
  response, and the OpenAPI request body;
- how to run its ONNX serving graph (``lepton.runtime``);
- its optimizer variants (``lepton.optimize``);
- its drift and quality checks, live performance and retraining (``lepton.monitor``);
- its training entry point (``lepton.learn``).

The parts that live in higher layers are named by ``"module:attribute"`` references and
imported only when used (like setuptools entry points), so the server of an ONNX
deployment never imports the training or optimization toolchain, and the layers stay
free of import cycles. Kind modules are discovered in this package; a third-party kind
can register itself with ``register_kind``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from typing import Any, ClassVar

from lepton.errors import DataError, LeptonError

FALLBACK = "tabular"


class ModelKind:
    """What one kind of model declares. Subclass it in a module of this package."""

    name: ClassVar[str]
    priority: ClassVar[int] = 0  # higher claims first; the tabular fallback is lowest
    claims_columns: ClassVar[frozenset[str]] = frozenset()  # any of these makes it this kind
    tasks: ClassVar[frozenset[str]] = frozenset()  # tasks only this kind trains (e.g. forecast)
    # the keyword options (CLI flags) its training takes, beyond the common ones
    options: ClassVar[frozenset[str]] = frozenset()
    needs_target: ClassVar[bool] = True  # False: unsupervised (clustering, rules, …)
    input_kinds: ClassVar[frozenset[str]]  # column kinds its input schema may hold
    output_shape: ClassVar[str] = (
        "probabilities (n, k) over the labels for classifiers, values (n,) for regression"
    )
    default_target: ClassVar[str | None] = None  # when the dataset records none
    feature_importance: ClassVar[bool] = True  # whether permuting input columns means anything
    trainer: ClassVar[str]  # "module:function(automl, frame, column_kinds) -> AutoML"
    evaluator: ClassVar[str] = "lepton.learn.evaluation:evaluate"  # (model, frame) -> report
    # the share of the time limit kept for ``--test`` evaluation when it is slow (speech:
    # transcribing clips); the evaluator is then called with ``deadline=`` (time.time())
    evaluation_share: ClassVar[float] = 0.0
    codec: ClassVar[str]  # "module:Class" implementing lepton.serve.codecs.base.Codec
    onnx_predictor: ClassVar[str]  # "module:Class" with .load(folder, threads=...)
    variants: ClassVar[str]  # "module:Class" implementing lepton.optimize's VariantBuilder
    input_checks: ClassVar[str]  # "module:function(manifest, reference, current) -> InputChecks"
    # "module:function(project, model, manifest, labelled, bucket) -> LivePerformance": live
    # metrics from logged predictions joined with their ground truth (lepton.monitor)
    live_performance: ClassVar[str] = "lepton.monitor.performance:labelled_performance"
    # "module:function(project, deployment, **options) -> RetrainDecision" (lepton.monitor)
    retrainer: ClassVar[str] = "lepton.monitor.retrain:retrain_labelled"
    # "module:function(manifest) -> [(title, html)]": the kind's own sections of the HTML
    # monitoring report (rules: the top rules), or None
    report_sections: ClassVar[str | None] = None
    # "module:function(manifest, logged predictions) -> FeatureDrift | None": the shift of
    # the kind's live outputs against training (clustering: cluster shares)
    output_shift: ClassVar[str | None] = None
    # "module:function(automl) -> rich renderable": printed after `lepton train`'s leaderboard
    summary: ClassVar[str | None] = None
    # optional "module:function(manifest, log) -> DataFrame" (lepton.monitor.performance
    # COLUMNS): metrics of the live outputs that need no labels (anomalies: the flag rate
    # against the training rate); shown with the live metrics, so metric_* alerts see them
    live_outputs: ClassVar[str | None] = None
    prediction_drift: ClassVar[bool] = True  # whether the model's answers on the reference
    # data make a meaningful baseline for the live answers (forecasts: no, they are per step)

    def claims(self, column_kinds: Iterable[str]) -> bool:
        """Does a table with these column kinds (data schema or package schema) belong here?"""
        return bool(self.claims_columns & set(column_kinds))

    def entry(self, part: str) -> Any:
        """Import the attribute a declared part names (``trainer``, ``codec``, ...)."""
        return resolve(str(getattr(self, part)))

    def __repr__(self) -> str:
        return f"<model kind {self.name!r}>"


_KINDS: dict[str, ModelKind] = {}
_discovered = False


def register_kind(kind: ModelKind) -> ModelKind:
    """Add a kind (built-in modules call this at import; plugins may too)."""
    if kind.name in _KINDS and type(_KINDS[kind.name]) is not type(kind):
        raise LeptonError(f"model kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind
    return kind


def _discover() -> None:
    """Import every kind module in this package once (each registers itself)."""
    global _discovered
    if _discovered:
        return
    package = importlib.import_module("lepton.runtime.kinds")
    for module in pkgutil.iter_modules(package.__path__):
        if module.name != "registry" and not module.name.startswith("_"):
            importlib.import_module(f"lepton.runtime.kinds.{module.name}")
    _discovered = True


def all_kinds() -> list[ModelKind]:
    """Every registered kind, in the order they claim tables (most specific first)."""
    _discover()
    return sorted(_KINDS.values(), key=lambda k: (-k.priority, k.name))


def get_kind(name: str) -> ModelKind:
    _discover()
    kind = _KINDS.get(name)
    if kind is None:
        raise LeptonError(
            f"unknown model kind {name!r}; this Lepton knows: {', '.join(sorted(_KINDS))}"
        )
    return kind


def kind_for_task(task: str | None) -> str | None:
    """The kind that owns ``task`` (``forecast`` → the forecast kind), or None for table tasks."""
    if task is None:
        return None
    for kind in all_kinds():
        if task in kind.tasks:
            return kind.name
    return None


def check_options(task: str | None, options: dict[str, Any] | None) -> None:
    """Refuse options the task's kind does not take, naming them as CLI flags."""
    given = sorted(k for k, v in (options or {}).items() if v is not None)
    if not given:
        return
    owner = kind_for_task(task)
    accepted = get_kind(owner).options if owner else frozenset()
    unknown = [k for k in given if k not in accepted]
    if unknown:
        flags = ", ".join("--" + k.replace("_", "-") for k in unknown)
        users = sorted(
            t for k in all_kinds() for t in k.tasks if any(u in k.options for u in unknown)
        )
        where = f" only apply to --task {' or '.join(users)}" if users else " are not known"
        raise DataError(f"{flags}{where} (task: {task or 'inferred from the target'})")


def infer_kind(column_kinds: Iterable[str]) -> str:
    """The kind of a table from its columns' kinds: the first kind that claims them."""
    kinds = set(column_kinds)
    for kind in all_kinds():
        if kind.claims(kinds):
            return kind.name
    return FALLBACK


def resolve(reference: str) -> Any:
    """``"package.module:attribute"`` → the attribute, imported on first use."""
    module, _, attribute = reference.partition(":")
    if not module or not attribute:
        raise LeptonError(f"bad entry reference {reference!r}; expected 'module:attribute'")
    return getattr(importlib.import_module(module), attribute)
