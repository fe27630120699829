"""Data catalog: datasets, versions, schema, dataset reads.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 00:00:00

Portable types only (see 0001): tags, columns, statistics and schema changes
are JSON text, times POSIX seconds. ``(dataset_id, version)`` is unique, so
two refreshes that pick the same number cannot both commit.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TABLES = ("datasets", "dataset_versions", "dataset_reads")


def upgrade() -> None:
    """Create the catalog tables."""
    _create_datasets()
    _create_versions()
    _create_reads()


def downgrade() -> None:
    """Drop the catalog tables (the catalog and its lineage are lost)."""
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


def _create_datasets() -> None:
    op.create_table(
        "datasets",
        _col("id", sa.String(), null=False),
        _col("name", sa.String(), null=False),
        _col("uri", sa.Text(), null=False),
        _col("project", sa.String(), null=False),
        _col("owner", sa.String(), null=False),
        _col("created_at", sa.Double(), null=False),
        _col("kind", sa.String(), null=False),
        _col("format", sa.String(), null=True),
        _col("query", sa.Text(), null=True),
        _col("description", sa.Text(), null=False),
        _col("tags", sa.Text(), null=False),
        _col("region", sa.String(), null=True),
        _col("columns", sa.Text(), null=False),
        _col("schedule", sa.String(), null=True),
        _col("fail_on_schema_change", sa.Boolean(), null=False),
        _col("snapshot", sa.String(), null=False),
        _col("snapshot_max_bytes", sa.BigInteger(), null=False),
        _col("latest_version", sa.Integer(), null=False),
        _col("updated_at", sa.Double(), null=True),
        _col("last_refreshed_at", sa.Double(), null=True),
        _pk("datasets", "id"),
        sa.UniqueConstraint("name", name="uq_datasets_name"),
    )


def _create_versions() -> None:
    op.create_table(
        "dataset_versions",
        _col("id", sa.String(), null=False),
        _col("dataset_id", sa.String(), null=False),
        _col("version", sa.Integer(), null=False),
        _col("fingerprint", sa.String(), null=False),
        _col("created_at", sa.Double(), null=False),
        _col("columns", sa.Text(), null=False),
        _col("stats", sa.Text(), null=False),
        _col("row_count", sa.BigInteger(), null=True),
        _col("size_bytes", sa.BigInteger(), null=True),
        _col("snapshot_artifact_id", sa.String(), null=True),
        _col("schema_changes", sa.Text(), null=False),
        _col("user", sa.String(), null=False),
        _col("uri", sa.Text(), null=False),
        _fk("dataset_versions", "dataset_id", "datasets"),
        _fk("dataset_versions", "snapshot_artifact_id", "artifacts", cascade=False),
        _pk("dataset_versions", "id"),
        sa.UniqueConstraint(
            "dataset_id", "version", name="uq_dataset_versions_dataset_id_version"
        ),
    )
    _index("dataset_versions", "snapshot_artifact_id")


def _create_reads() -> None:
    op.create_table(
        "dataset_reads",
        _col("id", _BIG_ID, null=False),
        _col("dataset_version_id", sa.String(), null=False),
        _col("run_id", sa.String(), null=False),
        _col("step_run_id", sa.String(), null=True),
        _col("step_name", sa.String(), null=True),
        _col("read_at", sa.Double(), null=False),
        _fk("dataset_reads", "dataset_version_id", "dataset_versions"),
        _fk("dataset_reads", "run_id", "runs"),
        _fk("dataset_reads", "step_run_id", "step_runs"),
        _pk("dataset_reads", "id"),
    )
    for column in ("dataset_version_id", "run_id", "step_run_id"):
        _index("dataset_reads", column)
