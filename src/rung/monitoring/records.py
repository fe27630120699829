"""Monitoring records: monitors, evaluations (a time series), check values, alerts,
and the alert deliveries of the outbox.

Frozen dataclasses, taken and returned by every ``MonitorStore`` backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ALERT_SEVERITIES",
    "ALERT_STATUSES",
    "CHECK_STATUSES",
    "DEFAULT_CHECKS",
    "DELIVERY_STATUSES",
    "EVALUATION_STATUSES",
    "MONITOR_CHECKS",
    "AlertChanges",
    "AlertRecord",
    "CheckValueRecord",
    "DeliveryRecord",
    "EvaluationRecord",
    "MonitorRecord",
]


# The checks a monitor runs when none are named.
DEFAULT_CHECKS: tuple[str, ...] = (
    "drift",
    "prediction_drift",
    "target_drift",
    "quality",
    "performance",
)


# Every check; ``estimated_performance`` (CBPE / DLE, performance estimated
# without labels) runs when asked for.
MONITOR_CHECKS: tuple[str, ...] = (*DEFAULT_CHECKS, "estimated_performance")


CHECK_STATUSES: tuple[str, ...] = ("passed", "breached", "not_computable")


# An evaluation is also ``error`` when the monitor could not run at all (its
# reference or model failed to load): the failure is recorded, with its reason.
EVALUATION_STATUSES: tuple[str, ...] = (*CHECK_STATUSES, "error")


ALERT_STATUSES: tuple[str, ...] = ("open", "resolved")


ALERT_SEVERITIES: tuple[str, ...] = ("warning", "critical")


# ``pending``: waiting for its first or next attempt; ``delivered``: a sink
# took it; ``failed``: given up (too many attempts or too old), kept to be seen.
DELIVERY_STATUSES: tuple[str, ...] = ("pending", "delivered", "failed")


@dataclass(frozen=True, slots=True)
class MonitorRecord:
    """A monitor: what to compare, which checks, thresholds, schedule, sinks.

    Attributes:
        name: unique in its project.
        project / user: the project, and who created it.
        created_at / updated_at: POSIX seconds.
        model: the monitored model URI (``churn@production``), if any.
        reference: where the reference comes from (``{"kind": "model"}``,
            ``{"kind": "dataset", "name": ..., "version": ...}``, ...).
        current: where the current data comes from (``{"kind": "predictions"}``
            is the model's prediction log).
        checks: a subset of :data:`MONITOR_CHECKS`.
        thresholds: threshold name -> value (``drift_share``, ``accuracy_drop``).
        window: ``{"seconds": 3600}``, ``{"rows": 10000}`` or ``{}`` (all).
        schedule: a cron expression, or None (run by hand).
        features: per-feature overrides (method, threshold, kind).
        sinks: alert sinks (``{"type": "webhook", "url": ...}``...).
        description: free text.
        last_evaluated_at: when it last ran, or None.
    """

    name: str
    project: str
    user: str
    created_at: float
    updated_at: float
    model: str | None = None
    reference: Mapping[str, Any] = field(default_factory=dict)
    current: Mapping[str, Any] = field(default_factory=dict)
    checks: tuple[str, ...] = DEFAULT_CHECKS
    thresholds: Mapping[str, float] = field(default_factory=dict)
    window: Mapping[str, Any] = field(default_factory=dict)
    schedule: str | None = None
    features: Mapping[str, Any] = field(default_factory=dict)
    sinks: tuple[Mapping[str, Any], ...] = ()
    description: str = ""
    last_evaluated_at: float | None = None


@dataclass(frozen=True, slots=True)
class EvaluationRecord:
    """One run of a monitor.

    Attributes:
        id: 32-hex id.
        monitor / project: the monitor.
        evaluated_at: when (POSIX seconds).
        status: ``breached`` if any check breached, else ``passed``, or
            ``not_computable`` when no check could be computed, or ``error``
            when the monitor failed before any check ran.
        checks: check -> summary (``status``, ``score``, ``threshold``,
            ``reason``, ``features``...), JSON-able.
        window: the current data's extent (``start``, ``end``, ``rows``...);
            for an ``error`` evaluation, ``error`` (the reason, one line) and
            ``error_type``.
        reference_rows / current_rows: rows compared.
        model_version: the model version the alias named, if any.
        duration_s: wall seconds the evaluation took.
        user: who (or what) ran it.
    """

    id: str
    monitor: str
    project: str
    evaluated_at: float
    status: str
    checks: Mapping[str, Any] = field(default_factory=dict)
    window: Mapping[str, Any] = field(default_factory=dict)
    reference_rows: int = 0
    current_rows: int = 0
    model_version: int | None = None
    duration_s: float = 0.0
    user: str = ""


@dataclass(frozen=True, slots=True)
class CheckValueRecord:
    """One number of one evaluation: a point of a time series.

    Attributes:
        evaluation_id / monitor / project / evaluated_at: the evaluation.
        check: the check (``drift``, ``performance``...).
        feature: the column, or ``""`` for a dataset-level value.
        metric: the statistic (``ks_pvalue``, ``psi``, ``accuracy``...).
        value: the value; None when it could not be computed.
        threshold: the threshold it was judged against, if it was.
        breached: whether it breached that threshold (None: not judged).
    """

    evaluation_id: str
    monitor: str
    project: str
    evaluated_at: float
    check: str
    feature: str
    metric: str
    value: float | None
    threshold: float | None = None
    breached: bool | None = None


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """A breached check, open until an evaluation passes it again.

    Attributes:
        id: 32-hex id.
        project / monitor / check: what breached.
        severity: ``warning`` or ``critical``.
        status: ``open`` or ``resolved``.
        opened_at / updated_at / resolved_at: POSIX seconds.
        message: one sentence for people.
        evidence: features, scores, thresholds and window, JSON-able.
        first_evaluation_id / last_evaluation_id: the evaluations it spans.
        occurrences: how many evaluations breached while it was open.
    """

    id: str
    project: str
    monitor: str
    check: str
    severity: str
    status: str
    opened_at: float
    updated_at: float
    message: str
    first_evaluation_id: str
    last_evaluation_id: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    occurrences: int = 1
    resolved_at: float | None = None


@dataclass(frozen=True, slots=True)
class AlertChanges:
    """What one evaluation did to the alerts.

    Attributes:
        opened: new alerts.
        continued: alerts already open, updated with the new evidence.
        resolved: alerts closed because their check passed.
    """

    opened: list[AlertRecord] = field(default_factory=list)
    continued: list[AlertRecord] = field(default_factory=list)
    resolved: list[AlertRecord] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One alert event on its way to one sink: a row of the outbox.

    Written in the transaction that opens or resolves the alert, then sent
    (and retried) by whoever drains the outbox.

    Attributes:
        id: 32-hex id, sent to webhooks as the ``X-Rung-Delivery`` header so
            a receiver can drop a repeat.
        project / monitor / alert_id: the alert.
        event: ``opened`` or ``resolved``.
        sink: the sink's spec (``{"type": "webhook", "url": ...}``; secrets
            are references), or ``{"type": "plugin", "entry": "module:attr"}``
            for a sink of the ``rung.alert_sinks`` entry-point group.
        payload: the alert as it was when it changed (an :class:`AlertRecord`
            as a dict).
        status: one of :data:`DELIVERY_STATUSES`.
        attempts: attempts made so far.
        created_at / updated_at: POSIX seconds (created: the alert change).
        next_attempt_at: when it may be tried next (None once settled).
        delivered_at: when a sink took it.
        last_error: why the last attempt failed (or why it was given up).
    """

    id: str
    project: str
    monitor: str
    alert_id: str
    event: str
    sink: Mapping[str, Any]
    payload: Mapping[str, Any]
    status: str = "pending"
    attempts: int = 0
    created_at: float = 0.0
    updated_at: float = 0.0
    next_attempt_at: float | None = None
    delivered_at: float | None = None
    last_error: str | None = None
