"""The model-family registry: one ``FamilySpec`` per family, found by discovery.

Why: a family used to be a name in a tuple, a branch in an if-chain and a few name
switches in the exporter and the optimizer. Now each family module (``*_family.py`` or
``*_families.py`` in this package) declares ``FAMILIES``, a tuple of specs, and
everything else (AutoML's defaults, the search portfolio, ONNX export, quantization
and pruning) reads the spec. Discovery imports only those modules, and they keep their
heavy libraries (boosters, torch, scikit-learn estimators) inside the functions that
use them, so listing the families stays cheap.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

from lepton.errors import LeptonError

if TYPE_CHECKING:
    from lepton.learn.families.base import Family

Task = Literal["binary", "multiclass", "regression"]
Inputs = Literal["tabular", "text", "image"]
TASKS: tuple[Task, ...] = get_args(Task)
INPUTS: tuple[Inputs, ...] = get_args(Inputs)
MODULE_SUFFIXES = ("_family", "_families")  # which modules of this package discovery imports


@dataclass(frozen=True)
class FamilySpec:
    """What a family is, and what the rest of Lepton may do with it.

    ``inputs`` is what the family needs in the rows: ``tabular`` (any table), ``text``
    (a text column; the other columns ride along) or ``image`` (decoded pixels; such a
    family trains through ``lepton.learn.vision``, not on ``Encoded`` rows).
    ``default`` is the family's place in the default order (the order the search tries
    defaults in), or None when AutoML uses it only on request.
    ``exporter`` is ``"module:function"``, resolved only when a model is exported: the
    function turns one fitted model of the family into ONNX nodes
    (``lepton.optimize.members.MemberExporter``). None means the family stays native,
    and ``no_export_reason`` says why.
    ``interruptible``: the fit checks the clock between rounds and stops at the deadline;
    otherwise it is one solve whose length the data size bounds (it reports no rounds).
    ``quantizable`` / ``prunable``: its exported MatMuls take int8 quantization / its
    weights take magnitude pruning (``lepton.optimize``).
    """

    name: str
    factory: Callable[[], object]
    tasks: tuple[Task, ...] = TASKS
    inputs: Inputs = "tabular"
    default: int | None = None
    exporter: str | None = None
    no_export_reason: str = ""
    interruptible: bool = True
    quantizable: bool = False
    prunable: bool = False

    def __post_init__(self) -> None:
        problems = []
        if not self.tasks or any(t not in TASKS for t in self.tasks):
            problems.append(f"tasks {self.tasks!r} must be a non-empty subset of {TASKS}")
        if self.inputs not in INPUTS:
            problems.append(f"inputs {self.inputs!r} must be one of {INPUTS}")
        if self.exporter is None and not self.no_export_reason:
            problems.append("no exporter: say why in no_export_reason")
        if self.exporter is not None and self.exporter.count(":") != 1:
            problems.append(f"exporter {self.exporter!r} must read 'package.module:function'")
        if problems:
            raise LeptonError(f"family spec {self.name!r}: " + "; ".join(problems))

    def build(self) -> Any:
        """A fresh family object (defaults, search space, fit)."""
        return self.factory()

    def load_exporter(self) -> Callable[..., Any]:
        """The exporter function, imported now (export pulls in ONNX tooling; training does not)."""
        if self.exporter is None:
            raise LeptonError(f"family {self.name!r} has no ONNX exporter: {self.no_export_reason}")
        module, _, attribute = self.exporter.partition(":")
        function: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
        return function


_SPECS: dict[str, FamilySpec] = {}
_MODULES: list[str] = []  # family modules discovery has imported, once it has run
_LOCK = threading.RLock()


def register_family(spec: FamilySpec) -> FamilySpec:
    """Add ``spec``; registering the same spec again is a no-op, a different one an error."""
    with _LOCK:
        known = _SPECS.get(spec.name)
        if known is not None and known != spec:
            raise LeptonError(f"model family {spec.name!r} is already registered")
        _SPECS[spec.name] = spec
    return spec


def unregister_family(name: str) -> None:
    """Remove a family registered at run time (plugins, tests); unknown names are ignored."""
    with _LOCK:
        _SPECS.pop(name, None)


def discover() -> list[str]:
    """Import every family module of this package once and register its ``FAMILIES``.

    Returns the modules' names (``MODULE_SUFFIXES`` says which modules count).
    """
    with _LOCK:
        if not _MODULES:
            package = importlib.import_module(__name__.rpartition(".")[0])
            names = sorted(
                info.name
                for info in pkgutil.iter_modules(package.__path__)
                if info.name.endswith(MODULE_SUFFIXES)
            )
            for name in names:
                module = importlib.import_module(f"{package.__name__}.{name}")
                specs: Iterable[FamilySpec] = getattr(module, "FAMILIES", ())
                if not specs:
                    raise LeptonError(f"family module {module.__name__} declares no FAMILIES")
                for spec in specs:
                    register_family(spec)
            _MODULES.extend(names)
        return list(_MODULES)


def family_spec(name: str) -> FamilySpec:
    """The spec registered as ``name``; a ``LeptonError`` naming the choices otherwise."""
    discover()
    spec = _SPECS.get(name)
    if spec is None:
        raise LeptonError(f"unknown model family {name!r}; choose from {', '.join(family_names())}")
    return spec


def get_family(name: str) -> Family:
    """A fresh family object for table rows (``Encoded``); image families train in vision."""
    spec = family_spec(name)
    if spec.inputs == "image":
        raise LeptonError(
            f"model family {name!r} trains on images (lepton.learn.vision), not on table rows"
        )
    family: Family = spec.build()
    return family


def family_names(
    task: Task | None = None,
    inputs: Inputs | Iterable[Inputs] | None = None,
    *,
    default: bool | None = None,
) -> list[str]:
    """Registered names in the default order (then the others, as registered), filtered.

    ``task`` keeps families that handle it; ``inputs`` those needing one of these inputs;
    ``default=True`` only the default set, ``False`` only the rest.
    """
    discover()
    wanted = None if inputs is None else {inputs} if isinstance(inputs, str) else set(inputs)
    with _LOCK:
        specs = list(_SPECS.values())
    ranked = sorted(specs, key=lambda s: (s.default is None, s.default or 0))
    return [
        s.name
        for s in ranked
        if (task is None or task in s.tasks)
        and (wanted is None or s.inputs in wanted)
        and (default is None or (s.default is not None) == default)
    ]
