"""Give memory back to the OS after a burst, once the server is idle again.

Why: CPython frees a burst's objects, but glibc keeps the freed pages in its arenas, so
the RSS a load spike reached stays for the life of the process (measured: 566 MB before
an overload, 1.09 GB after it, for good). ``malloc_trim`` returns them. It runs only
after traffic and a whole quiet interval, so it never competes with requests.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
from collections.abc import Callable

log = logging.getLogger("lepton.serve.memory")


def _malloc_trim() -> Callable[[], object] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    libc = ctypes.CDLL(name)
    trim = getattr(libc, "malloc_trim", None)  # glibc only; musl and macOS have none
    if trim is None:
        return None
    return lambda: trim(0)


async def trim_when_idle(
    admitted: Callable[[], int], in_flight: Callable[[], int], every_s: float = 5.0
) -> None:
    """Every ``every_s``: if requests came since the last trim and none during the last
    interval, collect garbage and trim the heap (in a thread: ctypes drops the GIL)."""
    trim = _malloc_trim()
    trimmed_at = last = admitted()
    while True:
        await asyncio.sleep(every_s)
        now = admitted()
        quiet = now == last and not in_flight()
        last = now
        if quiet and now != trimmed_at:
            gc.collect()
            if trim is not None:
                await asyncio.to_thread(trim)
            trimmed_at = now
            log.debug("heap trimmed after %d requests", now)
