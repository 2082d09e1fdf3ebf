"""API-key checks for the server, with a short cache so the store stays off the hot path.

Keys are looked up by their SHA-256 (the store never holds plaintext). A verified key is
cached for ``ttl`` seconds, so a revocation takes effect within that window.
"""

from __future__ import annotations

import time

from lepton.errors import LeptonError
from lepton.store.metadata import MetadataStore
from lepton.store.metadata.store import hash_api_key

SCOPES = ("predict", "admin", "metrics")
# which scopes each group of endpoints accepts (admin keys may do everything)
PREDICT = ("predict", "admin")
ADMIN = ("admin",)
METRICS = ("metrics", "admin")


class AuthError(LeptonError):
    http_status = 401


class ForbiddenError(LeptonError):
    http_status = 403


class KeyChecker:
    def __init__(self, store: MetadataStore, *, ttl: float = 5.0) -> None:
        self.store = store
        self.ttl = ttl
        self._cache: dict[str, tuple[float, list[str] | None]] = {}

    def scopes(self, token: str) -> list[str] | None:
        digest = hash_api_key(token)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        record = self.store.verify_api_key(token, touch=False)
        scopes = list(record.scopes) if record is not None else None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (now, scopes)
        return scopes

    def require(self, header_value: str | None, allowed: tuple[str, ...]) -> list[str]:
        """Scopes of the presented key, or a 401/403 naming what is needed."""
        token = bearer_token(header_value)
        if not token:
            raise AuthError(
                "missing API key: send 'Authorization: Bearer <key>' "
                "(create one with `lepton keys create`)"
            )
        scopes = self.scopes(token)
        if scopes is None:
            raise AuthError("invalid or revoked API key")
        if not set(scopes) & set(allowed):
            raise ForbiddenError(
                f"this key has scope {', '.join(scopes)}; this endpoint needs {' or '.join(allowed)}"
            )
        return scopes


def bearer_token(value: str | None) -> str | None:
    """The key in an ``Authorization`` header (``Bearer <key>`` or the bare key)."""
    if not value:
        return None
    value = value.strip()
    if value.lower().startswith("bearer "):
        return value[7:].strip()
    return value
