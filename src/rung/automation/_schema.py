"""Automation tables: triggers, the dispatch ledger, leases.

Declared on the shared ``rung.store.sql.schema``; created by the migration
``0008_automation``. ``claim_key`` is ``project/trigger/event_key`` while an
entry claims its event (fired, queued, awaiting approval) and NULL otherwise:
its unique constraint lets one event start one run, however many agents see it.
"""

from __future__ import annotations

import sqlalchemy as sa

from rung.store.sql import BIG_ID, schema

__all__ = ["leases", "trigger_dispatches", "triggers"]

triggers = sa.Table(
    "triggers",
    schema,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("project", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("pipeline", sa.String, nullable=False),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("spec", sa.Text, nullable=False),
    sa.Column("params", sa.Text, nullable=False),
    sa.Column("policy", sa.Text, nullable=False),
    sa.Column("state", sa.String, nullable=False),
    sa.Column("cursor", sa.Text, nullable=False),
    sa.Column("user", sa.String, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.UniqueConstraint("project", "name"),
)

trigger_dispatches = sa.Table(
    "trigger_dispatches",
    schema,
    sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("project", sa.String, nullable=False),
    sa.Column("trigger", sa.String, nullable=False),
    sa.Column("evaluated_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=True),
    sa.Column("outcome", sa.String, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("event_key", sa.String, nullable=True),
    sa.Column("claim_key", sa.String, nullable=True, unique=True),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("params", sa.Text, nullable=False),
    sa.Column("run_id", sa.String, nullable=True),
    sa.Column("holder", sa.String, nullable=True),
    sa.Index("ix_trigger_dispatches_project_trigger", "project", "trigger"),
)

leases = sa.Table(
    "leases",
    schema,
    sa.Column("name", sa.String, primary_key=True),
    sa.Column("holder", sa.String, nullable=False),
    sa.Column("acquired_at", sa.Double, nullable=False),
    sa.Column("expires_at", sa.Double, nullable=False),
)
