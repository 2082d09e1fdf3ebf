"""Ctrl-C as a request to stop, seen by the search loop between trials.

Why not the default KeyboardInterrupt: Python raises it wherever the main thread happens
to be, and the search's main thread spends its time inside libraries (the process pool's
futures, Optuna's bookkeeping, the progress display) that may catch or lose it; a lost
Ctrl-C lets the search run to its full budget. The handler here only sets a flag, which
the loop reads at least once a second. A second Ctrl-C raises at once, as usual.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any


class StopRequest:
    """Set by the first Ctrl-C while the search runs."""

    def __init__(self) -> None:
        self.requested = False


@contextmanager
def ctrl_c_requests_stop() -> Iterator[StopRequest]:
    """Within the block, the first SIGINT sets ``requested``; the second raises."""
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signal handlers belong to the main thread; keep the default there
        return
    previous: Any = signal.getsignal(signal.SIGINT)

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.requested:
            raise KeyboardInterrupt
        stop.requested = True

    signal.signal(signal.SIGINT, handle)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)
