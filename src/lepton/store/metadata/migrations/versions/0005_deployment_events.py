"""Deployment history: who changed a deployment's traffic, when, and from what to what.

- ``deployment_events``: one row per change (deploy, canary, shadow, promote, rollback,
  retrain, delete), written in the same transaction as the deployment's config. Keyed by
  the deployment's name (no foreign key), so the history outlives a deleted deployment.
- ``deployment_events(deployment, created_at)``: a deployment's history, newest first.

Created only when missing, so a database whose schema came from ``tables.py`` (or a
rerun after a partial upgrade) upgrades cleanly.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-17
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLE = "deployment_events"
INDEX = "ix_deployment_events_deployment_created_at"


def _tables() -> set[str]:
    return set(sa.inspect(op.get_bind()).get_table_names())


def _indexes() -> set[str]:
    return {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes(TABLE) if ix["name"]}


def upgrade() -> None:
    if TABLE not in _tables():
        op.create_table(
            TABLE,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("deployment", sa.String(128), nullable=False),
            sa.Column("action", sa.String(32), nullable=False),
            sa.Column("actor", sa.String(128), nullable=True),
            sa.Column("reason", sa.Text, nullable=True),
            sa.Column("detail", sa.JSON, nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        )
    if INDEX not in _indexes():
        op.create_index(INDEX, TABLE, ["deployment", "created_at"])


def downgrade() -> None:
    if TABLE in _tables():
        if INDEX in _indexes():
            op.drop_index(INDEX, table_name=TABLE)
        op.drop_table(TABLE)
