"""API keys: minted once in plaintext, stored only as a SHA-256, verified by that hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lepton.errors import NotFoundError
from lepton.names import validate_name
from lepton.store.metadata.records import ApiKeyRecord
from lepton.store.metadata.tables import ApiKey
from lepton.store.metadata.transactions import Repository

API_KEY_PREFIX = "lep_"


def hash_api_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class KeyRepository(Repository):
    def create(self, name: str, scopes: list[str] | None = None) -> tuple[str, ApiKeyRecord]:
        """Mint a key. The plaintext is returned once; only its SHA-256 is stored."""
        validate_name(name, kind="API key name")
        token = API_KEY_PREFIX + secrets.token_urlsafe(32)

        def work(session: Session) -> ApiKeyRecord:
            row = ApiKey(
                name=name,
                prefix=token[:10],
                key_hash=hash_api_key(token),
                scopes=scopes or ["predict"],
            )
            session.add(row)
            session.flush()
            return row.to_record()

        return token, self._tx.write(work)

    def verify(self, token: str, *, touch: bool = True) -> ApiKeyRecord | None:
        """The active key matching ``token``, or None. Lookup is by hash, never by plaintext.

        ``touch`` records the use (a write); without it the check is a read only.
        """
        if not token.startswith(API_KEY_PREFIX):
            return None
        digest = hash_api_key(token)

        def work(session: Session) -> ApiKeyRecord | None:
            row = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
            if row is None or row.revoked_at is not None:
                return None
            if not secrets.compare_digest(row.key_hash, digest):
                return None
            if touch:
                row.last_used_at = datetime.now(UTC)
            return row.to_record()

        return self._tx.write(work) if touch else self._tx.read(work)

    def all(self) -> list[ApiKeyRecord]:
        """Every key, revoked ones included, oldest first."""
        return self._tx.read(
            lambda s: [r.to_record() for r in s.scalars(select(ApiKey).order_by(ApiKey.id))]
        )

    def revoke(self, key_id: int) -> ApiKeyRecord:
        """Revoke a key (again is a no-op: the first revocation time stays)."""

        def work(session: Session) -> ApiKeyRecord:
            row = session.get(ApiKey, key_id)
            if row is None:
                raise NotFoundError(f"no API key with id {key_id}")
            if row.revoked_at is None:
                row.revoked_at = datetime.now(UTC)
            return row.to_record()

        return self._tx.write(work)
