"""The drift checks of a monitor: data, prediction and target drift."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rung.monitoring._checks import CheckOutcome, not_computable, value_record
from rung.monitoring._drift import compute_drift
from rung.monitoring._verdicts import DEFAULT_THRESHOLDS

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rung.monitoring._columns import Columns
    from rung.monitoring._verdicts import DriftResult
    from rung.monitoring.records import CheckValueRecord

__all__ = ["drift_outcome"]


def drift_outcome(
    check: str,
    reference: Columns,
    current: Columns,
    *,
    columns: list[str],
    thresholds: Mapping[str, float],
    features: Mapping[str, Any],
) -> CheckOutcome:
    """Data, prediction or target drift over ``columns``.

    Data drift breaches as soon as a feature drifts (more than
    ``drift_alert_share`` of them, default: any), as a ``warning``; when the
    share of drifted features reaches ``drift_share`` the dataset has drifted
    (``critical`` from twice that share). Prediction and target drift breach
    when any column drifts. A flagged feature therefore always raises an alert
    unless the thresholds say otherwise.
    """
    if not columns:
        return not_computable(check, "no columns to compare")
    share = thresholds.get("drift_share", 0.5) if check == "drift" else 1e-12
    limits = {k: v for k, v in thresholds.items() if k in DEFAULT_THRESHOLDS}
    result = compute_drift(
        reference,
        current,
        columns=columns,
        thresholds=limits,
        features={k: v for k, v in features.items() if k in columns},
        drift_share=share,
    )
    values = _drift_values(check, result)
    reasons = {n: f.reason for n, f in result.features.items() if not f.is_computable}
    summary: dict[str, Any] = {
        "drift_share": result.drift_share,
        "threshold": result.threshold if check == "drift" else None,
        "drifted": result.drifted_features,
        "features": {n: _feature_summary(f) for n, f in result.features.items()},
    }
    if result.dataset_drift is None:
        first = next(iter(reasons.values()), "nothing to compare")
        outcome = not_computable(check, f"no feature could be compared: {first}")
        outcome.summary.update(summary)
        outcome.values, outcome.result = values, result
        return outcome
    alert_share = thresholds.get("drift_alert_share", 0.0) if check == "drift" else 0.0
    flagged = (
        bool(result.drifted_features) and (result.drift_share or 0.0) > alert_share
    )
    status = "breached" if result.dataset_drift or flagged else "passed"
    summary.update(
        status=status, score=result.drift_share, dataset_drift=result.dataset_drift
    )
    outcome = CheckOutcome(check, status, summary, values, result=result)
    if status == "breached":
        _drift_alert(outcome, result, check)
    return outcome


def _feature_summary(f: Any) -> dict[str, Any]:
    return {
        "kind": f.kind,
        "method": f.method,
        "score": f.score,
        "threshold": f.threshold,
        "drifted": f.drifted,
        "reason": f.reason,
        "stats": dict(f.stats),
        "new_categories": list(f.new_categories),
        "vanished_categories": list(f.vanished_categories),
    }


def _drift_values(check: str, result: DriftResult) -> list[CheckValueRecord]:
    values = [
        value_record(
            check,
            "",
            "drift_share",
            result.drift_share,
            result.threshold,
            result.dataset_drift,
        )
    ]
    for name, f in result.features.items():
        values.append(
            value_record(check, name, "score", f.score, f.threshold, f.drifted)
        )
        values += [
            value_record(check, name, metric, v) for metric, v in f.stats.items()
        ]
    return values


def _drift_alert(outcome: CheckOutcome, result: DriftResult, check: str) -> None:
    drifted = result.drifted_features
    share = result.drift_share or 0.0
    what = {
        "drift": "features",
        "prediction_drift": "outputs",
        "target_drift": "labels",
    }
    outcome.message = (
        f"{len(drifted)} of {len(result.features)} {what[check]} drifted "
        f"({share:.0%}): {', '.join(drifted[:8])}"
    )
    if check == "drift" and not result.dataset_drift:
        outcome.message += f"; below the dataset-drift share {result.threshold:.0%}"
    outcome.severity = (
        "critical"
        if result.dataset_drift and share >= min(1.0, 2 * result.threshold)
        else "warning"
    )
    outcome.evidence = {
        "features": drifted,
        "scores": {n: result.features[n].score for n in drifted},
        "methods": {n: result.features[n].method for n in drifted},
        "thresholds": {n: result.features[n].threshold for n in drifted},
        "drift_share": share,
        "drift_share_threshold": result.threshold if check == "drift" else None,
    }
