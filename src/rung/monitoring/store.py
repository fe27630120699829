"""Monitoring records: monitors, evaluations (a time series), alerts.

A monitor is a named set of checks in a project. Each evaluation stores one
:class:`EvaluationRecord` plus one :class:`CheckValueRecord` per check, feature
and statistic, so drift and performance can be plotted over time. A breached
check opens an :class:`AlertRecord`; while it stays breached the same alert is
updated (one open alert per monitor and check), and the first evaluation in
which the check passes again resolves it. The store applies these rules in
the evaluation's transaction, so concurrent evaluations never open twice.

Each alert opened or resolved also puts one :class:`DeliveryRecord` per sink
into the outbox, in that same transaction, so an alert change is never lost
between the database and its receivers; senders claim deliveries (a lease)
before sending them, so two senders never send the same one.

Example:
    >>> from rung.metadata import open_metadata_store
    >>> store = open_metadata_store("memory://")
    >>> store.list_monitors("demo")
    []"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, fields, replace
from typing import Any, Protocol, runtime_checkable

from rung.errors import InvalidRecordError, MonitorNotFoundError
from rung.monitoring.records import (
    ALERT_SEVERITIES,
    DELIVERY_STATUSES,
    EVALUATION_STATUSES,
    MONITOR_CHECKS,
    AlertChanges,
    AlertRecord,
    CheckValueRecord,
    DeliveryRecord,
    EvaluationRecord,
    MonitorRecord,
)
from rung.store import clean_mapping

__all__ = [
    "AlertDeliveries",
    "EvaluationRecords",
    "MonitorRecords",
    "MonitorStore",
    "check_delivery_outcome",
    "check_monitor_changes",
    "clean_evaluation",
    "clean_monitor",
    "clean_value",
    "monitor_not_found",
    "plan_alerts",
    "plan_deliveries",
]


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


_MAPPINGS = ("reference", "current", "thresholds", "window", "features")


@runtime_checkable
class MonitorRecords(Protocol):
    """Monitor definitions."""

    def add_monitor(self, monitor: MonitorRecord) -> None:
        """Insert a monitor; raises InvalidRecordError if the name is taken."""
        ...

    def update_monitor(
        self, project: str, name: str, changes: Mapping[str, Any]
    ) -> MonitorRecord:
        """Change fields (not name or project); raises MonitorNotFoundError."""
        ...

    def get_monitor(self, project: str, name: str) -> MonitorRecord:
        """Return one monitor; raises MonitorNotFoundError."""
        ...

    def list_monitors(self, project: str) -> list[MonitorRecord]:
        """Return the project's monitors by name."""
        ...

    def delete_monitor(self, project: str, name: str) -> None:
        """Delete a monitor with its evaluations, values and alerts."""
        ...


@runtime_checkable
class EvaluationRecords(Protocol):
    """Evaluations, their values (time series) and the alerts they drive."""

    def record_evaluation(
        self,
        evaluation: EvaluationRecord,
        values: Sequence[CheckValueRecord],
        breaches: Sequence[AlertRecord],
        passed: Sequence[str],
        *,
        extra_sinks: Sequence[Mapping[str, Any]] = (),
    ) -> AlertChanges:
        """In one transaction: store the evaluation and its values, open or
        update an alert per breach (one open alert per monitor and check),
        resolve the open alerts of the ``passed`` checks, enqueue one pending
        delivery per opened or resolved alert and per sink (the monitor's
        stored sinks, then ``extra_sinks``; see :func:`plan_deliveries`),
        and set the monitor's ``last_evaluated_at``."""
        ...

    def list_evaluations(
        self,
        project: str,
        monitor: str,
        *,
        since: float | None = None,
        limit: int | None = 100,
    ) -> list[EvaluationRecord]:
        """Return a monitor's evaluations, newest first."""
        ...

    def list_check_values(
        self,
        project: str,
        monitor: str,
        *,
        check: str | None = None,
        feature: str | None = None,
        metric: str | None = None,
        since: float | None = None,
    ) -> list[CheckValueRecord]:
        """Return values in time order (then insertion order), filtered."""
        ...

    def list_alerts(
        self,
        project: str,
        *,
        monitor: str | None = None,
        status: str | None = None,
        since: float | None = None,
        limit: int | None = 100,
    ) -> list[AlertRecord]:
        """Return alerts updated at or after ``since``, newest first."""
        ...


@runtime_checkable
class AlertDeliveries(Protocol):
    """The outbox: alert events waiting for, or done with, their sinks."""

    def claim_deliveries(
        self,
        project: str,
        *,
        sender: str,
        now: float,
        lease_s: float,
        monitor: str | None = None,
        include_waiting: bool = False,
        limit: int | None = 100,
    ) -> list[DeliveryRecord]:
        """Claim pending deliveries for ``sender`` until ``now + lease_s``.

        Claimable: ``pending``; due (``next_attempt_at <= now``, or any time
        with ``include_waiting``); not held by another sender's unexpired
        lease and not last claimed by ``sender`` itself (a sender tries a
        delivery at most once); and not a ``resolved`` event whose
        ``opened`` event to the same sink is still pending (receivers see
        them in order). Oldest first (by due time, then the order they were
        enqueued). Two senders never hold the same delivery at once.
        """
        ...

    def finish_delivery(self, delivery: DeliveryRecord, sender: str) -> bool:
        """Store an attempt's outcome (``status``, ``attempts``,
        ``next_attempt_at``, ``delivered_at``, ``last_error``,
        ``updated_at``) and release the lease.

        Returns False, storing nothing, when ``sender`` no longer holds the
        delivery (its lease expired and another sender claimed it) or it is
        no longer pending. Raises InvalidRecordError for an outcome that
        breaks :func:`check_delivery_outcome`.
        """
        ...

    def list_deliveries(
        self,
        project: str,
        *,
        monitor: str | None = None,
        alert_ids: Sequence[str] | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[DeliveryRecord]:
        """Return deliveries in the order they were enqueued, filtered."""
        ...


@runtime_checkable
class MonitorStore(MonitorRecords, EvaluationRecords, AlertDeliveries, Protocol):
    """Monitors, evaluations, alerts and their deliveries (the outbox)."""


def clean_monitor(monitor: MonitorRecord) -> MonitorRecord:
    """Check a monitor and return it as every backend stores it.

    Raises:
        InvalidRecordError: a bad name, unknown check, non-numeric threshold or
            a mapping JSON cannot hold.
    """
    if not isinstance(monitor.name, str) or not _NAME.fullmatch(monitor.name):
        raise InvalidRecordError(
            f"Invalid monitor name {monitor.name!r}. Use letters, digits, '_', '.' "
            "and '-', starting with a letter or digit (e.g. 'churn-drift')."
        )
    unknown = [c for c in monitor.checks if c not in MONITOR_CHECKS]
    if unknown or not monitor.checks:
        raise InvalidRecordError(
            f"Monitor {monitor.name!r} has checks {list(monitor.checks)!r}; use one "
            f"or more of: {', '.join(MONITOR_CHECKS)}."
        )
    for key, value in monitor.thresholds.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidRecordError(
                f"Threshold {key!r} of monitor {monitor.name!r} must be a number, "
                f"got {value!r}."
            )
    what = f"monitor {monitor.name!r}"
    cleaned: dict[str, Any] = {
        k: clean_mapping(getattr(monitor, k), f"{k} of {what}") for k in _MAPPINGS
    }
    cleaned["thresholds"] = {k: float(v) for k, v in cleaned["thresholds"].items()}
    sinks = tuple(clean_mapping(s, f"sink of {what}") for s in monitor.sinks)
    return replace(monitor, checks=tuple(monitor.checks), sinks=sinks, **cleaned)


def monitor_not_found(project: str, name: str) -> MonitorNotFoundError:
    """The error for a missing monitor."""
    return MonitorNotFoundError(
        f"Project {project!r} has no monitor {name!r}.", monitor=name, project=project
    )


def plan_alerts(
    open_alerts: Mapping[str, AlertRecord],
    evaluation: EvaluationRecord,
    breaches: Sequence[AlertRecord],
    passed: Sequence[str],
) -> AlertChanges:
    """Decide, from the monitor's open alerts (by check), what changes.

    A breach of a check with an open alert continues that alert (newest
    message, evidence and severity; one more occurrence); other breaches open
    new alerts; open alerts of ``passed`` checks are resolved.
    """
    changes = AlertChanges()
    at, eval_id = evaluation.evaluated_at, evaluation.id
    for draft in breaches:
        known = open_alerts.get(draft.check)
        if known is None:
            changes.opened.append(
                replace(
                    draft,
                    status="open",
                    opened_at=at,
                    updated_at=at,
                    first_evaluation_id=eval_id,
                    last_evaluation_id=eval_id,
                    occurrences=1,
                    resolved_at=None,
                )
            )
            continue
        changes.continued.append(
            replace(
                known,
                severity=draft.severity,
                message=draft.message,
                evidence=draft.evidence,
                updated_at=at,
                last_evaluation_id=eval_id,
                occurrences=known.occurrences + 1,
            )
        )
    for check in passed:
        known = open_alerts.get(check)
        if known is not None:
            changes.resolved.append(
                replace(
                    known,
                    status="resolved",
                    updated_at=at,
                    resolved_at=at,
                    last_evaluation_id=eval_id,
                )
            )
    return changes


def clean_evaluation(
    evaluation: EvaluationRecord, breaches: Sequence[AlertRecord]
) -> tuple[EvaluationRecord, list[AlertRecord]]:
    """Check an evaluation and its breaches; return them as stored.

    Raises:
        InvalidRecordError: unknown status or severity, two breaches of one
            check, a breach of another monitor, or data JSON cannot hold.
    """
    if evaluation.status not in EVALUATION_STATUSES:
        raise InvalidRecordError(
            f"Invalid evaluation status {evaluation.status!r}; use one of "
            f"{', '.join(EVALUATION_STATUSES)}."
        )
    what = f"evaluation {evaluation.id!r}"
    clean = replace(
        evaluation,
        checks=clean_mapping(evaluation.checks, f"checks of {what}"),
        window=clean_mapping(evaluation.window, f"window of {what}"),
    )
    seen: set[str] = set()
    drafts = []
    for draft in breaches:
        if draft.severity not in ALERT_SEVERITIES or draft.check in seen:
            raise InvalidRecordError(
                f"Invalid breach of check {draft.check!r} (severity "
                f"{draft.severity!r}): give one breach per check, with severity "
                f"{' or '.join(ALERT_SEVERITIES)}."
            )
        if draft.monitor != evaluation.monitor or draft.project != evaluation.project:
            raise InvalidRecordError(
                f"Breach of {draft.check!r} names monitor {draft.monitor!r} in "
                f"{draft.project!r}, not the evaluation's {evaluation.monitor!r}."
            )
        seen.add(draft.check)
        evidence = clean_mapping(draft.evidence, f"evidence of {draft.check!r}")
        drafts.append(replace(draft, evidence=evidence))
    return clean, drafts


def check_monitor_changes(changes: Mapping[str, Any]) -> None:
    """Refuse changes to a monitor's name or project, or to unknown fields."""
    allowed = {f.name for f in fields(MonitorRecord)} - {"name", "project"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidRecordError(
            f"Cannot change {sorted(unknown)} of a monitor; changeable fields: "
            f"{sorted(allowed)}."
        )


def clean_value(
    value: CheckValueRecord, evaluation: EvaluationRecord
) -> CheckValueRecord:
    """A value as stored, stamped with its evaluation; NaN and inf become None."""
    number = value.value
    if number is not None and not math.isfinite(number):
        number = None
    return replace(
        value,
        evaluation_id=evaluation.id,
        monitor=evaluation.monitor,
        project=evaluation.project,
        evaluated_at=evaluation.evaluated_at,
        value=None if number is None else float(number),
        threshold=None if value.threshold is None else float(value.threshold),
    )


def plan_deliveries(
    changes: AlertChanges, sinks: Sequence[Mapping[str, Any]], at: float
) -> list[DeliveryRecord]:
    """The outbox rows of an evaluation: one per opened or resolved alert and sink.

    Each is ``pending`` and due at once (``next_attempt_at = at``), with the
    alert as it is now as its payload; continued alerts send nothing.

    Raises:
        InvalidRecordError: a sink spec JSON cannot hold.
    """
    specs = [clean_mapping(s, "alert sink") for s in sinks]
    events = [("opened", a) for a in changes.opened]
    events += [("resolved", a) for a in changes.resolved]
    return [
        DeliveryRecord(
            id=uuid.uuid4().hex,
            project=alert.project,
            monitor=alert.monitor,
            alert_id=alert.id,
            event=event,
            sink=spec,
            payload=clean_mapping(asdict(alert), f"alert {alert.id!r}"),
            created_at=at,
            updated_at=at,
            next_attempt_at=at,
        )
        for event, alert in events
        for spec in specs
    ]


def check_delivery_outcome(delivery: DeliveryRecord) -> None:
    """Refuse an attempt's outcome that no backend may store.

    A ``pending`` delivery has a next attempt time; a settled one has none;
    a ``delivered`` one has its delivery time.

    Raises:
        InvalidRecordError: an unknown status, negative attempts, or times
            that contradict the status.
    """
    problem = None
    if delivery.status not in DELIVERY_STATUSES:
        problem = f"its status must be one of {', '.join(DELIVERY_STATUSES)}"
    elif delivery.attempts < 0:
        problem = "its attempts cannot be negative"
    elif (delivery.status == "pending") != (delivery.next_attempt_at is not None):
        problem = "a pending delivery (and only one) needs next_attempt_at"
    elif delivery.status == "delivered" and delivery.delivered_at is None:
        problem = "a delivered one needs delivered_at"
    if problem is not None:
        raise InvalidRecordError(
            f"Cannot store the outcome of delivery {delivery.id!r} "
            f"(status {delivery.status!r}): {problem}."
        )
