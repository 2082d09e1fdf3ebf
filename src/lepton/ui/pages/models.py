"""Models: the registry list, a model's versions, lineage and alias history, one version's
metrics (and how they were measured) and optimization table; moving and removing aliases.

Where the numbers come from:

- a version's metrics are the store's flat ones (``cv_<metric>``, ``test_<metric>``, what
  ``learn/training.py`` registers); *how* they were measured is read from the version's
  package manifest (``lepton.json`` ``metrics.cv`` / ``metrics.test``: metric, folds,
  the ``how`` sentence, test rows), the same record ``lepton models show`` prints. Only
  that one small file is opened, never the package, and artifacts are immutable, so it
  is cached by artifact key.
- the optimization table is the parent version's ``optimization`` metadata that
  ``lepton optimize`` writes with its variants in one transaction (``pipeline._publish``:
  ``OptimizeResult.table()`` rows + the chosen target), i.e. exactly what
  ``optimize/report.variant_table`` prints.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from lepton.errors import LeptonError
from lepton.runtime.manifest import MANIFEST, PackageManifest
from lepton.store.metadata.records import ModelVersionRecord
from lepton.store.project import Project
from lepton.ui import lineage
from lepton.ui.context import UiDep
from lepton.ui.security import ActionSession, PageSession
from lepton.ui.templating import url_prefix

router = APIRouter()
PAGE_SIZE = 20
HISTORY_SIZE = 20
VARIANT_SUFFIX = ".optimized"


def _offset(value: int | None) -> int:
    return max(int(value or 0), 0)


_MANIFESTS: dict[tuple[str, str, str | None], str] = {}
MAX_CACHED_MANIFESTS = 2048


def _manifest(project: Project, record: ModelVersionRecord) -> PackageManifest | None:
    """The version's ``lepton.json`` (that one file, not the package), or None.

    Artifacts are immutable, so the text is cached by store, key and content hash.
    """
    artifacts = project.artifacts
    key = (artifacts.url, record.artifact_key, record.metadata.get("artifact_hash"))
    text = _MANIFESTS.get(key)
    if text is None:
        try:
            with artifacts.open(record.artifact_key, MANIFEST) as fh:
                text = fh.read().decode()
        except (LeptonError, OSError, ValueError):
            return None
        if len(_MANIFESTS) >= MAX_CACHED_MANIFESTS:
            _MANIFESTS.pop(next(iter(_MANIFESTS)))
        _MANIFESTS[key] = text
    try:
        return PackageManifest.from_dict(json.loads(text), where=record.artifact_key)
    except (LeptonError, ValueError, KeyError, TypeError):
        return None


def _dataset(project: Project, version_id: int | None, cache: dict[int, Any]) -> Any:
    if version_id is None:
        return None
    if version_id not in cache:
        try:
            cache[version_id] = project.metadata.get_dataset_version_by_id(version_id)
        except LeptonError:
            cache[version_id] = None
    return cache[version_id]


def _measured(
    project: Project, record: ModelVersionRecord, datasets: dict[int, Any]
) -> list[dict[str, Any]]:
    """Each stored metric with how it was measured, from what the manifest records."""
    if record.metadata.get("variant_of"):
        parent = record.metadata["variant_of"]
        how = (
            f"measured by lepton optimize of {parent.get('model')}@{parent.get('version')} "
            f"(variant {record.metadata.get('variant', '?')})"
        )
        return [
            {"name": k, "value": v, "basis": "optimize", "how": how, "rows": None}
            for k, v in record.metrics.items()
        ]
    manifest = _manifest(project, record)
    cv = dict((manifest.metrics.get("cv") or {}) if manifest else {})
    test = dict((manifest.metrics.get("test") or {}) if manifest else {})
    dataset = _dataset(project, record.dataset_version_id, datasets)
    out = []
    for name, value in record.metrics.items():
        row: dict[str, Any] = {"name": name, "value": value, "basis": "", "how": "", "rows": None}
        if name.startswith("cv_"):
            row["basis"] = f"CV, {cv['n_folds']} folds" if cv.get("n_folds") else "CV"
            row["how"] = cv.get("how", "")
            row["rows"] = dataset.n_rows if dataset is not None else None
        elif name.startswith("test_"):
            row["basis"] = "test split"
            row["how"] = test.get("how", "")
            row["rows"] = test.get("n_rows")
        if manifest is None:
            row["how"] = "package manifest not readable"
        out.append(row)
    return out


def _deployments(project: Project) -> list[Any]:
    from lepton.serve.deployments import DeploymentSpec

    specs = []
    for record in project.metadata.list_deployments():
        try:
            specs.append(DeploymentSpec.from_record(record))
        except (TypeError, ValueError, KeyError):
            continue
    return specs


def _serving_label(spec: Any, version: int) -> str:
    if version in spec.shadows and version not in [r.version for r in spec.routes]:
        return "shadow"
    weight = next((r.weight for r in spec.routes if r.version == version), 0.0)
    role = "primary" if spec.primary == version else "canary"
    return f"{role} {weight * 100:.0f}%" if weight <= 1 else f"{role} {weight:.0f}%"


def _lineage_svg(
    request: Request,
    project: Project,
    records: list[ModelVersionRecord],
    datasets: dict[int, Any],
    *,
    each_variant: bool,
) -> Any:
    prefix = url_prefix(request)
    graph = lineage.Graph()
    specs = _deployments(project)
    for record in records:
        vid = graph.add(
            lineage.Node(
                f"v:{record.name}@{record.version}",
                "version",
                f"{record.name}@{record.version}",
                ", ".join(record.aliases),
                f"{prefix}/models/{record.name}/{record.version}",
            )
        )
        dataset = _dataset(project, record.dataset_version_id, datasets)
        run_node = None
        if record.run_id:
            run_node = graph.add(
                lineage.Node(
                    f"r:{record.run_id}",
                    "run",
                    f"run {record.run_id[:8]}",
                    "",
                    f"{prefix}/runs/{record.run_id}",
                )
            )
            graph.link(run_node, vid)
        if dataset is not None:
            did = graph.add(
                lineage.Node(
                    f"d:{dataset.id}",
                    "dataset",
                    f"{dataset.name}@{dataset.version}",
                    f"{dataset.n_rows:,} rows",
                    f"{prefix}/datasets/{dataset.name}",
                )
            )
            graph.link(did, run_node or vid)
        parent = record.metadata.get("variant_of")
        if parent:
            pid = graph.add(
                lineage.Node(
                    f"v:{parent.get('model')}@{parent.get('version')}",
                    "version",
                    f"{parent.get('model')}@{parent.get('version')}",
                    "parent",
                    f"{prefix}/models/{parent.get('model')}/{parent.get('version')}",
                )
            )
            graph.nodes[vid].column = "variants"
            graph.link(pid, vid)
        optimization = record.metadata.get("optimization") or {}
        variant_ids: list[tuple[str, int]] = []
        rows = [r for r in optimization.get("table") or [] if r.get("model_version") is not None]
        chosen = optimization.get("chosen") or {}
        variant_model = record.name + VARIANT_SUFFIX
        if rows and each_variant:
            for row in rows:
                version = int(row["model_version"])
                node = graph.add(
                    lineage.Node(
                        f"v:{variant_model}@{version}",
                        "variants",
                        f"{variant_model}@{version}",
                        str(row.get("variant", "")) + (" · chosen" if row.get("chosen") else ""),
                        f"{prefix}/models/{variant_model}/{version}",
                    )
                )
                graph.link(vid, node)
                variant_ids.append((node, version))
        elif rows:
            node = graph.add(
                lineage.Node(
                    f"o:{record.name}@{record.version}",
                    "variants",
                    f"{len(rows)} optimized variants",
                    f"chosen: {chosen.get('variant', '?')}",
                    f"{prefix}/models/{record.name}/{record.version}#optimization",
                )
            )
            graph.link(vid, node)
        for spec in specs:
            targets = []
            if spec.model == record.name and record.version in spec.versions:
                targets.append((vid, record.version))
            if spec.model == variant_model:
                targets += [(n, v) for n, v in variant_ids if v in spec.versions]
            for source, version in targets:
                dep = graph.add(
                    lineage.Node(
                        f"dep:{spec.name}",
                        "deployment",
                        spec.name,
                        "",
                        f"{prefix}/deployments/{spec.name}",
                    )
                )
                if not graph.nodes[dep].sub:
                    graph.nodes[dep].sub = f"{_serving_label(spec, version)} @{version}"
                graph.link(source, dep)
    return lineage.render(graph, title=f"lineage of {records[0].name}" if records else "lineage")


@router.get("/models", response_class=HTMLResponse)
def models_list(
    request: Request,
    ui: UiDep,
    session: PageSession,
    search: str = "",
    offset: int = 0,
) -> HTMLResponse:
    metadata = ui.project.metadata
    search = search.strip()[:200]
    page = metadata.models.summaries_page(
        offset=_offset(offset), limit=PAGE_SIZE, search=search or None
    )
    base = f"{url_prefix(request)}/models?" + (f"search={_q(search)}&" if search else "")
    return ui.templates.render(request, "models.html", page=page, search=search, base=base)


def _q(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


@router.get("/models/{name}", response_class=HTMLResponse)
def model_detail(
    request: Request,
    ui: UiDep,
    session: PageSession,
    name: str,
    offset: int = 0,
    history_offset: int = 0,
) -> HTMLResponse:
    project = ui.project
    metadata = project.metadata
    versions = metadata.models.versions_page(name, offset=_offset(offset), limit=PAGE_SIZE)
    history = metadata.aliases.history_page(
        name, offset=_offset(history_offset), limit=HISTORY_SIZE
    )
    model = metadata.models.summary(name) if versions.total else None
    datasets: dict[int, Any] = {}
    rows = [
        {"record": r, "metrics": _measured(project, r, datasets), "optimized": _chosen(r)}
        for r in versions.items
    ]
    prefix = url_prefix(request)
    return ui.templates.render(
        request,
        "models_detail.html",
        model_name=name,
        model=model,
        versions=versions,
        rows=rows,
        history=history,
        graph=_lineage_svg(request, project, list(versions.items), datasets, each_variant=False),
        versions_base=f"{prefix}/models/{_q(name)}?history_offset={history.offset}&",
        history_base=f"{prefix}/models/{_q(name)}?offset={versions.offset}&history_",
    )


def _chosen(record: ModelVersionRecord) -> str | None:
    chosen = (record.metadata.get("optimization") or {}).get("chosen")
    return str(chosen.get("variant")) if chosen else None


def _why(row: dict[str, Any], optimization: dict[str, Any]) -> str:
    """Why a variant was or was not chosen, by ``optimize/choose.choose``'s rule."""
    objective = optimization.get("objective", "latency")
    if row.get("chosen"):
        if row.get("variant") == "native" and row.get("eligible") is False:
            return "no variant within the accuracy budget"
        return f"lowest {objective} within the accuracy budget"
    if not row.get("eligible"):
        from lepton.optimize.choose import OVER_BUDGET  # the optimizer's wording, loaded late

        return OVER_BUDGET
    return f"within the budget, not the lowest {objective}"


def _optimization(record: ModelVersionRecord) -> dict[str, Any] | None:
    optimization = record.metadata.get("optimization")
    if not optimization:
        return None
    defaults = dict.fromkeys(
        ("description", "max_abs_diff", "peak_memory_mib", "latency_speedup", "model_version")
    )
    defaults.update(note="", pareto=False, chosen=False, eligible=False)
    table = [{**defaults, **r} for r in optimization.get("table") or [] if "p50_ms" in r]
    for row in table:
        row["why"] = _why(row, optimization)
    points = sorted(table, key=lambda r: float(r["p50_ms"]))
    metric = optimization.get("metric", "metric")
    plot = {
        "kind": "scatter",
        "title": f"{metric} vs p50 latency",
        "x_label": "p50 latency (ms)",
        "y_label": metric,
        "x": [float(r["p50_ms"]) for r in points],
        "variants": [str(r["variant"]) for r in points],
        "series": [
            {"label": "variants", "values": [float(r["metric"]) for r in points]},
            {
                "label": "Pareto front",
                "color": "#dc2626",
                "values": [float(r["metric"]) if r.get("pareto") else None for r in points],
            },
            {
                "label": "chosen",
                "color": "#16a34a",
                "values": [float(r["metric"]) if r.get("chosen") else None for r in points],
            },
        ],
    }
    base = {
        "heldout": "",
        "optimized_at": "",
        "notes": [],
        "metric": metric,
        "objective": "",
        "max_metric_drop": None,
    }
    chosen = {"variant": "?", "model": record.name, "version": record.version}
    chosen.update(optimization.get("chosen") or {})
    return {**base, **optimization, "chosen": chosen, "rows": table, "plot": plot}


@router.get("/models/{name}/{version:int}", response_class=HTMLResponse)
def model_version(
    request: Request, ui: UiDep, session: PageSession, name: str, version: int
) -> HTMLResponse:
    project = ui.project
    record = project.metadata.get_model_version(name, version)
    datasets: dict[int, Any] = {}
    manifest = _manifest(project, record)
    parent = record.metadata.get("variant_of")
    return ui.templates.render(
        request,
        "models_version.html",
        record=record,
        metrics=_measured(project, record, datasets),
        dataset=_dataset(project, record.dataset_version_id, datasets),
        manifest=manifest,
        parent=parent,
        optimization=_optimization(record),
        graph=_lineage_svg(request, project, [record], datasets, each_variant=True),
    )


def _back(request: Request, name: str) -> RedirectResponse:
    return RedirectResponse(f"{url_prefix(request)}/models/{_q(name)}", status_code=303)


@router.post("/models/{name}/aliases")
def move_alias(
    request: Request,
    ui: UiDep,
    session: ActionSession,
    name: str,
    alias: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> RedirectResponse:
    alias = alias.strip()
    try:
        if not version.strip().isdigit():
            raise LeptonError(f"version must be a version number, not {version.strip()!r}")
        event = ui.project.metadata.set_alias(
            name,
            alias,
            int(version),
            actor=f"ui:{session.key_name}",
            reason=reason.strip() or None,
        )
    except LeptonError as exc:
        session.flash("error", str(exc))
    else:
        moved = f"from {event.from_version} " if event.from_version is not None else ""
        session.flash("ok", f"{name}: alias {alias} moved {moved}to {event.to_version}")
    return _back(request, name)


@router.post("/models/{name}/aliases/{alias}/delete")
def delete_alias(
    request: Request,
    ui: UiDep,
    session: ActionSession,
    name: str,
    alias: str,
    reason: Annotated[str, Form()] = "",
) -> RedirectResponse:
    try:
        event = ui.project.metadata.delete_alias(
            name, alias, actor=f"ui:{session.key_name}", reason=reason.strip() or None
        )
    except LeptonError as exc:
        session.flash("error", str(exc))
    else:
        session.flash("ok", f"{name}: alias {alias} removed (was {event.from_version})")
    return _back(request, name)
