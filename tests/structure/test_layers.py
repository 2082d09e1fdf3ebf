"""The shape of the code: no import cycles, layers point one way, kinds decided in one place."""

from __future__ import annotations

import re

import pytest

from tests.structure.imports import SRC, cycles, edges, graph, module_names

# A layer may import the layers after it in this list, never those before it.
LAYERS = [
    ("lepton.cli", "lepton.api"),
    ("lepton.ui",),
    ("lepton.monitor",),
    ("lepton.serve",),
    ("lepton.optimize",),
    ("lepton.learn",),
    ("lepton.compute",),
    ("lepton.data",),
    ("lepton.runtime",),
    ("lepton.store",),
]
ENTRY_POINTS = "lepton.runtime.kinds"  # names upper layers' parts as strings, never imports them


def _layer(module: str) -> int | None:
    for i, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    return None


@pytest.mark.parametrize("lazy", [False, True], ids=["module-level", "including-lazy"])
def test_there_are_no_import_cycles(lazy: bool) -> None:
    assert cycles(graph(include_lazy=lazy)) == []


def test_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_the_package_root() -> None:
    offenders = [e for e in edges() if e.target == "lepton" and e.source != "lepton"]
    assert offenders == []


def test_layers_only_import_downwards() -> None:
    upward = [
        f"{e.source}:{e.line} imports {e.target}"
        for e in edges()
        if (a := _layer(e.source)) is not None and (b := _layer(e.target)) is not None and b < a
    ]
    assert upward == []


def test_the_runtime_never_imports_the_toolchain() -> None:
    """The server loads packages through the runtime: it must not pull in learn or optimize."""
    heavy = ("lepton.learn", "lepton.optimize", "lepton.monitor", "lepton.cli", "lepton.api")
    found = [
        f"{e.source}:{e.line} -> {e.target}"
        for e in edges()
        if e.source.startswith("lepton.runtime") and e.target.startswith(heavy)
    ]
    assert found == []


KIND_TESTS = [
    re.compile(
        r"isinstance\([^)]*\b(TrainedModel|ImageModel|InputValidator|ImageValidator|TabularCodec"
        r"|ImageCodec|OnnxPredictor|OnnxImagePredictor|NativePredictor)\b"
    ),
    re.compile(r"type\([^)]*\)\.__name__\s*(==|!=|in\b)"),
    re.compile(r"\bmanifest\[|\bmanifest\.get\(|\bin manifest\b(?!\.)"),
    re.compile(r"\.kind\s*(==|!=|in)\s*[\"'(](tabular|text|image)[\"']"),
    re.compile(r"is_image_(manifest|schema|dataset)"),
]


def test_no_kind_switch_outside_the_kinds_registry() -> None:
    found = []
    for name, path in module_names().items():
        if name.startswith(ENTRY_POINTS):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if any(p.search(line) for p in KIND_TESTS):
                found.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert found == []


def test_kind_switch_patterns_catch_the_old_shapes() -> None:
    old = [
        "if not isinstance(model, TrainedModel):",
        'if type(model).__name__ != "ImageModel":',
        'if "preprocessing" in manifest:',
        'schema = manifest["input_schema"]',
        "if is_image_manifest(manifest):",
        'if predictor.manifest.kind == "image":',
    ]
    assert all(any(p.search(line) for p in KIND_TESTS) for line in old)


def test_the_server_needs_only_the_runtime_and_the_store() -> None:
    allowed = ("lepton.serve", "lepton.runtime", "lepton.store", "lepton.config", "lepton.errors")
    allowed += ("lepton.names", "lepton.version")
    # serving on Ray joins the cluster the way training does; nothing else of lepton.compute
    on_ray = ("lepton.serve.ray_serve", "lepton.compute.ray_executor")
    found = [
        f"{e.source}:{e.line} -> {e.target}"
        for e in edges()
        if e.source.startswith("lepton.serve")
        and not e.target.startswith(allowed)
        and (e.source, e.target) != on_ray
    ]
    assert found == []
