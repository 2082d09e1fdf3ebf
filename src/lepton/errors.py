"""Errors a user can act on.

Every failure the library expects (bad input, missing things, conflicts) is a
``LeptonError`` whose message says what went wrong and what to do about it. The
CLI prints the message on one line and exits non-zero; the server maps the
class to a 4xx status.
"""

from __future__ import annotations


class LeptonError(Exception):
    """Base class of all expected, user-actionable failures."""

    exit_code: int = 1
    http_status: int = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class ConfigError(LeptonError):
    """The configuration (env, lepton.toml) is invalid."""


class InvalidNameError(LeptonError):
    """A user-supplied name or path would be unsafe or is malformed."""


class NotFoundError(LeptonError):
    """A named thing (dataset, version, model, artifact) does not exist."""

    http_status = 404


class ConflictError(LeptonError):
    """The request clashes with what is already stored."""

    http_status = 409


class DataError(LeptonError):
    """Input data cannot be read or does not fit what was asked of it."""

    http_status = 422


class StoreError(LeptonError):
    """The metadata or artifact store failed or holds something inconsistent."""

    http_status = 503
