"""Continuous monitoring: data drift, prediction drift, quality, performance.

A monitor compares a reference (by default the training data of a model
version, reached through lineage) with a window of production data (the
prediction log) or any dataset, on a schedule. Every evaluation is stored as
a time series; breached checks open alerts (one per monitor and check until
it passes again), delivered to sinks and subscribers.

The statistics also work on any two DataFrames::

    from rung.monitoring import compute_drift

    result = compute_drift(train_df, last_week_df)
    result.drift_share, result.drifted_features

Example:
    >>> from rung.monitoring import create_monitor, run_monitor
    >>> create_monitor(ws, "churn", model="churn@production",
    ...                window="1h", thresholds={"drift_share": 0.3})  # doctest: +SKIP
    >>> run_monitor(ws, "churn").status  # doctest: +SKIP
    'passed'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rung._internal.lazy import lazy_exports as _lazy_exports

__all__ = [
    "DEFAULT_THRESHOLDS",
    "SMALL_SAMPLE",
    "AlertEvent",
    "AlertRecord",
    "AlertSink",
    "CategoricalStats",
    "CheckOutcome",
    "ColumnQuality",
    "DriftResult",
    "EmailAlertSink",
    "EvaluationRecord",
    "FeatureDrift",
    "FeatureRule",
    "LogAlertSink",
    "MonitorEvaluation",
    "MonitorRecord",
    "NumericStats",
    "PerformanceResult",
    "QualityResult",
    "WebhookAlertSink",
    "add_alert_sink",
    "build_report",
    "categorical_stats",
    "check_quality",
    "compute_drift",
    "create_monitor",
    "delete_monitor",
    "due_monitors",
    "evaluate_performance",
    "get_monitor",
    "list_alerts",
    "list_monitors",
    "numeric_stats",
    "parse_window",
    "remove_alert_sink",
    "render_html",
    "run_due",
    "run_monitor",
    "subscribe",
]

# Each name's submodule is imported on first use: a command that needs one
# function does not pay for the whole package.
__getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "rung.monitoring._alerts": (
            "add_alert_sink",
            "list_alerts",
            "remove_alert_sink",
            "subscribe",
        ),
        "rung.monitoring._categorical": ("CategoricalStats", "categorical_stats"),
        "rung.monitoring._checks": ("CheckOutcome",),
        "rung.monitoring._drift": (
            "DEFAULT_THRESHOLDS",
            "SMALL_SAMPLE",
            "DriftResult",
            "FeatureDrift",
            "FeatureRule",
            "compute_drift",
        ),
        "rung.monitoring._evaluate": ("MonitorEvaluation", "run_due", "run_monitor"),
        "rung.monitoring._monitors": (
            "create_monitor",
            "delete_monitor",
            "due_monitors",
            "get_monitor",
            "list_monitors",
            "parse_window",
        ),
        "rung.monitoring._numeric": ("NumericStats", "numeric_stats"),
        "rung.monitoring._performance": ("PerformanceResult", "evaluate_performance"),
        "rung.monitoring._quality": ("ColumnQuality", "QualityResult", "check_quality"),
        "rung.monitoring._report": ("build_report", "render_html"),
        "rung.monitoring._sinks": (
            "AlertEvent",
            "AlertSink",
            "EmailAlertSink",
            "LogAlertSink",
            "WebhookAlertSink",
        ),
        "rung.monitoring.records": ("AlertRecord", "EvaluationRecord", "MonitorRecord"),
    },
)

if TYPE_CHECKING:
    from rung.monitoring._alerts import (
        add_alert_sink,
        list_alerts,
        remove_alert_sink,
        subscribe,
    )
    from rung.monitoring._categorical import CategoricalStats, categorical_stats
    from rung.monitoring._checks import CheckOutcome
    from rung.monitoring._drift import (
        DEFAULT_THRESHOLDS,
        SMALL_SAMPLE,
        DriftResult,
        FeatureDrift,
        FeatureRule,
        compute_drift,
    )
    from rung.monitoring._evaluate import MonitorEvaluation, run_due, run_monitor
    from rung.monitoring._monitors import (
        create_monitor,
        delete_monitor,
        due_monitors,
        get_monitor,
        list_monitors,
        parse_window,
    )
    from rung.monitoring._numeric import NumericStats, numeric_stats
    from rung.monitoring._performance import PerformanceResult, evaluate_performance
    from rung.monitoring._quality import ColumnQuality, QualityResult, check_quality
    from rung.monitoring._report import build_report, render_html
    from rung.monitoring._sinks import (
        AlertEvent,
        AlertSink,
        EmailAlertSink,
        LogAlertSink,
        WebhookAlertSink,
    )
    from rung.monitoring.records import AlertRecord, EvaluationRecord, MonitorRecord
