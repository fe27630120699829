"""Monitoring records: monitors, evaluations (a time series), alerts.

A monitor is a named set of checks in a project. Each evaluation stores one
:class:`EvaluationRecord` plus one :class:`CheckValueRecord` per check, feature
and statistic, so drift and performance can be plotted over time. A breached
check opens an :class:`AlertRecord`; while it stays breached the same alert is
updated (one open alert per monitor and check), and the first evaluation in
which the check passes again resolves it. The store applies these rules in
the evaluation's transaction, so concurrent evaluations never open twice.

Example:
    >>> from rung.metadata import open_metadata_store
    >>> store = open_metadata_store("memory://")
    >>> store.list_monitors("demo")
    []
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Protocol, runtime_checkable

from rung.errors import MonitorNotFoundError
from rung.metadata._errors import InvalidRecordError

__all__ = [
    "ALERT_SEVERITIES",
    "ALERT_STATUSES",
    "CHECK_STATUSES",
    "MONITOR_CHECKS",
    "AlertChanges",
    "AlertRecord",
    "CheckValueRecord",
    "EvaluationRecord",
    "EvaluationRecords",
    "MonitorRecord",
    "MonitorRecords",
    "MonitoringRecords",
    "check_monitor_changes",
    "clean_evaluation",
    "clean_monitor",
    "clean_value",
    "monitor_not_found",
    "plan_alerts",
]

MONITOR_CHECKS: tuple[str, ...] = (
    "drift",
    "prediction_drift",
    "target_drift",
    "quality",
    "performance",
)
CHECK_STATUSES: tuple[str, ...] = ("passed", "breached", "not_computable")
ALERT_STATUSES: tuple[str, ...] = ("open", "resolved")
ALERT_SEVERITIES: tuple[str, ...] = ("warning", "critical")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_MAPPINGS = ("reference", "current", "thresholds", "window", "features")


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
    checks: tuple[str, ...] = MONITOR_CHECKS
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
            ``not_computable`` when no check could be computed.
        checks: check -> summary (``status``, ``score``, ``threshold``,
            ``reason``, ``features``...), JSON-able.
        window: the current data's extent (``start``, ``end``, ``rows``...).
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
    ) -> AlertChanges:
        """In one transaction: store the evaluation and its values, open or
        update an alert per breach (one open alert per monitor and check),
        resolve the open alerts of the ``passed`` checks, and set the
        monitor's ``last_evaluated_at``."""
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
class MonitoringRecords(MonitorRecords, EvaluationRecords, Protocol):
    """Monitors, evaluations and alerts (the monitoring part of the store)."""


# -- checks and rules shared by every backend -------------------------------------


def clean_monitor(monitor: MonitorRecord) -> MonitorRecord:
    """Check a monitor and return it as every backend stores it.

    Raises:
        InvalidRecordError: a bad name, unknown check, non-numeric threshold or
            a mapping JSON cannot hold.
    """
    from rung.metadata._common import clean_mapping

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
        f"Project {project!r} has no monitor {name!r}. List monitors with "
        "`rung monitor list`, or create one with `rung monitor create NAME --model "
        "MODEL@ALIAS`."
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
    from rung.metadata._common import clean_mapping

    if evaluation.status not in CHECK_STATUSES:
        raise InvalidRecordError(
            f"Invalid evaluation status {evaluation.status!r}; use one of "
            f"{', '.join(CHECK_STATUSES)}."
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
