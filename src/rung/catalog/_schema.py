"""The data catalog's tables, on the shared ``rung.store.sql.schema``.

Created by migration ``0003_catalog``. Dataset names are unique in the
store. Tags, columns, statistics and schema changes are JSON text; a
version's ``(dataset_id, version)`` is unique, so two refreshes that pick
the same number cannot both commit.
"""

from __future__ import annotations

import sqlalchemy as sa

from rung.store.sql import BIG_ID as _BIG_ID
from rung.store.sql import schema

__all__ = ["dataset_reads", "dataset_versions", "datasets"]


def _fk(target: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete="CASCADE")


datasets = sa.Table(
    "datasets",
    schema,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("name", sa.String, nullable=False, unique=True),
    sa.Column("uri", sa.Text, nullable=False),
    sa.Column("project", sa.String, nullable=False),
    sa.Column("owner", sa.String, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("format", sa.String),
    sa.Column("query", sa.Text),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("tags", sa.Text, nullable=False),
    sa.Column("region", sa.String),
    sa.Column("columns", sa.Text, nullable=False),
    sa.Column("schedule", sa.String),
    sa.Column("fail_on_schema_change", sa.Boolean, nullable=False),
    sa.Column("snapshot", sa.String, nullable=False),
    sa.Column("snapshot_max_bytes", sa.BigInteger, nullable=False),
    sa.Column("latest_version", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.Double),
    sa.Column("last_refreshed_at", sa.Double),
)

dataset_versions = sa.Table(
    "dataset_versions",
    schema,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("dataset_id", sa.String, _fk("datasets.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("fingerprint", sa.String, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("columns", sa.Text, nullable=False),
    sa.Column("stats", sa.Text, nullable=False),
    sa.Column("row_count", sa.BigInteger),
    sa.Column("size_bytes", sa.BigInteger),
    sa.Column(
        "snapshot_artifact_id", sa.String, sa.ForeignKey("artifacts.id"), index=True
    ),
    sa.Column("schema_changes", sa.Text, nullable=False),
    sa.Column("user", sa.String, nullable=False),
    sa.Column("uri", sa.Text, nullable=False),
    sa.UniqueConstraint("dataset_id", "version"),
)

dataset_reads = sa.Table(
    "dataset_reads",
    schema,
    sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
    sa.Column(
        "dataset_version_id",
        sa.String,
        _fk("dataset_versions.id"),
        nullable=False,
        index=True,
    ),
    sa.Column("run_id", sa.String, _fk("runs.id"), nullable=False, index=True),
    sa.Column("step_run_id", sa.String, _fk("step_runs.id"), index=True),
    sa.Column("step_name", sa.String),
    sa.Column("read_at", sa.Double, nullable=False),
)
