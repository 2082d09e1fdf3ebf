"""The heartbeat a running job keeps up, so a reader can tell a killed run from a live one."""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from lepton.store.leases import HEARTBEAT_INTERVAL_S
from lepton.store.metadata import MetadataStore

log = logging.getLogger(__name__)


class Heartbeat:
    """A daemon thread refreshing ``run_id``'s lease every ``interval_s`` until stopped.

    Daemon, so it never keeps a finished interpreter alive; a failed beat is logged and
    retried at the next tick (a missed beat or two is what the lease's slack is for).
    """

    def __init__(
        self, metadata: MetadataStore, run_id: str, *, interval_s: float = HEARTBEAT_INTERVAL_S
    ) -> None:
        self.metadata = metadata
        self.run_id = run_id
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name=f"lepton-heartbeat-{run_id[:8]}", daemon=True
        )

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.interval_s + 5)

    def __enter__(self) -> Heartbeat:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                if not self.metadata.runs.heartbeat(self.run_id):
                    return  # finished (or reaped): nothing left to keep alive
            except Exception:
                log.warning("heartbeat of run %s failed; retrying", self.run_id, exc_info=True)
