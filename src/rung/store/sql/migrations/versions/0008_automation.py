"""Automation: triggers, the dispatch ledger and the agent lease.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 00:00:00

Portable types only (SQLite and PostgreSQL); names follow
``schema.NAMING_CONVENTION``. ``trigger_dispatches.claim_key`` is unique: one
event starts one run, however many agents see it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the automation tables."""
    op.create_table(
        "triggers",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("pipeline", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_triggers"),
        sa.UniqueConstraint("project", "name", name="uq_triggers_project_name"),
    )
    op.create_table(
        "trigger_dispatches",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("trigger", sa.String(), nullable=False),
        sa.Column("evaluated_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("event_key", sa.String(), nullable=True),
        sa.Column("claim_key", sa.String(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=True),
        sa.Column("holder", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_trigger_dispatches"),
        sa.UniqueConstraint("claim_key", name="uq_trigger_dispatches_claim_key"),
    )
    op.create_index(
        "ix_trigger_dispatches_project_trigger",
        "trigger_dispatches",
        ["project", "trigger"],
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("acquired_at", sa.Double(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_leases"),
    )


def downgrade() -> None:
    """Drop the automation tables (triggers and their ledger are lost)."""
    op.drop_table("leases")
    op.drop_table("trigger_dispatches")
    op.drop_table("triggers")
