"""Champion and challenger: comparisons, promotion watches and their ledger.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-09 00:00:00

Portable types only (see 0001); the window, metrics, slices, checks and
evidence are JSON text. Comparisons are written once; a watch changes state
as the agent checks it; the ledger is append only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the comparisons, the promotion watches and their ledger."""
    op.create_table(
        "challenger_comparisons",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("alias", sa.String(), nullable=False),
        sa.Column("champion_version", sa.Integer(), nullable=False),
        sa.Column("challenger_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("metric", sa.String(), nullable=False),
        sa.Column("verdict", sa.String(), nullable=False),
        sa.Column("window", sa.Text(), nullable=False),
        sa.Column("champion_metrics", sa.Text(), nullable=False),
        sa.Column("challenger_metrics", sa.Text(), nullable=False),
        sa.Column("slices", sa.Text(), nullable=False),
        sa.Column("latency", sa.Text(), nullable=False),
        sa.Column("holdout", sa.Text(), nullable=False),
        sa.Column("checks", sa.Text(), nullable=False),
        sa.Column("gates", sa.Text(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_challenger_comparisons"),
    )
    op.create_index(
        "ix_challenger_comparisons_project_model",
        "challenger_comparisons",
        ["project", "model"],
    )
    op.create_table(
        "promotion_watches",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("alias", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("previous_version", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("ends_at", sa.Double(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("thresholds", sa.Text(), nullable=False),
        sa.Column("comparison_id", sa.String(), nullable=True),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("checked_at", sa.Double(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("ended_at", sa.Double(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_promotion_watches"),
    )
    op.create_index(
        "ix_promotion_watches_project_state",
        "promotion_watches",
        ["project", "state"],
    )
    op.create_table(
        "challenger_events",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("alias", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("comparison_id", sa.String(), nullable=True),
        sa.Column("watch_id", sa.String(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_challenger_events"),
    )
    op.create_index(
        "ix_challenger_events_project_model",
        "challenger_events",
        ["project", "model"],
    )
    op.create_index(
        "ix_challenger_events_comparison_id",
        "challenger_events",
        ["comparison_id"],
    )


def downgrade() -> None:
    """Drop the champion/challenger tables (comparisons and watches are lost)."""
    op.drop_table("challenger_events")
    op.drop_table("promotion_watches")
    op.drop_table("challenger_comparisons")
