"""One transaction per write, retried when a concurrent writer wins a race.

Version numbers are allocated as ``max + 1`` inside the writing transaction and guarded
by unique constraints. Two writers that read the same ``max`` both try to insert the same
number; the database lets one commit and fails the other with an ``IntegrityError``. The
loser runs its whole transaction again (after a short, growing, jittered pause), reads the
new ``max`` and succeeds, so concurrent writers never lose or duplicate a row. SQLite's
"database is locked" is retried the same way; every other database error ends the write.
Errors that are not the database's (``NotFoundError``, ``ConflictError``, ...) pass through
untouched, so a write that refuses on its own is never repeated.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from lepton.errors import StoreError

T = TypeVar("T")
MAX_ATTEMPTS = 12


class Transactions:
    """Sessions over one engine: ``write`` is one retried transaction, ``read`` a session."""

    def __init__(self, engine: Engine, *, attempts: int = MAX_ATTEMPTS) -> None:
        self.engine = engine
        self.attempts = attempts

    def retry(self, action: Callable[[], T]) -> T:
        """Run ``action`` until it gets past collisions and locks; other failures end it.

        A database failure that is final (not retryable, or out of attempts) becomes a
        ``StoreError`` naming the store without its password.
        """
        for attempt in range(self.attempts):
            try:
                return action()
            except IntegrityError as exc:
                if attempt == self.attempts - 1:
                    raise StoreError(
                        f"metadata store {self.safe_url()} rejected the write: {exc.orig}"
                    ) from exc
            except OperationalError as exc:
                if "locked" not in str(exc) or attempt == self.attempts - 1:
                    raise StoreError(
                        f"metadata store {self.safe_url()} failed: {exc.orig}"
                    ) from exc
            time.sleep(random.uniform(0.005, 0.03) * (1 + attempt))
        raise AssertionError("unreachable")

    def write(self, work: Callable[[Session], T]) -> T:
        """``work`` in one transaction (``BEGIN IMMEDIATE`` on SQLite), rerun on collision.

        ``work`` may run more than once, so it must do all its reading inside the session
        it is given. Rows keep their loaded values after the commit, so the records it
        returns are built from what was written.
        """

        def attempt() -> T:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                return work(session)

        return self.retry(attempt)

    def read(self, work: Callable[[Session], T]) -> T:
        with Session(self.engine) as session:
            return work(session)

    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)


def next_version(session: Session, version: Any, owner: Any, owner_id: int) -> int:
    """``max + 1`` of ``version`` among ``owner``'s rows, read inside the writing transaction.

    Only safe under ``Transactions.write``: a racing writer that takes the same number is
    stopped by the unique constraint on ``(owner, version)`` and the loser retries.
    """
    latest = session.scalar(select(func.max(version)).where(owner == owner_id))
    return int(latest or 0) + 1


class Repository:
    """Base of the per-record-kind repositories: they share the store's one ``Transactions``."""

    def __init__(self, transactions: Transactions) -> None:
        self._tx = transactions
