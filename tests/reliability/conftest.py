"""The reliability suite runs against the same real server as ``tests/serve``.

The fixtures are ``tests/serve``'s (a trained project, a real ``lepton serve`` on
127.0.0.1, a deployment per test), imported so pytest registers them here too.
"""

from __future__ import annotations

from tests.serve.conftest import deploy, deployment, served, server

__all__ = ["deploy", "deployment", "served", "server"]
