"""Metrics clustered by (run_id, seq); the step-run index only where it is set.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 00:00:00

Batched metric logging spent most of its time maintaining the table and its
two indexes (run_id, step_run_id). The table is now keyed by ``(run_id,
seq)``, ``seq`` counting up in logging order within each run (on SQLite a
WITHOUT ROWID table: the key is the table). ``ix_metrics_run_id`` goes (the
key serves it) and ``ix_metrics_step_run_id`` becomes partial (``step_run_id
IS NOT NULL``), so values logged outside pipeline steps touch one B-tree.

Existing rows keep their order: ``seq`` takes the old global ``id``, which is
unique and increasing within each run. SQLite copies the rows into the new
table; PostgreSQL alters the table in place.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

_OLD_TABLE = "_metrics_0007"
_NEW_TABLE = "_metrics_0008"
_STEP_INDEX = "ix_metrics_step_run_id"
_RUN_INDEX = "ix_metrics_run_id"
_PARTIAL = "step_run_id IS NOT NULL"


def upgrade() -> None:
    """Key metrics by (run_id, seq); make the step-run index partial."""
    op.drop_index(_STEP_INDEX, table_name="metrics")
    op.drop_index(_RUN_INDEX, table_name="metrics")
    if op.get_bind().dialect.name == "sqlite":
        _upgrade_sqlite()
    else:
        _upgrade_in_place()
    op.create_index(
        _STEP_INDEX,
        "metrics",
        ["step_run_id"],
        sqlite_where=sa.text(_PARTIAL),
        postgresql_where=sa.text(_PARTIAL),
    )


def downgrade() -> None:
    """Bring back the global ``id`` key and the two 0007 indexes."""
    op.drop_index(_STEP_INDEX, table_name="metrics")
    if op.get_bind().dialect.name == "sqlite":
        _downgrade_sqlite()
    else:
        _downgrade_in_place()
    op.create_index(_RUN_INDEX, "metrics", ["run_id"])
    op.create_index(_STEP_INDEX, "metrics", ["step_run_id"])


def _upgrade_sqlite() -> None:
    op.rename_table("metrics", _OLD_TABLE)
    op.create_table(
        "metrics",
        *_value_columns(sa.Column("seq", sa.BigInteger(), nullable=False)),
        sa.PrimaryKeyConstraint("run_id", "seq", name="pk_metrics"),
        *_foreign_keys(),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO metrics (seq, run_id, step_run_id, key, value, step, timestamp)"
        " SELECT id, run_id, step_run_id, key, value, step, timestamp"
        " FROM _metrics_0007"
    )
    op.drop_table(_OLD_TABLE)


def _upgrade_in_place() -> None:
    op.add_column("metrics", sa.Column("seq", sa.BigInteger(), nullable=True))
    op.execute("UPDATE metrics SET seq = id")
    op.alter_column("metrics", "seq", nullable=False)
    op.drop_constraint("pk_metrics", "metrics", type_="primary")
    op.drop_column("metrics", "id")
    op.create_primary_key("pk_metrics", "metrics", ["run_id", "seq"])


def _downgrade_sqlite() -> None:
    op.rename_table("metrics", _NEW_TABLE)
    op.create_table(
        "metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        *_value_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_metrics"),
        *_foreign_keys(),
    )
    # Ids follow logging order within each run, as 0007 queries expect.
    op.execute(
        "INSERT INTO metrics (run_id, step_run_id, key, value, step, timestamp)"
        " SELECT run_id, step_run_id, key, value, step, timestamp"
        " FROM _metrics_0008 ORDER BY run_id, seq"
    )
    op.drop_table(_NEW_TABLE)


def _downgrade_in_place() -> None:
    op.drop_constraint("pk_metrics", "metrics", type_="primary")
    op.execute("ALTER TABLE metrics ADD COLUMN id BIGSERIAL")
    op.execute(
        "UPDATE metrics SET id = ordered.n FROM (SELECT run_id, seq, "
        "row_number() OVER (ORDER BY run_id, seq) AS n FROM metrics) AS ordered "
        "WHERE metrics.run_id = ordered.run_id AND metrics.seq = ordered.seq"
    )
    op.execute(
        "SELECT setval(pg_get_serial_sequence('metrics', 'id'), "
        "coalesce((SELECT max(id) FROM metrics), 0) + 1, false)"
    )
    op.create_primary_key("pk_metrics", "metrics", ["id"])
    op.drop_column("metrics", "seq")


def _value_columns(*first: sa.Column[Any]) -> list[sa.Column[Any]]:
    return [
        sa.Column("run_id", sa.String(), nullable=False),
        *first,
        sa.Column("step_run_id", sa.String(), nullable=True),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("step", sa.BigInteger(), nullable=True),
        sa.Column("timestamp", sa.Double(), nullable=False),
    ]


def _foreign_keys() -> list[sa.ForeignKeyConstraint]:
    return [
        sa.ForeignKeyConstraint(
            [column],
            [f"{target}.id"],
            name=f"fk_metrics_{column}_{target}",
            ondelete="CASCADE",
        )
        for column, target in (("run_id", "runs"), ("step_run_id", "step_runs"))
    ]
