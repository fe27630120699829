"""Metrics indexed by run and by step run instead of by (run, key).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 00:00:00

Released 0001 created ``ix_metrics_run_id_key`` on ``(run_id, key)``. For a
while 0001 itself was edited to create ``ix_metrics_run_id`` and
``ix_metrics_step_run_id`` instead, so databases at 0006 exist in both
shapes. This revision looks at the indexes present and brings either shape to
the same one: the (run, key) index dropped, the two single-column indexes
created where missing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

_OLD = ("ix_metrics_run_id_key", ["run_id", "key"])
_NEW = (
    ("ix_metrics_run_id", ["run_id"]),
    ("ix_metrics_step_run_id", ["step_run_id"]),
)


def upgrade() -> None:
    """Replace the (run_id, key) metrics index by run_id and step_run_id ones."""
    present = _metrics_indexes()
    for name, columns in _NEW:
        if name not in present:
            op.create_index(name, "metrics", columns)
    name, _columns = _OLD
    if name in present:
        op.drop_index(name, table_name="metrics")


def downgrade() -> None:
    """Bring back the (run_id, key) index of released 0001 and drop the others."""
    present = _metrics_indexes()
    name, columns = _OLD
    if name not in present:
        op.create_index(name, "metrics", columns)
    for name, _columns in _NEW:
        if name in present:
            op.drop_index(name, table_name="metrics")


def _metrics_indexes() -> set[str]:
    return {
        str(index["name"]) for index in sa.inspect(op.get_bind()).get_indexes("metrics")
    }
