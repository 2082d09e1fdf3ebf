"""What every dashboard page shares: the project, the sessions, the templates.

Reached through ``request.app.state.ui`` (typed here) so page modules stay plain routers.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from lepton.store.project import Project
from lepton.ui.sessions import SessionStore
from lepton.ui.templating import Templates

if TYPE_CHECKING:
    from lepton.serve.metrics import ServerMetrics
    from lepton.ui.jobs import Jobs

KEY_CHECK_TTL_S = 5.0


@dataclass
class UiContext:
    project: Project
    templates: Templates
    sessions: SessionStore = field(default_factory=SessionStore)
    server_metrics: ServerMetrics | None = None  # set when mounted inside ``lepton serve``
    jobs: Jobs | None = None
    _active_keys: tuple[float, frozenset[int]] = (0.0, frozenset())
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def key_active(self, key_id: int) -> bool:
        """Whether the admin key behind a session is still valid (cached a few seconds)."""
        with self._lock:
            checked, active = self._active_keys
            # a key not in the cached set is looked up at once (a key made a moment ago
            # logs in straight away); a revoked one drops out within the cache lifetime
            if key_id not in active or time.monotonic() - checked > KEY_CHECK_TTL_S:
                active = frozenset(
                    k.id
                    for k in self.project.metadata.list_api_keys()
                    if k.active and "admin" in k.scopes
                )
                self._active_keys = (time.monotonic(), active)
        return key_id in active

    def forget_key_cache(self) -> None:
        with self._lock:
            self._active_keys = (0.0, frozenset())


def ui_context(request: Request) -> UiContext:
    context: UiContext = request.app.state.ui
    return context


UiDep = Annotated[UiContext, Depends(ui_context)]
