"""Alert outbox: one row per alert event and sink, retried until delivered.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 00:00:00

Portable types only (see 0001); the sink spec and the alert payload are JSON
text. ``seq`` orders the outbox; ``id`` is the delivery id receivers see.
Rows go with their monitor and their alert (``ON DELETE CASCADE``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``monitor_deliveries`` (the outbox) and its indexes."""
    op.create_table(
        "monitor_deliveries",
        sa.Column("seq", _BIG_ID, nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("monitor", sa.String(), nullable=False),
        sa.Column("alert_id", sa.String(), nullable=False),
        sa.Column("event", sa.String(), nullable=False),
        sa.Column("sink", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("next_attempt_at", sa.Double(), nullable=True),
        sa.Column("delivered_at", sa.Double(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sender", sa.String(), nullable=True),
        sa.Column("lease_until", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_monitor_deliveries"),
        sa.UniqueConstraint("id", name="uq_monitor_deliveries_id"),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["monitor_alerts.id"],
            name="fk_monitor_deliveries_alert_id_monitor_alerts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project", "monitor"],
            ["monitors.project", "monitors.name"],
            name="fk_monitor_deliveries_project_monitors",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_monitor_deliveries_alert_id", "monitor_deliveries", ["alert_id"]
    )
    op.create_index(
        "ix_monitor_deliveries_status_next_attempt_at",
        "monitor_deliveries",
        ["status", "next_attempt_at"],
    )


def downgrade() -> None:
    """Drop the outbox (pending deliveries are lost)."""
    op.drop_table("monitor_deliveries")
