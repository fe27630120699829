"""Monitor reports: the data (JSON) and a self-contained HTML page.

``build_report`` gathers what a person needs to judge a monitor: its
definition, the latest evaluation, per-feature distributions of the
reference against the current window, drift scores and performance over
time (from the stored evaluations), label-free estimates beside the
performance shown by the labels that arrived since, and its alerts.
``render_html`` draws it as one HTML file with inline SVG and a few lines of
inline script (no network, no CDN).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np

from rung._internal.timeutil import now as _now
from rung.monitoring._columns import column_kind, finite_values, missing_mask
from rung.monitoring._evaluate import load_sides
from rung.monitoring._hindsight import estimated_vs_realised
from rung.monitoring._html import render_html
from rung.monitoring._window import window_text

if TYPE_CHECKING:
    from rung.monitoring.records import CheckValueRecord, MonitorRecord
    from rung.workspace import Workspace

__all__ = ["build_report", "jsonable", "render_html"]

_BINS = 20
_TOP_CATEGORIES = 12


def build_report(
    workspace: Workspace,
    name: str,
    *,
    current: Any = None,
    now: float | None = None,
    history: int = 200,
) -> dict[str, Any]:
    """The report of monitor ``name`` as JSON-able data.

    Args:
        workspace: the workspace.
        name: the monitor.
        current: draw the distributions of this data instead of the window.
        now: the window's end (default: now).
        history: how many past evaluations to include.

    Example:
        >>> report = build_report(ws, "churn")  # doctest: +SKIP
        >>> sorted(report["distributions"])  # doctest: +SKIP
        ['age', 'income', 'prediction']
    """
    at = _now() if now is None else now
    monitor = workspace.monitors.get_monitor(workspace.project, name)
    evaluations = workspace.monitors.list_evaluations(
        workspace.project, name, limit=history
    )
    since = evaluations[-1].evaluated_at if evaluations else None
    values = workspace.monitors.list_check_values(workspace.project, name, since=since)
    sides = load_sides(workspace, monitor, current=current, now=at)
    shown = [*sides.features, *[c for c in sides.reference.columns if _is_output(c)]]
    latest = asdict(evaluations[0]) if evaluations else None
    report: dict[str, Any] = jsonable(
        {
            "monitor": _describe(monitor),
            "generated_at": at,
            "reference": {
                "source": sides.reference.description,
                "rows": sides.reference.rows,
            },
            "window": sides.window,
            "latest": latest,
            "distributions": {
                c: _distribution(c, sides.reference.columns, sides.current, latest)
                for c in shown
                if c in sides.reference.columns
            },
            "drift_history": _drift_history(values),
            "performance_history": _series(values, "performance", feature=""),
            "estimated_vs_realised": estimated_vs_realised(
                workspace, monitor, evaluations
            ),
            "alerts": [
                asdict(a)
                for a in workspace.monitors.list_alerts(workspace.project, monitor=name)
            ],
        }
    )
    return report


def jsonable(value: Any) -> Any:
    """Plain JSON data: NumPy scalars unwrapped, NaN and inf as None."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _describe(monitor: MonitorRecord) -> dict[str, Any]:
    return {
        "name": monitor.name,
        "model": monitor.model,
        "checks": list(monitor.checks),
        "thresholds": dict(monitor.thresholds),
        "window": window_text(monitor.window),
        "schedule": monitor.schedule,
        "reference": dict(monitor.reference),
        "current": dict(monitor.current),
        "description": monitor.description,
    }


def _is_output(column: str) -> bool:
    return column == "prediction" or column.startswith("proba_")


def _distribution(
    column: str,
    reference: dict[str, np.ndarray],
    current: dict[str, np.ndarray],
    latest: dict[str, Any] | None,
) -> dict[str, Any]:
    ref = reference[column]
    cur = current.get(column, np.array([], dtype=object))
    out: dict[str, Any] = {"kind": column_kind(ref)}
    if out["kind"] == "numeric" and (cur.size == 0 or column_kind(cur) == "numeric"):
        out.update(_numeric_bins(ref, cur))
    else:
        out.update(_category_bins(ref, cur))
    checks = (latest or {}).get("checks", {})
    for check in ("drift", "prediction_drift"):
        verdict = checks.get(check, {}).get("features", {}).get(column)
        if verdict:
            out.update(
                {k: verdict.get(k) for k in ("method", "score", "threshold", "drifted")}
            )
    return out


def _numeric_bins(ref: np.ndarray, cur: np.ndarray) -> dict[str, Any]:
    r = finite_values(ref.astype(np.float64)) if ref.dtype.kind == "f" else np.array([])
    c = finite_values(cur.astype(np.float64)) if cur.dtype.kind == "f" else np.array([])
    both = np.concatenate([r, c])
    if both.size == 0:
        return {"edges": [], "reference": [], "current": [], "note": "no values"}
    lo, hi = float(both.min()), float(both.max())
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, _BINS + 1)
    return {
        "edges": [float(e) for e in edges],
        "reference": _shares(np.histogram(r, edges)[0]),
        "current": _shares(np.histogram(c, edges)[0]),
    }


def _category_bins(ref: np.ndarray, cur: np.ndarray) -> dict[str, Any]:
    from rung.monitoring._categorical import category_counts

    r = category_counts(ref[~missing_mask(ref)])
    c = category_counts(cur[~missing_mask(cur)]) if cur.size else {}
    order = sorted(set(r) | set(c), key=lambda k: -(r.get(k, 0) + c.get(k, 0)))
    top, rest = order[:_TOP_CATEGORIES], order[_TOP_CATEGORIES:]
    labels = [*top, *(["(other)"] if rest else [])]

    def counts(found: dict[str, int]) -> list[float]:
        row = [found.get(k, 0) for k in top] + (
            [sum(found.get(k, 0) for k in rest)] if rest else []
        )
        return _shares(np.array(row, dtype=np.float64))

    return {"categories": labels, "reference": counts(r), "current": counts(c)}


def _shares(counts: np.ndarray) -> list[float]:
    total = float(counts.sum())
    return [float(x) / total if total else 0.0 for x in counts]


def _drift_history(values: list[CheckValueRecord]) -> dict[str, Any]:
    share = _series(values, "drift", feature="", metrics=("drift_share",))
    scores = [
        v for v in values if v.check == "drift" and v.metric == "score" and v.feature
    ]
    features: dict[str, list[list[float | None]]] = {}
    for v in scores:
        features.setdefault(v.feature, []).append([v.evaluated_at, v.value])
    return {**share, "features": features}


def _series(
    values: list[CheckValueRecord],
    check: str,
    *,
    feature: str,
    metrics: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """metric -> [[time, value], ...] and each metric's latest threshold."""
    series: dict[str, list[list[float | None]]] = {}
    thresholds: dict[str, float | None] = {}
    for v in values:
        if v.check != check or v.feature != feature:
            continue
        if metrics is not None and v.metric not in metrics:
            continue
        series.setdefault(v.metric, []).append([v.evaluated_at, v.value])
        thresholds[v.metric] = v.threshold
    return {"metrics": series, "thresholds": thresholds}
