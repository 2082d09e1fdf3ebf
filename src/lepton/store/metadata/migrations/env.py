"""Alembic environment: runs on the connection the store hands over (no alembic.ini on disk)."""

from __future__ import annotations

from alembic import context

from lepton.store.metadata.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
)
with context.begin_transaction():
    context.run_migrations()
