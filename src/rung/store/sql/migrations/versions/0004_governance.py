"""Governance: policy set versions and the policy decisions audit.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 00:00:00

Portable types only (SQLite and PostgreSQL); names follow
``schema.NAMING_CONVENTION``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the governance tables."""
    op.create_table(
        "policy_sets",
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("project", "version", name="pk_policy_sets"),
    )
    op.create_table(
        "policy_decisions",
        sa.Column("seq", _BIG_ID, nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("decided_at", sa.Double(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("verdict", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_policy_decisions"),
        sa.UniqueConstraint("id", name="uq_policy_decisions_id"),
    )
    op.create_index("ix_policy_decisions_project", "policy_decisions", ["project"])
    op.create_index("ix_policy_decisions_run_id", "policy_decisions", ["run_id"])


def downgrade() -> None:
    """Drop the governance tables (the audit log is lost)."""
    op.drop_table("policy_decisions")
    op.drop_table("policy_sets")
