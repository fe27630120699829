"""Serving tables: deployments and the index of prediction-log batches.

They join the one ``MetaData`` of ``schema`` (which imports this module at its
end). Created by the migration ``0005_serving``. The prediction rows
themselves are Parquet files in the artifact store, never in these tables.
"""

from __future__ import annotations

import sqlalchemy as sa

from rung.store.sql import schema

__all__ = ["deployments", "prediction_batches"]

deployments = sa.Table(
    "deployments",
    schema,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("project", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("model", sa.String, nullable=False),
    sa.Column("alias", sa.String),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("host", sa.String, nullable=False),
    sa.Column("port", sa.Integer, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("user", sa.String, nullable=False),
    sa.Column("started_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Column("stopped_at", sa.Double),
    sa.Column("workers", sa.Integer, nullable=False),
    sa.Column("served_versions", sa.Text, nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("config", sa.Text, nullable=False),
    sa.Index("ix_deployments_project_model", "project", "model"),
)

# No foreign keys: the log index outlives deployments and runs.
prediction_batches = sa.Table(
    "prediction_batches",
    schema,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("project", sa.String, nullable=False),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("model", sa.String, nullable=False),
    sa.Column("version", sa.Integer),
    sa.Column("uri", sa.Text, nullable=False),
    sa.Column("row_count", sa.BigInteger, nullable=False),
    sa.Column("first_at", sa.Double, nullable=False),
    sa.Column("last_at", sa.Double, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("deployment_id", sa.String, index=True),
    sa.Column("run_id", sa.String),
    sa.Column("step_run_id", sa.String, index=True),
    sa.Index(
        "ix_prediction_batches_project_model_kind_first_at",
        "project",
        "model",
        "kind",
        "first_at",
    ),
)
