"""Continuous monitoring: data drift, prediction drift, quality, performance.

A monitor compares a reference (by default the training data of a model
version, reached through lineage) with a window of production data (the
prediction log) or any dataset, on a schedule. Every evaluation is stored as
a time series; breached checks open alerts (one per monitor and check until
it passes again), delivered to sinks and subscribers; deliveries to a
monitor's sinks go through an outbox and are retried until delivered.

The statistics also work on any two DataFrames::

    from rung.monitoring import compute_drift

    result = compute_drift(train_df, last_week_df)
    result.drift_share, result.drifted_features

Before labels arrive, performance can be estimated from a labelled reference:
``estimate_classification_performance`` (CBPE, from predicted probabilities)
and ``estimate_regression_performance`` (DLE, from a model of the error).

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
    "MIN_CHUNK_ROWS",
    "SMALL_SAMPLE",
    "AlertEvent",
    "AlertRecord",
    "AlertSink",
    "CategoricalStats",
    "CbpeEstimator",
    "CheckOutcome",
    "ChunkEstimate",
    "ColumnQuality",
    "DeliveryRecord",
    "DeliveryReport",
    "DleEstimator",
    "DriftResult",
    "EmailAlertSink",
    "EvaluationRecord",
    "FeatureDrift",
    "FeatureRule",
    "LogAlertSink",
    "MetricEstimate",
    "MonitorEvaluation",
    "MonitorRecord",
    "NumericStats",
    "PerformanceEstimate",
    "PerformanceResult",
    "QualityResult",
    "RetryPolicy",
    "WebhookAlertSink",
    "add_alert_sink",
    "build_report",
    "categorical_stats",
    "check_quality",
    "compute_drift",
    "create_monitor",
    "delete_monitor",
    "deliver_alerts",
    "due_monitors",
    "estimate_classification_performance",
    "estimate_regression_performance",
    "evaluate_performance",
    "fit_cbpe",
    "fit_dle",
    "get_monitor",
    "list_alerts",
    "list_deliveries",
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
        "rung.monitoring._due": ("run_due",),
        "rung.monitoring._estimate": (
            "MIN_CHUNK_ROWS",
            "CbpeEstimator",
            "ChunkEstimate",
            "DleEstimator",
            "MetricEstimate",
            "PerformanceEstimate",
            "estimate_classification_performance",
            "estimate_regression_performance",
            "fit_cbpe",
            "fit_dle",
        ),
        "rung.monitoring._evaluate": ("MonitorEvaluation", "run_monitor"),
        "rung.monitoring._outbox": (
            "DeliveryReport",
            "RetryPolicy",
            "deliver_alerts",
            "list_deliveries",
        ),
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
        "rung.monitoring.records": (
            "AlertRecord",
            "DeliveryRecord",
            "EvaluationRecord",
            "MonitorRecord",
        ),
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
    from rung.monitoring._due import run_due
    from rung.monitoring._estimate import (
        MIN_CHUNK_ROWS,
        CbpeEstimator,
        ChunkEstimate,
        DleEstimator,
        MetricEstimate,
        PerformanceEstimate,
        estimate_classification_performance,
        estimate_regression_performance,
        fit_cbpe,
        fit_dle,
    )
    from rung.monitoring._evaluate import MonitorEvaluation, run_monitor
    from rung.monitoring._monitors import (
        create_monitor,
        delete_monitor,
        due_monitors,
        get_monitor,
        list_monitors,
        parse_window,
    )
    from rung.monitoring._numeric import NumericStats, numeric_stats
    from rung.monitoring._outbox import (
        DeliveryReport,
        RetryPolicy,
        deliver_alerts,
        list_deliveries,
    )
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
    from rung.monitoring.records import (
        AlertRecord,
        DeliveryRecord,
        EvaluationRecord,
        MonitorRecord,
    )
