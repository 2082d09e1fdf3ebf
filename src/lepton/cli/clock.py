"""When this process started: the user's wall clock for ``--time-limit`` starts there.

A ``lepton train --time-limit 60`` should return within the limit as the user measures
it, from pressing Enter; imports alone take seconds (scikit-learn, torch). So the CLI
hands the training budget the process's start time, read from ``/proc`` (Linux), or
the time this module was imported where ``/proc`` is not there. When the commands run
inside another program (a test calling ``main()``), the process started long before the
command did, so the clock starts at the command instead.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

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


def command_started_at() -> float:
    """The process start when this process is the ``lepton`` command, else now."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    # the console script runs bin/lepton as __main__; ``python -m lepton`` runs our __main__
    # (not sys.argv: in-process runners set it to "lepton" too)
    script = Path(str(getattr(main, "__file__", "") or "")).name
    launched = script == "lepton" or (spec is not None and spec.name == "lepton.__main__")
    return process_started_at() if launched else time.time()
