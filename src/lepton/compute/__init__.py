"""Where work runs: in-process, a local process pool, or a Ray cluster.

Search code only ever calls ``executor.submit(fn, *args)`` and waits on the
futures it gets back, so the same trials can run anywhere.
"""

from lepton.compute.executors import (
    Executor,
    InProcessExecutor,
    LocalProcessExecutor,
    available_cores,
    make_executor,
)
from lepton.compute.resources import Resources

__all__ = [
    "Executor",
    "InProcessExecutor",
    "LocalProcessExecutor",
    "Resources",
    "available_cores",
    "make_executor",
]
