"""Indexes for the dashboard's paginated listings (10,000 runs must page in milliseconds).

Each index serves one page query's filter + order, so the database walks the index to the
page instead of sorting the whole table:

- ``runs(status, started_at)`` / ``runs(kind, started_at)``: the runs page filtered by
  status or kind, newest first (``runs(started_at)`` and ``runs(kind)`` exist since 0001;
  the composite's leading column also serves a plain status filter).
- ``alerts(fired_at)``: the alerts page, newest first.
- ``alias_events(model_id, created_at)``: a model's alias history, newest first.

Created only when missing, so a database whose schema came from ``tables.py`` (or a
rerun after a partial upgrade) upgrades cleanly.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_runs_status_started_at", "runs", ["status", "started_at"]),
    ("ix_runs_kind_started_at", "runs", ["kind", "started_at"]),
    ("ix_alerts_fired_at", "alerts", ["fired_at"]),
    ("ix_alias_events_model_id_created_at", "alias_events", ["model_id", "created_at"]),
)


def _existing(table: str) -> set[str]:
    return {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes(table) if ix["name"]}


def upgrade() -> None:
    for name, table, columns in INDEXES:
        if name not in _existing(table):
            op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        if name in _existing(table):
            op.drop_index(name, table_name=table)
