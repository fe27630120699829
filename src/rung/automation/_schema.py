"""Automation tables: triggers, the dispatch ledger, leases, and the
champion/challenger comparisons, promotion watches and their ledger.

Declared on the shared ``rung.store.sql.schema``; created by the migrations
``0008_automation`` and ``0010_challenger``. ``claim_key`` is
``project/trigger/event_key`` while an entry claims its event (fired, queued,
awaiting approval) and NULL otherwise: its unique constraint lets one event
start one run, however many agents see it.
"""

from __future__ import annotations

import sqlalchemy as sa

from rung.store.sql import BIG_ID, schema

__all__ = [
    "challenger_comparisons",
    "challenger_events",
    "leases",
    "promotion_watches",
    "trigger_dispatches",
    "triggers",
]

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

challenger_comparisons = sa.Table(
    "challenger_comparisons",
    schema,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("project", sa.String, nullable=False),
    sa.Column("model", sa.String, nullable=False),
    sa.Column("alias", sa.String, nullable=False),
    sa.Column("champion_version", sa.Integer, nullable=False),
    sa.Column("challenger_version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("user", sa.String, nullable=False),
    sa.Column("metric", sa.String, nullable=False),
    sa.Column("verdict", sa.String, nullable=False),
    sa.Column("window", sa.Text, nullable=False),
    sa.Column("champion_metrics", sa.Text, nullable=False),
    sa.Column("challenger_metrics", sa.Text, nullable=False),
    sa.Column("slices", sa.Text, nullable=False),
    sa.Column("latency", sa.Text, nullable=False),
    sa.Column("holdout", sa.Text, nullable=False),
    sa.Column("checks", sa.Text, nullable=False),
    sa.Column("gates", sa.Text, nullable=False),
    sa.Column("settings", sa.Text, nullable=False),
    sa.Column("notes", sa.Text, nullable=False),
    sa.Index("ix_challenger_comparisons_project_model", "project", "model"),
)

promotion_watches = sa.Table(
    "promotion_watches",
    schema,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("project", sa.String, nullable=False),
    sa.Column("model", sa.String, nullable=False),
    sa.Column("alias", sa.String, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("previous_version", sa.Integer, nullable=False),
    sa.Column("started_at", sa.Double, nullable=False),
    sa.Column("ends_at", sa.Double, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("user", sa.String, nullable=False),
    sa.Column("thresholds", sa.Text, nullable=False),
    sa.Column("comparison_id", sa.String, nullable=True),
    sa.Column("state", sa.String, nullable=False),
    sa.Column("checked_at", sa.Double, nullable=True),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("ended_at", sa.Double, nullable=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Index("ix_promotion_watches_project_state", "project", "state"),
)

challenger_events = sa.Table(
    "challenger_events",
    schema,
    sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("project", sa.String, nullable=False),
    sa.Column("model", sa.String, nullable=False),
    sa.Column("alias", sa.String, nullable=False),
    sa.Column("action", sa.String, nullable=False),
    sa.Column("at", sa.Double, nullable=False),
    sa.Column("user", sa.String, nullable=False),
    sa.Column("version", sa.Integer, nullable=True),
    sa.Column("comparison_id", sa.String, nullable=True),
    sa.Column("watch_id", sa.String, nullable=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Index("ix_challenger_events_project_model", "project", "model"),
    sa.Index("ix_challenger_events_comparison_id", "comparison_id"),
)
