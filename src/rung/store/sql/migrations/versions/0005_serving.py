"""Serving: deployments, prediction batches, feedback.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 00:00:00

Feedback batches share ``prediction_batches`` (``kind = 'feedback'``).
Portable types only (SQLite and PostgreSQL); names follow
``schema.NAMING_CONVENTION``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the serving tables."""
    op.create_table(
        "deployments",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("alias", sa.String(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("stopped_at", sa.Double(), nullable=True),
        sa.Column("workers", sa.Integer(), nullable=False),
        sa.Column("served_versions", sa.Text(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deployments"),
    )
    op.create_index("ix_deployments_project_model", "deployments", ["project", "model"])
    op.create_table(
        "prediction_batches",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("first_at", sa.Double(), nullable=False),
        sa.Column("last_at", sa.Double(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("deployment_id", sa.String(), nullable=True),
        sa.Column("run_id", sa.String(), nullable=True),
        sa.Column("step_run_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_prediction_batches"),
    )
    op.create_index(
        "ix_prediction_batches_deployment_id", "prediction_batches", ["deployment_id"]
    )
    op.create_index(
        "ix_prediction_batches_step_run_id", "prediction_batches", ["step_run_id"]
    )
    op.create_index(
        "ix_prediction_batches_project_model_kind_first_at",
        "prediction_batches",
        ["project", "model", "kind", "first_at"],
    )


def downgrade() -> None:
    """Drop the serving tables (the Parquet files stay in the artifact store)."""
    op.drop_table("prediction_batches")
    op.drop_table("deployments")
