"""Governance tables: policy set versions and the decision audit log.

They join the shared ``rung.store.sql.schema``, so Alembic and the schema test
see a single schema. Created by the
migration ``0004_governance``.
"""

from __future__ import annotations

import sqlalchemy as sa

from rung.store.sql import BIG_ID as _BIG_ID
from rung.store.sql import schema

__all__ = ["policy_decisions", "policy_sets"]


policy_sets = sa.Table(
    "policy_sets",
    schema,
    sa.Column("project", sa.String, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("user", sa.String, nullable=False),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("digest", sa.String, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
)

# No foreign key to runs: the audit outlives the runs it mentions.
policy_decisions = sa.Table(
    "policy_decisions",
    schema,
    # Insertion order: decisions of one batch share a timestamp.
    sa.Column("seq", _BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String, nullable=False, unique=True),
    sa.Column("decided_at", sa.Double, nullable=False),
    sa.Column("project", sa.String, nullable=False, index=True),
    sa.Column("user", sa.String, nullable=False),
    sa.Column("stage", sa.String, nullable=False),
    sa.Column("rule", sa.String, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("verdict", sa.String, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("run_id", sa.String, index=True),
    sa.Column("policy_version", sa.Integer),
    sa.Column("details", sa.Text, nullable=False),
)
