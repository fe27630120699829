"""``run_due``: evaluate every due monitor, each inside its own error boundary.

One monitor that cannot run (its reference artifact is gone, its model was
deleted, a bug) must not stop the others, nor stay due for ever: its failure
is recorded as an ``error`` evaluation, which also advances its schedule, and
returned so the caller can report it.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import TYPE_CHECKING

from rung._internal.timeutil import now as _now
from rung.errors import RungError
from rung.monitoring._evaluate import MonitorEvaluation, run_monitor
from rung.monitoring._monitors import due_monitors
from rung.monitoring.records import AlertChanges, EvaluationRecord

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rung.monitoring.records import MonitorRecord
    from rung.workspace import Workspace

__all__ = ["record_failure", "run_due"]

_log = logging.getLogger("rung.monitoring")


def run_due(
    workspace: Workspace,
    *,
    now: float | None = None,
    alert_allow_hosts: Sequence[str] = (),
) -> list[MonitorEvaluation]:
    """Evaluate every monitor whose schedule is due (for cron/automation).

    Each monitor runs inside its own error boundary. One that fails is
    recorded as an ``error`` evaluation with the reason (see
    :func:`record_failure`) and returned with ``error`` set; the monitors
    after it still run. Its schedule advances, so it is tried again at its
    next due time, not at every tick.

    Args:
        workspace: the workspace.
        now: the evaluation time (default: now).
        alert_allow_hosts: passed to each ``run_monitor`` (internal webhook
            receivers alerts may reach).

    Returns:
        One evaluation per due monitor, in name order.

    Example:
        >>> for result in run_due(ws):  # doctest: +SKIP
        ...     print(result.evaluation.monitor, result.status, result.error)
        churn error The content of artifact 0f2b... is missing from the store ...
        fraud passed None
    """
    at = _now() if now is None else now
    results = []
    for monitor in due_monitors(workspace, at=at):
        started = time.perf_counter()
        try:
            results.append(
                run_monitor(
                    workspace,
                    monitor.name,
                    now=at,
                    alert_allow_hosts=alert_allow_hosts,
                )
            )
        except Exception as exc:
            took = time.perf_counter() - started
            results.append(record_failure(workspace, monitor, exc, at, took))
    return results


def record_failure(
    workspace: Workspace,
    monitor: MonitorRecord,
    exc: Exception,
    at: float,
    duration_s: float = 0.0,
) -> MonitorEvaluation:
    """Store an ``error`` evaluation of ``monitor`` saying why it failed.

    Open alerts stay as they are (nothing was checked). If even storing it
    fails, that is logged and the failure is still returned.

    Args:
        workspace: the workspace.
        monitor: the monitor that failed.
        exc: why.
        at: the evaluation time.
        duration_s: how long it ran before failing.

    Returns:
        The evaluation, with ``error`` set to the reason (one line).
    """
    reason = _one_line(exc)
    if isinstance(exc, RungError):
        _log.warning("Monitor %s failed: %s", monitor.name, reason)
    else:
        _log.error("Monitor %s failed", monitor.name, exc_info=exc)
    evaluation = EvaluationRecord(
        id=uuid.uuid4().hex,
        monitor=monitor.name,
        project=monitor.project,
        evaluated_at=at,
        status="error",
        checks={
            check: {"status": "error", "reason": reason} for check in monitor.checks
        },
        window={"error": reason, "error_type": type(exc).__name__},
        duration_s=duration_s,
        user=workspace.user,
    )
    try:
        workspace.monitors.record_evaluation(evaluation, [], [], [])
    except Exception:
        _log.exception("Cannot record the failure of monitor %s", monitor.name)
    return MonitorEvaluation(evaluation, {}, AlertChanges(), error=reason)


def _one_line(exc: Exception) -> str:
    text = str(exc) if isinstance(exc, RungError) else f"{type(exc).__name__}: {exc}"
    return " ".join(line.strip() for line in text.splitlines() if line.strip())
