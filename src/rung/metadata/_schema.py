"""Runs, step runs, artifacts, lineage edges, metrics and environments as tables.

SQLAlchemy Core (no ORM: it is faster), declared on the shared
:data:`rung.store.sql.schema`; the migrations in ``rung/store/sql/migrations``
create them.
"""

from __future__ import annotations

import sqlalchemy as sa

from rung.store.sql import schema

__all__ = [
    "artifacts",
    "environments",
    "metrics",
    "run_params",
    "run_tags",
    "runs",
    "step_run_artifacts",
    "step_runs",
]


def _fk(target: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete="CASCADE")


runs = sa.Table(
    "runs",
    schema,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("project", sa.String, nullable=False),
    sa.Column("user", sa.String, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("started_at", sa.Double, nullable=False, index=True),
    sa.Column("pipeline", sa.String, index=True),
    sa.Column("ended_at", sa.Double),
    sa.Column("heartbeat_at", sa.Double),
    sa.Column("source", sa.Text),
    sa.Column("config", sa.Text, nullable=False),
    sa.Column("git_commit", sa.String),
    sa.Column("git_dirty", sa.Boolean),
    sa.Column("source_hash", sa.String),
    sa.Column("environment_hash", sa.String),
    sa.Column("host", sa.String, nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("orchestrator", sa.String, nullable=False),
    sa.Column("trigger", sa.String, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("attempt", sa.Integer, nullable=False),
)

run_params = sa.Table(
    "run_params",
    schema,
    sa.Column("run_id", sa.String, _fk("runs.id"), primary_key=True),
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

run_tags = sa.Table(
    "run_tags",
    schema,
    sa.Column("run_id", sa.String, _fk("runs.id"), primary_key=True),
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

step_runs = sa.Table(
    "step_runs",
    schema,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("run_id", sa.String, _fk("runs.id"), nullable=False, index=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("started_at", sa.Double, nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("ended_at", sa.Double),
    sa.Column("cache_key", sa.String),
    sa.Column("cached_from", sa.String),
    sa.Column("source_hash", sa.String),
    sa.Column("params", sa.Text, nullable=False),
    sa.Column("cpu_seconds", sa.Double),
    sa.Column("peak_memory_bytes", sa.BigInteger),
    sa.Column("stdout", sa.Text, nullable=False),
    sa.Column("stderr", sa.Text, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("traceback", sa.Text),
    # Cache lookups: the newest completed step run with a key is the last
    # entry for that key (revision 0012). Cache hits cost no entry.
    sa.Index(
        "ix_step_runs_completed_cache_key",
        "cache_key",
        "started_at",
        "id",
        sqlite_where=sa.text("status = 'completed'"),
        postgresql_where=sa.text("status = 'completed'"),
    ),
)

artifacts = sa.Table(
    "artifacts",
    schema,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("type", sa.String, nullable=False),
    sa.Column("materializer", sa.String, nullable=False),
    sa.Column("uri", sa.Text, nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False, index=True),
    sa.Column("metadata", sa.Text, nullable=False),
    sa.Column("is_pickled", sa.Boolean, nullable=False),
)

step_run_artifacts = sa.Table(
    "step_run_artifacts",
    schema,
    sa.Column("step_run_id", sa.String, _fk("step_runs.id"), primary_key=True),
    sa.Column("direction", sa.String, primary_key=True),
    sa.Column("name", sa.String, primary_key=True),
    sa.Column(
        "artifact_id",
        sa.String,
        sa.ForeignKey("artifacts.id"),
        nullable=False,
        index=True,
    ),
)

metrics = sa.Table(
    "metrics",
    schema,
    # Clustered by run, then logging order (``seq`` counts up per run): new
    # values append at the end of their run's range, and reading a run (or one
    # key of it) is one range scan. On SQLite the table is WITHOUT ROWID, so
    # this primary key is the table itself, not a second B-tree to maintain.
    sa.Column("run_id", sa.String, _fk("runs.id"), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("step_run_id", sa.String, _fk("step_runs.id")),
    sa.Column("key", sa.String, nullable=False),
    # NULL stands for NaN: SQLite cannot store NaN in a REAL column.
    sa.Column("value", sa.Double),
    sa.Column("step", sa.BigInteger),
    sa.Column("timestamp", sa.Double, nullable=False),
    # Cache hits copy a step run's metrics. Partial: values logged outside a
    # pipeline step (``rung.start_run``) cost no index entry.
    sa.Index(
        "ix_metrics_step_run_id",
        "step_run_id",
        sqlite_where=sa.text("step_run_id IS NOT NULL"),
        postgresql_where=sa.text("step_run_id IS NOT NULL"),
    ),
    sqlite_with_rowid=False,
)

environments = sa.Table(
    "environments",
    schema,
    sa.Column("hash", sa.String, primary_key=True),
    sa.Column("packages", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
)
