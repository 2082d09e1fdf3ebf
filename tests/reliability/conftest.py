"""The served project and server of ``tests/serve`` (trained once per session), reused here."""

from tests.serve.conftest import deploy, deployment, served, server  # noqa: F401
