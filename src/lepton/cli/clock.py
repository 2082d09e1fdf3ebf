"""When this process started: the user's wall clock for ``--time-limit`` starts there.

A ``lepton train --time-limit 60`` should return within the limit as the user measures
it, from pressing Enter; imports alone take seconds (scikit-learn, torch). So the CLI
hands the training budget the process's start time, read from ``/proc`` (Linux), or
the time this module was imported where ``/proc`` is not there.
"""

from __future__ import annotations

import os
import time

IMPORTED_AT = time.time()


def process_started_at() -> float:
    """The epoch time this process started (never later than now)."""
    try:
        with open("/proc/self/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 (starttime), counted after the ")" field
        with open("/proc/uptime") as uptime:
            up = float(uptime.read().split()[0])
        age = up - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return IMPORTED_AT
    return min(time.time() - age, IMPORTED_AT) if age >= 0 else IMPORTED_AT
