"""Serving tables: deployments, the index of prediction-log batches, rollouts.

They join the one ``MetaData`` of ``schema`` (which imports this module at its
end). Created by the migration ``0005_serving``. The prediction rows
themselves are Parquet files in the artifact store, never in these tables.
"""

from __future__ import annotations

import sqlalchemy as sa

from rung.store.sql import schema

__all__ = ["deployments", "prediction_batches", "rollout_stats", "rollouts"]

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

# ``active_key`` is ``project/model/alias`` while the rollout is in shadow or
# canary and NULL after: its unique index allows one active rollout per alias
# on SQLite and PostgreSQL alike (NULLs never clash).
rollouts = sa.Table(
    "rollouts",
    schema,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("project", sa.String, nullable=False),
    sa.Column("model", sa.String, nullable=False),
    sa.Column("alias", sa.String, nullable=False),
    sa.Column("champion_version", sa.Integer, nullable=False),
    sa.Column("challenger_version", sa.Integer, nullable=False),
    sa.Column("stage", sa.String, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("user", sa.String, nullable=False),
    sa.Column("stage_started_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Column("share", sa.Double, nullable=False),
    sa.Column("shadow_s", sa.Double, nullable=False),
    sa.Column("bake_s", sa.Double, nullable=False),
    sa.Column("thresholds", sa.Text, nullable=False),
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("comparison_id", sa.String),
    sa.Column("ended_at", sa.Double),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("stages", sa.Text, nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("active_key", sa.String, unique=True),
    sa.Index("ix_rollouts_project_model", "project", "model"),
)

rollout_stats = sa.Table(
    "rollout_stats",
    schema,
    sa.Column("rollout_id", sa.String, primary_key=True),
    sa.Column("worker", sa.String, primary_key=True),
    sa.Column("arm", sa.String, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("requests", sa.BigInteger, nullable=False),
    sa.Column("errors", sa.BigInteger, nullable=False),
    sa.Column("rows", sa.BigInteger, nullable=False),
    sa.Column("latency_ms_sum", sa.Double, nullable=False),
    sa.Column("latency_buckets", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)
