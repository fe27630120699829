"""Rollouts: shadow and canary stages of a challenger, and servers' counters.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 12:00:00

Portable types only (see 0001). ``active_key`` is set while a rollout is in
shadow or canary and NULL after; its unique index keeps one active rollout
per alias. Stat rows are keyed by rollout, worker process and arm, and each
process rewrites its own rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the rollouts and their stat rows."""
    op.create_table(
        "rollouts",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("alias", sa.String(), nullable=False),
        sa.Column("champion_version", sa.Integer(), nullable=False),
        sa.Column("challenger_version", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("stage_started_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("share", sa.Double(), nullable=False),
        sa.Column("shadow_s", sa.Double(), nullable=False),
        sa.Column("bake_s", sa.Double(), nullable=False),
        sa.Column("thresholds", sa.Text(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("comparison_id", sa.String(), nullable=True),
        sa.Column("ended_at", sa.Double(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("stages", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("active_key", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_rollouts"),
        sa.UniqueConstraint("active_key", name="uq_rollouts_active_key"),
    )
    op.create_index("ix_rollouts_project_model", "rollouts", ["project", "model"])
    op.create_table(
        "rollout_stats",
        sa.Column("rollout_id", sa.String(), nullable=False),
        sa.Column("worker", sa.String(), nullable=False),
        sa.Column("arm", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("latency_ms_sum", sa.Double(), nullable=False),
        sa.Column("latency_buckets", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("rollout_id", "worker", "arm", name="pk_rollout_stats"),
    )


def downgrade() -> None:
    """Drop the rollout tables (rollouts and their counters are lost)."""
    op.drop_table("rollout_stats")
    op.drop_index("ix_rollouts_project_model", table_name="rollouts")
    op.drop_table("rollouts")
