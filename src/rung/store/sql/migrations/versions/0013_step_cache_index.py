"""Cache lookups read an index of completed step runs only.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 12:40:00

A cache lookup asks for the newest *completed* step run with a cache key.
``ix_step_runs_cache_key`` found every step run with the key, cache hits
included (each cached run adds one per step), which the database then
filtered and sorted: lookups slowed down with every cached run. The new
index holds completed step runs only, in (cache_key, started_at, id) order,
so the newest one is the index's last entry for the key; cache hits and
running or failed step runs cost no index entry.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None

_OLD = "ix_step_runs_cache_key"
_NEW = "ix_step_runs_completed_cache_key"
_COMPLETED = "status = 'completed'"


def upgrade() -> None:
    """Replace the cache-key index by a partial one over completed step runs."""
    op.create_index(
        _NEW,
        "step_runs",
        ["cache_key", "started_at", "id"],
        sqlite_where=sa.text(_COMPLETED),
        postgresql_where=sa.text(_COMPLETED),
    )
    op.drop_index(_OLD, table_name="step_runs")


def downgrade() -> None:
    """Bring back the plain cache-key index."""
    op.create_index(_OLD, "step_runs", ["cache_key"])
    op.drop_index(_NEW, table_name="step_runs")
