"""What ``lepton deploy`` does before it deploys: make sure the version was optimized.

Why: a new user who trains and deploys should be served the fast path, not the native
pipeline. A version with no ``optimization`` record is optimized first (the same
``optimize`` as ``lepton optimize``, which measures every variant and chooses one);
a version that has one keeps it. Kinds whose optimizer only measures native (rules,
recommend, anomaly, …) are served native, and the choice says why. When optimizing
fails the deploy still goes ahead on the native pipeline, with a warning that names
the error — except for store errors: a package that fails its hash check, or a store
that cannot write, would fail the deployment too, so those stop the deploy.

The serving layer sits above this one, so the deployment checks that can be made
without optimizing (``check_request``) are repeated here from
``lepton.serve.deployments``: a bad flag should fail in a second, not after minutes
of measuring.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lepton.errors import ConflictError, DataError, NotFoundError, StoreError
from lepton.names import validate_name
from lepton.optimize.pipeline import OptimizeOutcome, optimize
from lepton.optimize.protocol import Progress
from lepton.store.metadata.records import ModelVersionRecord
from lepton.store.project import Project


@dataclass(frozen=True)
class ServingChoice:
    """What a deployed version will be served with, and the one line that says so."""

    ref: str
    variant: str  # "native" or the chosen variant's name
    status: str  # optimized | already optimized | native only | fell back | skipped
    message: str
    outcome: OptimizeOutcome | None = None

    @property
    def warning(self) -> bool:
        return self.status == "fell back"


def check_request(
    project: Project,
    record: ModelVersionRecord,
    name: str | None,
    *,
    canary_percent: float | None,
    shadow: bool,
) -> None:
    """Refuse a deploy that would fail anyway, before spending time optimizing."""
    deployment = validate_name(name or record.name, kind="deployment name")
    if canary_percent is not None and not 0 < canary_percent < 100:
        raise DataError("--canary must be a percentage between 0 and 100 (exclusive)")
    if canary_percent is not None and shadow:
        raise DataError("choose either --canary or --shadow, not both")
    try:
        existing = project.metadata.get_deployment(deployment)
    except NotFoundError:
        if canary_percent is not None or shadow:
            raise DataError(
                f"deployment {deployment!r} does not exist yet: deploy a primary version first"
            ) from None
        return
    if existing.model != record.name:
        raise ConflictError(
            f"deployment {deployment!r} serves model {existing.model!r}, not {record.name!r}; "
            "pick another --name or delete the deployment first"
        )


def current_choice(record: ModelVersionRecord, status: str = "already optimized") -> ServingChoice:
    """What the version serves today: its recorded choice, or the native pipeline."""
    ref = f"{record.name}@{record.version}"
    if record.metadata.get("variant_of"):
        variant = str(record.metadata.get("variant") or "variant")
        return ServingChoice(ref, variant, status, f"{ref} is an optimized variant ({variant})")
    chosen = (record.metadata.get("optimization") or {}).get("chosen")
    if not chosen:
        return ServingChoice(
            ref, "native", status, f"{ref}: not optimized, serving the native pipeline"
        )
    variant = str(chosen["variant"])
    by = "" if status != "already optimized" else ", chosen by an earlier `lepton optimize`"
    return ServingChoice(ref, variant, status, f"{ref}: serving {_served(chosen)}{by}")


def ensure_optimized(
    project: Project,
    record: ModelVersionRecord,
    *,
    on_progress: Progress | None = None,
    **options: Any,
) -> ServingChoice:
    """The version's serving choice, optimizing it first if it never was.

    ``options`` go to ``optimize`` unchanged (its defaults are ``lepton optimize``'s).
    """
    if record.metadata.get("variant_of") or record.metadata.get("optimization"):
        return current_choice(record)
    ref = f"{record.name}@{record.version}"
    try:
        outcome = optimize(project, ref, on_progress=on_progress, **options)
    except StoreError:
        raise
    except Exception as exc:  # any other failure: deploy native, and say so loudly
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return ServingChoice(
            ref,
            "native",
            "fell back",
            f"could not optimize {ref} ({reason}); deploying the native pipeline. "
            f"See why with `lepton optimize {ref}`; --no-optimize (optimize=False) skips it",
        )
    return _describe(ref, outcome)


def _describe(ref: str, outcome: OptimizeOutcome) -> ServingChoice:
    result = outcome.result
    chosen = outcome.parent.metadata["optimization"]["chosen"]
    built = result.variants[1:]  # everything but the trained model itself
    if not built:
        why = "; ".join(result.notes) or "its kind has no optimized variant"
        message = f"{ref}: no optimized variant ({why}); serving the native pipeline"
        return ServingChoice(ref, "native", "native only", message, outcome)
    native = result.native.measurement
    winner = next(v for v in result.variants if v.name == result.chosen).measurement
    speed = ""
    if native is not None and winner is not None and result.chosen != "native":
        speed = f", p50 {winner.p50_ms:.3g} ms vs native {native.p50_ms:.3g} ms"
    elif result.chosen == "native":
        speed = " (no variant was faster within the metric budget)"
    message = (
        f"optimized {ref}: serving {_served(chosen)}{speed} "
        f"({len(built)} variant{'s' if len(built) > 1 else ''} measured on {result.heldout}; "
        f"objective {result.objective}, "
        f"{result.metric} budget {result.max_metric_drop:g})"
    )
    return ServingChoice(ref, result.chosen, "optimized", message, outcome)


def _served(chosen: dict[str, Any]) -> str:
    if chosen["variant"] == "native":
        return "the native pipeline"
    return f"{chosen['variant']} ({chosen['model']}@{chosen['version']})"
