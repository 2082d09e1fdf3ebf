"""The server in a background thread of the calling process: ``lepton.serve()`` for notebooks.

Why a thread and not a subprocess: a notebook user wants to try the endpoint next to the
code that trained the model, and stop it again, without managing a process. It is the
same app and the same uvicorn as ``lepton serve``; only the signal handling differs
(uvicorn leaves signals alone off the main thread), so ``stop()`` is how it ends.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

import uvicorn

from lepton.errors import LeptonError
from lepton.serve.app import create_app
from lepton.store.project import Project

START_TIMEOUT_S = 60.0


class Server:
    """A running server; use as a context manager or call ``stop()``."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, url: str) -> None:
        self._server = server
        self._thread = thread
        self.url = url

    @classmethod
    def start(
        cls,
        project: Project,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        poll_seconds: float = 2.0,
        log: bool = True,
    ) -> Server:
        app = create_app(project, poll_seconds=poll_seconds, log_predictions=log)
        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=30
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="lepton-serve", daemon=True)
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive():
                raise LeptonError(f"the server did not start on {host}:{port} (is the port free?)")
            if time.monotonic() > deadline:
                server.should_exit = True
                raise LeptonError(f"the server did not start within {START_TIMEOUT_S:g} s")
            time.sleep(0.05)
        return cls(server, thread, f"http://{host}:{port}")

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 60.0) -> None:
        """Finish queued requests, flush the prediction log, and stop."""
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
