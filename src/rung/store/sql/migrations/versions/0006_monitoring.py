"""Monitoring: monitors, evaluations, their values, alerts.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 00:00:00

Portable types only (see 0001); mappings are JSON text. ``monitor_alerts``
has a unique ``open_key`` (NULL once resolved): one open alert per monitor
and check.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TABLES = ("monitors", "monitor_evaluations", "monitor_values", "monitor_alerts")


def upgrade() -> None:
    """Create the monitoring tables."""
    _create_monitors()
    _create_evaluations()
    _create_values()
    _create_alerts()


def downgrade() -> None:
    """Drop the monitoring tables (monitors and their history are lost)."""
    for table in reversed(_TABLES):
        op.drop_table(table)


def _monitor_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["project", "monitor"],
        ["monitors.project", "monitors.name"],
        name=f"fk_{table}_project_monitors",
        ondelete="CASCADE",
    )


def _create_monitors() -> None:
    text = ("description", "reference_spec", "current_spec", "checks", "thresholds")
    op.create_table(
        "monitors",
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("model", sa.String(), nullable=True),
        *[sa.Column(name, sa.Text(), nullable=False) for name in text],
        sa.Column("window_spec", sa.Text(), nullable=False),
        sa.Column("schedule", sa.String(), nullable=True),
        sa.Column("features", sa.Text(), nullable=False),
        sa.Column("sinks", sa.Text(), nullable=False),
        sa.Column("last_evaluated_at", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("project", "name", name="pk_monitors"),
    )


def _create_evaluations() -> None:
    op.create_table(
        "monitor_evaluations",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("monitor", sa.String(), nullable=False),
        sa.Column("evaluated_at", sa.Double(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("checks", sa.Text(), nullable=False),
        sa.Column("window_info", sa.Text(), nullable=False),
        sa.Column("reference_rows", sa.BigInteger(), nullable=False),
        sa.Column("current_rows", sa.BigInteger(), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=True),
        sa.Column("duration_s", sa.Double(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_monitor_evaluations"),
        _monitor_fk("monitor_evaluations"),
    )
    op.create_index(
        "ix_monitor_evaluations_project_monitor_evaluated_at",
        "monitor_evaluations",
        ["project", "monitor", "evaluated_at"],
    )


def _create_values() -> None:
    op.create_table(
        "monitor_values",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("evaluation_id", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("monitor", sa.String(), nullable=False),
        sa.Column("evaluated_at", sa.Double(), nullable=False),
        sa.Column("check_name", sa.String(), nullable=False),
        sa.Column("feature", sa.String(), nullable=False),
        sa.Column("metric", sa.String(), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("threshold", sa.Double(), nullable=True),
        sa.Column("breached", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_monitor_values"),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["monitor_evaluations.id"],
            name="fk_monitor_values_evaluation_id_monitor_evaluations",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_monitor_values_evaluation_id", "monitor_values", ["evaluation_id"]
    )
    op.create_index(
        "ix_monitor_values_project_monitor_evaluated_at",
        "monitor_values",
        ["project", "monitor", "evaluated_at"],
    )


def _create_alerts() -> None:
    op.create_table(
        "monitor_alerts",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("monitor", sa.String(), nullable=False),
        sa.Column("check_name", sa.String(), nullable=False),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("opened_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("resolved_at", sa.Double(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("first_evaluation_id", sa.String(), nullable=False),
        sa.Column("last_evaluation_id", sa.String(), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("open_key", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_monitor_alerts"),
        sa.UniqueConstraint("open_key", name="uq_monitor_alerts_open_key"),
        _monitor_fk("monitor_alerts"),
    )
    op.create_index(
        "ix_monitor_alerts_project_updated_at",
        "monitor_alerts",
        ["project", "updated_at"],
    )
