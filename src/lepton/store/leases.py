"""Run leases: decide whether the process behind a ``running`` run is gone.

A run records the host and pid of the process doing it and a heartbeat the process
refreshes every ``HEARTBEAT_INTERVAL_S``. A kill -9 stops the heartbeat without any
chance to mark the run, so a reader decides instead: on the same host the pid says it
(a live process is never reaped, however stale its heartbeat, unless the pid now belongs
to a process that began after the run did); elsewhere the lease (``LEASE_S`` without a
heartbeat) does.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from pathlib import Path

HEARTBEAT_INTERVAL_S = 10.0  # how often a running job refreshes its heartbeat
LEASE_S = 60.0  # no heartbeat for this long and the job, on another host, is presumed gone
PID_REUSE_SLACK_S = 120.0  # a silent live pid whose process began this long after the run
# opened is a reused pid (the slack absorbs /proc's 1 s boot time and small clock steps)


def this_host() -> str:
    return socket.gethostname()


def process_alive(pid: int) -> bool:
    """Whether ``pid`` is a live process on this host (a zombie, killed but unreaped, is not)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    stat = Path(f"/proc/{pid}/stat")
    try:
        # the state follows the parenthesised command name, which may itself hold spaces
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc (macOS): the signal said it exists


def process_started_at(pid: int) -> float | None:
    """When ``pid``'s process began (epoch s), on Linux; None where /proc cannot say."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: start, in ticks
    except (OSError, IndexError, ValueError, StopIteration):
        return None


def gone_reason(
    *,
    host: str | None,
    pid: int | None,
    heartbeat_at: datetime | None,
    started_at: datetime,
    now: datetime,
    lease_s: float = LEASE_S,
) -> str | None:
    """Why the run's process is gone, or None while it may be alive."""
    last = heartbeat_at or started_at
    when = last.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    seen = f"last heartbeat {when}" if heartbeat_at else f"no heartbeat; started {when}"
    if host is not None and pid is not None and host == this_host():
        if not process_alive(pid):
            return f"process {pid} on host {host} is gone ({seen})"
        if now - last <= timedelta(seconds=lease_s):
            return None  # heartbeating: only the run's own process does that
        began = process_started_at(pid)
        if began is not None and began > started_at.timestamp() + PID_REUSE_SLACK_S:
            # silent, and began after the run was opened (by its own, older process): a newcomer
            return f"process {pid} on host {host} is gone; the pid is now another process ({seen})"
        return None
    if now - last <= timedelta(seconds=lease_s):
        return None
    who = f"process {pid} on host {host}" if host is not None else "its process (host unknown)"
    return f"{who} stopped heartbeating: lease of {lease_s:g}s expired ({seen})"
