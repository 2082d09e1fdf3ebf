"""Collect artifacts nothing references: orphans of killed publishes, half uploads, debris.

Safe beside a concurrent writer because of the order both sides follow. A writer
publishes the artifact first and registers the row that names it after; re-publishing
identical content touches the manifest. The collector lists the artifacts (with ages)
first and reads the references after, so any row committed before that read keeps its
artifact; an unreferenced artifact younger than the grace period is one a writer may be
about to register, so it is kept too. Just before removing a candidate the collector
looks at its age again, so a writer that touched it meanwhile keeps it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from lepton.errors import DataError
from lepton.store.artifacts import ArtifactStore, StoredArtifact
from lepton.store.metadata import MetadataStore

DEFAULT_GRACE_S = 3600.0
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw]?)$")
_SECONDS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_grace(text: str) -> float:
    """``"90s"``, ``"30m"``, ``"1h"``, ``"7d"`` (a bare number is seconds) → seconds."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise DataError(f"grace {text!r} not understood: use e.g. 90s, 30m, 1h or 7d")
    return float(match.group(1)) * _SECONDS[match.group(2)]


@dataclass(frozen=True)
class Garbage:
    key: str
    kind: str  # "orphan": published, unreferenced; "incomplete": an upload that never
    # wrote its manifest; "staging": a local write that crashed before its rename
    bytes: int
    age_s: float


@dataclass(frozen=True)
class GcReport:
    removed: list[Garbage]  # what was removed (with dry_run: what would be)
    kept_fresh: list[Garbage]  # unreferenced but younger than the grace: maybe mid-publish
    referenced: int  # artifacts kept because a dataset or model version names them
    grace_s: float
    dry_run: bool
    errors: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(g.bytes for g in self.removed)


def collect_garbage(
    metadata: MetadataStore,
    artifacts: ArtifactStore,
    *,
    grace_s: float = DEFAULT_GRACE_S,
    dry_run: bool = False,
    now: float | None = None,
) -> GcReport:
    """Remove (or with ``dry_run`` only list) unreferenced artifacts older than ``grace_s``."""
    if grace_s < 0:
        raise DataError(f"grace must not be negative, not {grace_s:g}s")
    stored, incomplete = artifacts.survey()  # listed before the references are read
    debris = artifacts.staging_debris()
    referenced = metadata.references.artifact_keys()
    clock = time.time() if now is None else now
    removed: list[Garbage] = []
    fresh: list[Garbage] = []
    errors: list[str] = []
    candidates = [
        *((a, "orphan") for a in stored),
        *((i, "incomplete") for i in incomplete),
        *((d, "staging") for d in debris),
    ]
    for item, kind in candidates:
        if kind != "staging" and item.key in referenced:
            continue  # never remove what a row names, even if it looks broken
        garbage = Garbage(item.key, kind, item.bytes, max(0.0, clock - item.modified))
        if garbage.age_s <= grace_s:
            fresh.append(garbage)
            continue
        if not dry_run:
            try:
                if not _remove(artifacts, item, kind, clock, grace_s):
                    fresh.append(garbage)
                    continue
            except OSError as exc:
                errors.append(f"{item.key}: {exc}")
                continue
        removed.append(garbage)
    n_referenced = sum(1 for a in stored if a.key in referenced)
    return GcReport(removed, fresh, n_referenced, grace_s, dry_run, errors)


def _remove(
    artifacts: ArtifactStore, item: StoredArtifact, kind: str, clock: float, grace_s: float
) -> bool:
    """Remove one candidate unless a writer touched it since it was listed."""
    if kind == "staging":
        artifacts.remove_debris(item.key)
        return True
    if kind == "incomplete":
        return artifacts.remove_incomplete(item.key)
    modified = artifacts.modified(item.key)
    if modified is None:
        return True  # already gone
    if modified > item.modified or clock - modified <= grace_s:
        return False
    artifacts.delete(item.key)
    return True
