"""Dashboard sessions: who logged in with which admin key, and the CSRF token of each.

Why server-side sessions and not a signed cookie: a logout or a revoked key must end the
session at once, which a self-contained cookie cannot do without a revocation list. The
cookie carries only a random id; the store keeps the SHA-256 of it, so a memory dump or
a log line with the store's keys does not hand out live sessions.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

SESSION_COOKIE = "lepton_session"
LOGIN_COOKIE = "lepton_login"  # double-submit token that guards the login form itself
IDLE_TIMEOUT_S = 30 * 60.0
ABSOLUTE_TIMEOUT_S = 8 * 3600.0
MAX_SESSIONS = 10_000


@dataclass
class Session:
    """One logged-in browser. ``key_id`` ties it to the admin key that opened it."""

    key_id: int
    key_name: str
    csrf_token: str
    created: float
    last_seen: float
    flashes: list[tuple[str, str]] = field(default_factory=list)

    def expires_at(self) -> float:
        return min(self.last_seen + IDLE_TIMEOUT_S, self.created + ABSOLUTE_TIMEOUT_S)

    def csrf_matches(self, presented: str | None) -> bool:
        return bool(presented) and hmac.compare_digest(self.csrf_token, presented or "")

    def flash(self, level: str, message: str) -> None:
        """A one-time message for the next page this session renders."""
        self.flashes.append((level, message))

    def take_flashes(self) -> list[tuple[str, str]]:
        out, self.flashes = self.flashes, []
        return out


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    """In-process sessions with idle and absolute expiry, safe across threads."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self, key_id: int, key_name: str) -> tuple[str, Session]:
        """A new session for ``key_id``; returns the cookie value and the session."""
        session_id = secrets.token_urlsafe(32)
        now = time.time()
        session = Session(key_id, key_name, secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._sweep(now)
            self._sessions[_digest(session_id)] = session
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        """The live session behind a cookie value (touched), or None."""
        if not session_id:
            return None
        now = time.time()
        with self._lock:
            session = self._sessions.get(_digest(session_id))
            if session is None:
                return None
            if now >= session.expires_at():
                del self._sessions[_digest(session_id)]
                return None
            session.last_seen = now
            return session

    def close(self, session_id: str | None) -> None:
        if session_id:
            with self._lock:
                self._sessions.pop(_digest(session_id), None)

    def close_for_key(self, key_id: int) -> int:
        """End every session opened with ``key_id`` (the key was revoked); how many."""
        with self._lock:
            doomed = [d for d, s in self._sessions.items() if s.key_id == key_id]
            for digest in doomed:
                del self._sessions[digest]
        return len(doomed)

    def _sweep(self, now: float) -> None:
        expired = [d for d, s in self._sessions.items() if now >= s.expires_at()]
        for digest in expired:
            del self._sessions[digest]
        while len(self._sessions) >= MAX_SESSIONS:  # oldest first; dicts keep insertion order
            del self._sessions[next(iter(self._sessions))]
