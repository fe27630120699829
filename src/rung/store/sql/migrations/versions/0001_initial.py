"""Initial schema: runs, step runs, artifacts and lineage, metrics, environments.

Revision ID: 0001
Revises:
Create Date: 2024-11-27 00:00:00

Written by hand to run on SQLite and PostgreSQL alike: portable types only,
JSON stored as text, times as POSIX seconds in DOUBLE columns. Constraint
names follow ``schema.NAMING_CONVENTION`` so later revisions can alter them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TABLES = (
    "environments",
    "runs",
    "run_params",
    "run_tags",
    "step_runs",
    "artifacts",
    "step_run_artifacts",
    "metrics",
)


def upgrade() -> None:
    """Create every table of the first schema."""
    _create_environments()
    _create_runs()
    _create_step_runs()
    _create_artifacts()
    _create_metrics()


def downgrade() -> None:
    """Drop every table (all recorded metadata is lost)."""
    for table in reversed(_TABLES):
        op.drop_table(table)


def _col(name: str, type_: sa.types.TypeEngine[Any], *, null: bool) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=null)


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*columns, name=f"pk_{table}")


def _fk(
    table: str, column: str, target: str, *, cascade: bool = True
) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=f"fk_{table}_{column}_{target}",
        ondelete="CASCADE" if cascade else None,
    )


def _index(table: str, *columns: str) -> None:
    op.create_index(f"ix_{table}_{'_'.join(columns)}", table, list(columns))


def _create_environments() -> None:
    op.create_table(
        "environments",
        _col("hash", sa.String(), null=False),
        _col("packages", sa.Text(), null=False),
        _col("created_at", sa.Double(), null=False),
        _pk("environments", "hash"),
    )


def _create_runs() -> None:
    op.create_table(
        "runs",
        _col("id", sa.String(), null=False),
        _col("name", sa.String(), null=False),
        _col("project", sa.String(), null=False),
        _col("user", sa.String(), null=False),
        _col("status", sa.String(), null=False),
        _col("started_at", sa.Double(), null=False),
        _col("pipeline", sa.String(), null=True),
        _col("ended_at", sa.Double(), null=True),
        _col("heartbeat_at", sa.Double(), null=True),
        _col("source", sa.Text(), null=True),
        _col("config", sa.Text(), null=False),
        _col("git_commit", sa.String(), null=True),
        _col("git_dirty", sa.Boolean(), null=True),
        _col("source_hash", sa.String(), null=True),
        _col("environment_hash", sa.String(), null=True),
        _col("host", sa.String(), null=False),
        _col("pid", sa.Integer(), null=False),
        _col("orchestrator", sa.String(), null=False),
        _col("trigger", sa.String(), null=False),
        _col("error", sa.Text(), null=True),
        _col("attempt", sa.Integer(), null=False),
        _pk("runs", "id"),
    )
    _index("runs", "started_at")
    _index("runs", "pipeline")
    for table in ("run_params", "run_tags"):
        op.create_table(
            table,
            _col("run_id", sa.String(), null=False),
            _col("key", sa.String(), null=False),
            _col("value", sa.Text(), null=False),
            _fk(table, "run_id", "runs"),
            _pk(table, "run_id", "key"),
        )


def _create_step_runs() -> None:
    op.create_table(
        "step_runs",
        _col("id", sa.String(), null=False),
        _col("run_id", sa.String(), null=False),
        _col("name", sa.String(), null=False),
        _col("status", sa.String(), null=False),
        _col("started_at", sa.Double(), null=False),
        _col("attempt", sa.Integer(), null=False),
        _col("ended_at", sa.Double(), null=True),
        _col("cache_key", sa.String(), null=True),
        _col("cached_from", sa.String(), null=True),
        _col("source_hash", sa.String(), null=True),
        _col("params", sa.Text(), null=False),
        _col("cpu_seconds", sa.Double(), null=True),
        _col("peak_memory_bytes", sa.BigInteger(), null=True),
        _col("stdout", sa.Text(), null=False),
        _col("stderr", sa.Text(), null=False),
        _col("error", sa.Text(), null=True),
        _col("traceback", sa.Text(), null=True),
        _fk("step_runs", "run_id", "runs"),
        _pk("step_runs", "id"),
    )
    _index("step_runs", "run_id")
    _index("step_runs", "cache_key")


def _create_artifacts() -> None:
    op.create_table(
        "artifacts",
        _col("id", sa.String(), null=False),
        _col("type", sa.String(), null=False),
        _col("materializer", sa.String(), null=False),
        _col("uri", sa.Text(), null=False),
        _col("size_bytes", sa.BigInteger(), null=False),
        _col("created_at", sa.Double(), null=False),
        _col("metadata", sa.Text(), null=False),
        _col("is_pickled", sa.Boolean(), null=False),
        _pk("artifacts", "id"),
    )
    _index("artifacts", "created_at")
    op.create_table(
        "step_run_artifacts",
        _col("step_run_id", sa.String(), null=False),
        _col("direction", sa.String(), null=False),
        _col("name", sa.String(), null=False),
        _col("artifact_id", sa.String(), null=False),
        _fk("step_run_artifacts", "step_run_id", "step_runs"),
        _fk("step_run_artifacts", "artifact_id", "artifacts", cascade=False),
        _pk("step_run_artifacts", "step_run_id", "direction", "name"),
    )
    _index("step_run_artifacts", "artifact_id")


def _create_metrics() -> None:
    op.create_table(
        "metrics",
        _col("id", _BIG_ID, null=False),
        _col("run_id", sa.String(), null=False),
        _col("step_run_id", sa.String(), null=True),
        _col("key", sa.String(), null=False),
        _col("value", sa.Double(), null=True),
        _col("step", sa.BigInteger(), null=True),
        _col("timestamp", sa.Double(), null=False),
        _fk("metrics", "run_id", "runs"),
        _fk("metrics", "step_run_id", "step_runs"),
        _pk("metrics", "id"),
    )
    _index("metrics", "run_id", "key")
