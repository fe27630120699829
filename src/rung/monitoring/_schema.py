"""Monitoring tables: monitors, evaluations, their values, alerts, deliveries.

They join the one ``MetaData`` of ``schema`` (which imports this module at its
end). Created by migrations ``0006_monitoring`` and ``0009_alert_outbox``.
Evaluations, values, alerts and deliveries go with their monitor (``ON
DELETE CASCADE``). ``open_key`` is ``project/monitor/check`` while an alert
is open and NULL once resolved: the unique constraint on it keeps one open
alert per monitor and check, even when two evaluations race.

``monitor_deliveries`` is the outbox. ``seq`` orders it (the order rows were
enqueued); ``sender`` and ``lease_until`` are the claim: the sender that last
took the row, and until when it holds it (released: ``lease_until`` is the
time it finished).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from rung.monitoring.records import (
    AlertRecord,
    CheckValueRecord,
    DeliveryRecord,
    EvaluationRecord,
    MonitorRecord,
)
from rung.store import dump_json, load_json
from rung.store.sql import BIG_ID as _BIG_ID
from rung.store.sql import schema

__all__ = [
    "alert_from_row",
    "alert_row",
    "delivery_from_row",
    "delivery_row",
    "evaluation_from_row",
    "evaluation_row",
    "monitor_alerts",
    "monitor_deliveries",
    "monitor_evaluations",
    "monitor_from_row",
    "monitor_row",
    "monitor_values",
    "monitors",
    "value_from_row",
    "value_row",
]

_MONITOR_KEY = ("monitors.project", "monitors.name")

monitors = sa.Table(
    "monitors",
    schema,
    sa.Column("project", sa.String, primary_key=True),
    sa.Column("name", sa.String, primary_key=True),
    sa.Column("user", sa.String, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Column("model", sa.String),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("reference_spec", sa.Text, nullable=False),
    sa.Column("current_spec", sa.Text, nullable=False),
    sa.Column("checks", sa.Text, nullable=False),
    sa.Column("thresholds", sa.Text, nullable=False),
    sa.Column("window_spec", sa.Text, nullable=False),
    sa.Column("schedule", sa.String),
    sa.Column("features", sa.Text, nullable=False),
    sa.Column("sinks", sa.Text, nullable=False),
    sa.Column("last_evaluated_at", sa.Double),
)

monitor_evaluations = sa.Table(
    "monitor_evaluations",
    schema,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("project", sa.String, nullable=False),
    sa.Column("monitor", sa.String, nullable=False),
    sa.Column("evaluated_at", sa.Double, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("checks", sa.Text, nullable=False),
    sa.Column("window_info", sa.Text, nullable=False),
    sa.Column("reference_rows", sa.BigInteger, nullable=False),
    sa.Column("current_rows", sa.BigInteger, nullable=False),
    sa.Column("model_version", sa.Integer),
    sa.Column("duration_s", sa.Double, nullable=False),
    sa.Column("user", sa.String, nullable=False),
    sa.ForeignKeyConstraint(["project", "monitor"], _MONITOR_KEY, ondelete="CASCADE"),
    sa.Index(
        "ix_monitor_evaluations_project_monitor_evaluated_at",
        "project",
        "monitor",
        "evaluated_at",
    ),
)

monitor_values = sa.Table(
    "monitor_values",
    schema,
    sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
    sa.Column(
        "evaluation_id",
        sa.String,
        sa.ForeignKey("monitor_evaluations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("project", sa.String, nullable=False),
    sa.Column("monitor", sa.String, nullable=False),
    sa.Column("evaluated_at", sa.Double, nullable=False),
    sa.Column("check_name", sa.String, nullable=False),
    sa.Column("feature", sa.String, nullable=False),
    sa.Column("metric", sa.String, nullable=False),
    # NULL: not computable (and NaN: SQLite cannot store it in a REAL column).
    sa.Column("value", sa.Double),
    sa.Column("threshold", sa.Double),
    sa.Column("breached", sa.Boolean),
    sa.Index(
        "ix_monitor_values_project_monitor_evaluated_at",
        "project",
        "monitor",
        "evaluated_at",
    ),
)

monitor_alerts = sa.Table(
    "monitor_alerts",
    schema,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("project", sa.String, nullable=False),
    sa.Column("monitor", sa.String, nullable=False),
    sa.Column("check_name", sa.String, nullable=False),
    sa.Column("severity", sa.String, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("opened_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Column("resolved_at", sa.Double),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("first_evaluation_id", sa.String, nullable=False),
    sa.Column("last_evaluation_id", sa.String, nullable=False),
    sa.Column("occurrences", sa.Integer, nullable=False),
    sa.Column("open_key", sa.String, unique=True),
    sa.ForeignKeyConstraint(["project", "monitor"], _MONITOR_KEY, ondelete="CASCADE"),
    sa.Index("ix_monitor_alerts_project_updated_at", "project", "updated_at"),
)

monitor_deliveries = sa.Table(
    "monitor_deliveries",
    schema,
    sa.Column("seq", _BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String, nullable=False, unique=True),
    sa.Column("project", sa.String, nullable=False),
    sa.Column("monitor", sa.String, nullable=False),
    sa.Column(
        "alert_id",
        sa.String,
        sa.ForeignKey("monitor_alerts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("event", sa.String, nullable=False),
    sa.Column("sink", sa.Text, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Column("next_attempt_at", sa.Double),
    sa.Column("delivered_at", sa.Double),
    sa.Column("last_error", sa.Text),
    sa.Column("sender", sa.String),
    sa.Column("lease_until", sa.Double),
    sa.ForeignKeyConstraint(["project", "monitor"], _MONITOR_KEY, ondelete="CASCADE"),
    sa.Index(
        "ix_monitor_deliveries_status_next_attempt_at", "status", "next_attempt_at"
    ),
)

# Record field -> column, where they differ (SQL keywords are avoided).
_MONITOR_COLUMNS = {
    "reference": "reference_spec",
    "current": "current_spec",
    "window": "window_spec",
}
_MONITOR_JSON = ("reference", "current", "checks", "thresholds", "window", "features")


# -- records <-> rows (JSON text for mappings; SQL keywords avoided) ----------------


def monitor_row(record: MonitorRecord) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name in MonitorRecord.__dataclass_fields__:
        value = getattr(record, name)
        if name in _MONITOR_JSON:
            value = dump_json(list(value) if name == "checks" else dict(value), name)
        elif name == "sinks":
            value = dump_json([dict(s) for s in value], name)
        row[_MONITOR_COLUMNS.get(name, name)] = value
    return row


def monitor_from_row(row: sa.RowMapping) -> MonitorRecord:
    values: dict[str, Any] = {}
    for name in MonitorRecord.__dataclass_fields__:
        value = row[_MONITOR_COLUMNS.get(name, name)]
        if name in _MONITOR_JSON or name == "sinks":
            value = load_json(value)
        values[name] = value
    values["checks"] = tuple(values["checks"])
    values["sinks"] = tuple(values["sinks"])
    return MonitorRecord(**values)


def evaluation_row(record: EvaluationRecord) -> dict[str, Any]:
    row = {
        name: getattr(record, name) for name in EvaluationRecord.__dataclass_fields__
    }
    row["checks"] = dump_json(dict(record.checks), "evaluation checks")
    row["window_info"] = dump_json(dict(row.pop("window")), "evaluation window")
    return row


def evaluation_from_row(row: sa.RowMapping) -> EvaluationRecord:
    values = dict(row)
    values["checks"] = load_json(values["checks"])
    values["window"] = load_json(values.pop("window_info"))
    return EvaluationRecord(**values)


def value_row(record: CheckValueRecord) -> dict[str, Any]:
    row = {
        name: getattr(record, name) for name in CheckValueRecord.__dataclass_fields__
    }
    row["check_name"] = row.pop("check")
    return row


def value_from_row(row: sa.RowMapping) -> CheckValueRecord:
    values = dict(row)
    del values["id"]
    values["check"] = values.pop("check_name")
    return CheckValueRecord(**values)


def alert_row(record: AlertRecord) -> dict[str, Any]:
    row = {name: getattr(record, name) for name in AlertRecord.__dataclass_fields__}
    row["check_name"] = row.pop("check")
    row["evidence"] = dump_json(dict(record.evidence), "alert evidence")
    row["open_key"] = (
        f"{record.project}/{record.monitor}/{record.check}"
        if record.status == "open"
        else None
    )
    return row


def alert_from_row(row: sa.RowMapping) -> AlertRecord:
    values = dict(row)
    del values["open_key"]
    values["check"] = values.pop("check_name")
    values["evidence"] = load_json(values["evidence"])
    return AlertRecord(**values)


def delivery_row(record: DeliveryRecord) -> dict[str, Any]:
    row = {name: getattr(record, name) for name in DeliveryRecord.__dataclass_fields__}
    row["sink"] = dump_json(dict(record.sink), "alert sink")
    row["payload"] = dump_json(dict(record.payload), "delivery payload")
    return row


def delivery_from_row(row: sa.RowMapping) -> DeliveryRecord:
    values = {name: row[name] for name in DeliveryRecord.__dataclass_fields__}
    values["sink"] = load_json(values["sink"])
    values["payload"] = load_json(values["payload"])
    return DeliveryRecord(**values)
