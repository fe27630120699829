"""Estimated against realised performance, once the labels have arrived.

An ``estimated_performance`` evaluation judged a window before its labels
existed. When labels arrive later (feedback, a labelled sample), the same
window of the prediction log is read again and its realised performance,
with the estimate's metric definitions and a 95 % confidence interval, is
put beside the estimate: users learn how far to trust it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rung.errors import MonitoringError
from rung.monitoring._estimated_check import CHECK, scheme_of
from rung.monitoring._realised import realised_performance

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from rung.monitoring.records import EvaluationRecord, MonitorRecord
    from rung.workspace import Workspace

__all__ = ["estimated_vs_realised", "window_again"]

_SHOWN = 30


def estimated_vs_realised(
    workspace: Workspace,
    monitor: MonitorRecord,
    evaluations: Sequence[EvaluationRecord],
    *,
    limit: int = _SHOWN,
) -> list[dict[str, Any]]:
    """One entry per recent estimate: the estimate and what the labels say now.

    Each entry has ``evaluated_at``, ``rows``, ``labelled_rows``, ``method``
    and ``metrics``: metric -> ``estimated``, ``confidence``, ``realised``,
    ``interval`` (None where no label arrived yet). Only windows of the
    prediction log can be read again; other current data gives no entries.
    """
    if monitor.current.get("kind") != "predictions" or monitor.model is None:
        return []
    from rung.registry import parse_model_uri

    model = parse_model_uri(monitor.model).name
    out: list[dict[str, Any]] = []
    for evaluation in evaluations:
        summary = evaluation.checks.get(CHECK) or {}
        scheme = scheme_of(summary)
        if scheme is None:
            continue
        if len(out) == limit:
            break
        columns = window_again(workspace, model, evaluation.window)
        realised = (
            None
            if columns is None
            else realised_performance(columns, scheme, label="label")
        )
        out.append(_entry(evaluation, summary, realised))
    return out


def window_again(
    workspace: Workspace, model: str, info: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The rows of a past window (with the labels known now), or None."""
    from rung.monitoring._window import read_window

    until = info.get("until")
    if until is None:
        return None
    since = info.get("since")
    window: dict[str, Any] = {}
    if info.get("limit"):
        window = {"rows": int(info["limit"])}
    elif since is not None:
        window = {"seconds": float(until) - float(since)}
    try:
        return dict(read_window(workspace, model, window, now=float(until)).columns)
    except MonitoringError:
        return None


def _entry(
    evaluation: EvaluationRecord, summary: Mapping[str, Any], realised: Any
) -> dict[str, Any]:
    metrics = {}
    for metric, value in (summary.get("metrics") or {}).items():
        metrics[metric] = {
            "estimated": value,
            "confidence": (summary.get("confidence") or {}).get(metric),
            "realised": None if realised is None else realised.metrics.get(metric),
            "interval": None if realised is None else realised.intervals.get(metric),
        }
    return {
        "evaluation_id": evaluation.id,
        "evaluated_at": evaluation.evaluated_at,
        "method": summary.get("method"),
        "rows": summary.get("rows", evaluation.current_rows),
        "labelled_rows": 0 if realised is None else realised.rows,
        "metrics": metrics,
    }
