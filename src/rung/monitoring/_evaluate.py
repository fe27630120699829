"""``run_monitor``: evaluate every check of a monitor now and record it."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from rung._internal.timeutil import now as _now
from rung.monitoring._alerts import notify, plugin_sinks
from rung.monitoring._checks import (
    CheckOutcome,
    not_computable,
    performance_outcome,
    quality_outcome,
)
from rung.monitoring._columns import Columns, missing_mask, to_columns
from rung.monitoring._drift_check import drift_outcome
from rung.monitoring._outbox import DeliveryReport, deliver_alerts, plugin_spec
from rung.monitoring._sources import (
    LOG_COLUMNS,
    Reference,
    features_and_label,
    load_source,
    predict,
)
from rung.monitoring._window import read_window, window_text
from rung.monitoring.records import AlertChanges, AlertRecord, EvaluationRecord

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rung.monitoring.records import MonitorRecord
    from rung.registry.records import ModelVersionRecord
    from rung.workspace import Workspace

__all__ = ["MonitorEvaluation", "load_sides", "run_monitor"]

_log = logging.getLogger("rung.monitoring")


@dataclass(slots=True)
class MonitorEvaluation:
    """What one evaluation found and changed.

    Attributes:
        evaluation: the stored record.
        outcomes: check -> outcome (values, verdict, full result).
        alerts: alerts opened, continued, resolved.
        delivery_failures: alert deliveries that failed (logged too); the
            outbox retries those to stored and plugin sinks.
        deliveries: what sending the monitor's due deliveries did.
        error: why the monitor could not run (``run_due`` records the
            failure as an ``error`` evaluation), else None.
    """

    evaluation: EvaluationRecord
    outcomes: dict[str, CheckOutcome]
    alerts: AlertChanges
    delivery_failures: list[str] = field(default_factory=list)
    error: str | None = None
    deliveries: DeliveryReport = field(default_factory=DeliveryReport)

    @property
    def status(self) -> str:
        """``passed``, ``breached``, ``not_computable`` or ``error``."""
        return self.evaluation.status

    def to_dict(self) -> dict[str, Any]:
        """The evaluation, the alert changes and delivery failures, as JSON data."""
        from rung.monitoring._report import jsonable

        data = {
            "evaluation": asdict(self.evaluation),
            "alerts": asdict(self.alerts),
            "delivery_failures": list(self.delivery_failures),
            "deliveries": self.deliveries.to_dict(),
            "error": self.error,
        }
        found: dict[str, Any] = jsonable(data)
        return found


@dataclass(slots=True)
class Sides:
    """The reference and current data of an evaluation, ready to compare."""

    reference: Reference
    current: Columns
    window: dict[str, Any]
    features: list[str]
    label: str | None
    version: ModelVersionRecord | None


def run_monitor(
    workspace: Workspace,
    name: str,
    *,
    current: Any = None,
    now: float | None = None,
    alert_allow_hosts: Sequence[str] = (),
) -> MonitorEvaluation:
    """Evaluate monitor ``name`` now; store the results; raise or resolve alerts.

    Args:
        workspace: the workspace.
        name: the monitor.
        current: compare this DataFrame (or table) instead of the monitor's
            current data (e.g. a batch scored offline).
        now: the evaluation time (default: now); the window ends here.
        alert_allow_hosts: internal webhook receivers the monitor's sinks may
            reach (``127.0.0.1:8123``, ``10.0.0.0/8``; the CLI passes the
            ``alert_allow_hosts`` setting).

    Returns:
        The evaluation. A check that cannot be computed (an empty window, no
        labels yet) is ``not_computable`` with its reason, never a crash.

    Raises:
        MonitorNotFoundError: unknown monitor.
        MonitorDataError: the reference cannot be loaded.

    Example:
        >>> result = run_monitor(ws, "churn")  # doctest: +SKIP
        >>> result.status, [a.check for a in result.alerts.opened]  # doctest: +SKIP
        ('breached', ['drift'])
    """
    started = time.perf_counter()
    at = _now() if now is None else now
    monitor = workspace.monitors.get_monitor(workspace.project, name)
    sides = load_sides(workspace, monitor, current=current, now=at)
    outcomes = {check: _run_check(check, monitor, sides) for check in monitor.checks}
    evaluation = EvaluationRecord(
        id=uuid.uuid4().hex,
        monitor=monitor.name,
        project=workspace.project,
        evaluated_at=at,
        status=_overall(outcomes),
        checks={c: o.summary for c, o in outcomes.items()},
        window=sides.window,
        reference_rows=sides.reference.rows,
        current_rows=int(sides.window.get("rows", 0)),
        model_version=sides.version.version if sides.version else None,
        duration_s=time.perf_counter() - started,
        user=workspace.user,
    )
    values = [v for o in outcomes.values() for v in o.values]
    breaches = [
        _breach(monitor, o, sides) for o in outcomes.values() if o.status == "breached"
    ]
    passed = [c for c, o in outcomes.items() if o.status == "passed"]
    plugins = [plugin_spec(entry) for entry in plugin_sinks(workspace)]
    changes = workspace.monitors.record_evaluation(
        evaluation, values, breaches, passed, extra_sinks=plugins
    )
    failures = notify(workspace, changes)
    sent = _deliver(workspace, monitor.name, at, alert_allow_hosts)
    return MonitorEvaluation(
        evaluation, outcomes, changes, failures + sent.failures, deliveries=sent
    )


def _deliver(
    workspace: Workspace, monitor: str, at: float, allow_hosts: Sequence[str]
) -> DeliveryReport:
    """Send the monitor's due deliveries now; a store failure leaves them queued."""
    try:
        return deliver_alerts(
            workspace, monitor=monitor, now=at, alert_allow_hosts=allow_hosts
        )
    except Exception:  # the evaluation is stored; the next drain sends them
        _log.exception("Cannot send the alert deliveries of monitor %s", monitor)
        return DeliveryReport()


def load_sides(
    workspace: Workspace, monitor: MonitorRecord, *, current: Any = None, now: float
) -> Sides:
    """Load the reference and the current data of ``monitor`` (with outputs)."""
    version = None
    if monitor.model is not None:
        from rung.registry import resolve_model

        version = resolve_model(workspace, monitor.model)
    reference = load_source(workspace, dict(monitor.reference), version)
    if current is not None:
        columns = to_columns(current, "current data")
        window: dict[str, Any] = {"rows": len(next(iter(columns.values()), []))}
        window["source"] = "given data"
    elif monitor.current.get("kind") == "predictions" and monitor.model is not None:
        from rung.registry import parse_model_uri

        model = parse_model_uri(monitor.model).name
        found = read_window(workspace, model, monitor.window, now=now)
        columns, window = found.columns, found.info
        window["source"] = f"prediction log of {model}, {window_text(monitor.window)}"
    else:
        loaded = load_source(workspace, dict(monitor.current), version)
        columns, window = (
            loaded.columns,
            {"rows": loaded.rows, "source": loaded.description},
        )
    features, label = features_and_label(
        reference.columns, version, monitor.reference.get("label")
    )
    if label is not None and label not in columns and "label" in columns:
        columns = {**columns, label: columns["label"]}
    sides = Sides(reference, columns, window, features, label, version)
    if version is not None and monitor.model is not None:
        _add_outputs(workspace, monitor.model, sides)
    return sides


def _add_outputs(workspace: Workspace, uri: str, sides: Sides) -> None:
    """Predict where a side lacks the model's outputs (prediction drift needs both).

    Current rows logged without probabilities get them too when the model
    gives them on the reference (the label-free estimate needs them).
    """
    loaded: list[Any] = []

    def model() -> Any:
        if not loaded:
            from rung.registry import load_model

            loaded.append(load_model(workspace, uri))
        return loaded[0]

    ref, cur = sides.reference.columns, sides.current
    for side in (ref, cur):
        if "prediction" not in side:
            _predict_into(side, model, sides, uri, keep=None)
    if _has_proba(ref) and "prediction" in cur and not _has_proba(cur):
        _predict_into(cur, model, sides, uri, keep="proba_")


def _predict_into(
    side: Columns, model: Any, sides: Sides, uri: str, *, keep: str | None
) -> None:
    if len(next(iter(side.values()), [])) == 0:
        return
    if any(f not in side for f in sides.features):
        return
    try:
        found = predict(model(), side, sides.features)
    except Exception as exc:  # pickled or missing model: the checks say why
        sides.window["prediction_error"] = f"cannot load {uri}: {exc}"
        return
    if isinstance(found, str):
        sides.window["prediction_error"] = found
        return
    side.update({k: v for k, v in found.items() if keep is None or k.startswith(keep)})


def _has_proba(columns: Columns) -> bool:
    return any(c.startswith("proba_") for c in columns)


def _run_check(check: str, monitor: MonitorRecord, sides: Sides) -> CheckOutcome:
    rows = len(next(iter(sides.current.values()), []))
    if rows == 0:
        where = sides.window.get("source", "the current data")
        return not_computable(check, f"the window has no rows ({where})")
    ref, cur = sides.reference.columns, sides.current
    limits = dict(monitor.thresholds)
    if check == "drift":
        return drift_outcome(
            check,
            ref,
            cur,
            columns=sides.features,
            thresholds=limits,
            features=monitor.features,
        )
    if check == "prediction_drift":
        outputs = [
            c for c in ref if (c == "prediction" or c.startswith("proba_")) and c in cur
        ]
        if not outputs:
            reason = sides.window.get(
                "prediction_error", "no model outputs on both sides"
            )
            return not_computable(check, str(reason))
        return drift_outcome(
            check, ref, cur, columns=outputs, thresholds=limits, features={}
        )
    if check == "target_drift":
        label = sides.label
        if label is None or label not in ref or label not in cur:
            return not_computable(check, "no labels on both sides")
        labelled = {label: cur[label][~missing_mask(cur[label])]}
        if labelled[label].size == 0:
            return not_computable(check, "no labels have arrived for these rows yet")
        return drift_outcome(
            check, ref, labelled, columns=[label], thresholds=limits, features={}
        )
    if check == "quality":
        ignore = [*LOG_COLUMNS, "prediction", "label", *(sides.label or "",)]
        ignore += [c for c in cur if c.startswith("proba_")]
        return quality_outcome(
            ref, cur, columns=sides.features, thresholds=limits, ignore=ignore
        )
    if check == "estimated_performance":
        from rung.monitoring._estimated_check import estimated_outcome

        error = sides.window.get("prediction_error")
        return estimated_outcome(
            ref,
            cur,
            label=sides.label,
            features=sides.features,
            thresholds=limits,
            prediction_error=None if error is None else str(error),
        )
    baseline = dict(sides.version.metrics) if sides.version else {}
    return performance_outcome(cur, sides.label, baseline, limits)


def _overall(outcomes: dict[str, CheckOutcome]) -> str:
    statuses = {o.status for o in outcomes.values()}
    if "breached" in statuses:
        return "breached"
    return "passed" if "passed" in statuses else "not_computable"


def _breach(monitor: MonitorRecord, outcome: CheckOutcome, sides: Sides) -> AlertRecord:
    evidence = {
        **outcome.evidence,
        "window": sides.window,
        "reference": sides.reference.description,
        "model_version": sides.version.version if sides.version else None,
    }
    return AlertRecord(
        id=uuid.uuid4().hex,
        project=monitor.project,
        monitor=monitor.name,
        check=outcome.check,
        severity=outcome.severity,
        status="open",
        opened_at=0.0,
        updated_at=0.0,
        message=outcome.message,
        first_evaluation_id="",
        last_evaluation_id="",
        evidence=evidence,
    )
