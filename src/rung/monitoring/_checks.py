"""Each check of a monitor: a verdict, the values to store, the alert to raise."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rung.errors import MonitorDataError
from rung.monitoring._columns import Columns, missing_mask
from rung.monitoring._performance import PerformanceResult, evaluate_performance
from rung.monitoring._quality import QualityResult, check_quality
from rung.monitoring.records import CheckValueRecord

__all__ = [
    "CheckOutcome",
    "not_computable",
    "performance_outcome",
    "quality_outcome",
    "value_record",
]


@dataclass(slots=True)
class CheckOutcome:
    """One check of one evaluation.

    Attributes:
        check: its name.
        status: ``passed``, ``breached`` or ``not_computable``.
        summary: what the evaluation record keeps (JSON-able).
        values: the numbers for the time series.
        severity / message / evidence: the alert, when breached.
        result: the full result (DriftResult, QualityResult...), if any.
    """

    check: str
    status: str
    summary: dict[str, Any]
    values: list[CheckValueRecord] = field(default_factory=list)
    severity: str = "warning"
    message: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    result: Any = None


def not_computable(check: str, reason: str) -> CheckOutcome:
    """An outcome that says why the check could not run."""
    return CheckOutcome(
        check, "not_computable", {"status": "not_computable", "reason": reason}
    )


def value_record(
    check: str,
    feature: str,
    metric: str,
    value: float | None,
    *limit: Any,
) -> CheckValueRecord:
    """A value to store; ``limit`` is ``(threshold[, breached])`` when judged."""
    threshold, breached = (*limit, None, None)[:2]
    return CheckValueRecord(
        "", "", "", 0.0, check, feature, metric, value, threshold, breached
    )


def quality_outcome(
    reference: Columns,
    current: Columns,
    *,
    columns: list[str],
    thresholds: Mapping[str, float],
    ignore: list[str],
) -> CheckOutcome:
    """Missing values, ranges, schema, constant columns, duplicates."""
    result: QualityResult = check_quality(
        current, reference, columns=columns, thresholds=thresholds, ignore=ignore
    )
    values = [
        value_record("quality", "", "rows", float(result.rows)),
        value_record(
            "quality",
            "",
            "duplicate_rate",
            result.duplicate_rate,
            result.thresholds["duplicate_rate"],
        ),
        value_record(
            "quality",
            "",
            "schema_violations",
            float(
                len(result.missing_columns)
                + len(result.extra_columns)
                + len(result.retyped_columns)
            ),
            0.0,
        ),
    ]
    for name, f in result.columns.items():
        values.append(
            value_record(
                "quality",
                name,
                "missing_rate",
                f.missing_rate,
                result.thresholds["missing_rate"],
            )
        )
        if f.out_of_range_rate is not None:
            values.append(
                value_record(
                    "quality",
                    name,
                    "out_of_range_rate",
                    f.out_of_range_rate,
                    result.thresholds["out_of_range_rate"],
                )
            )
    status = "passed" if result.is_passed else "breached"
    summary = {"status": status, "problems": list(result.problems), "rows": result.rows}
    outcome = CheckOutcome("quality", status, summary, values, result=result)
    if not result.is_passed:
        schema = bool(
            result.missing_columns or result.retyped_columns or result.rows == 0
        )
        outcome.severity = "critical" if schema else "warning"
        outcome.message = "; ".join(result.problems[:5])
        outcome.evidence = {
            "problems": list(result.problems),
            "thresholds": dict(result.thresholds),
        }
    return outcome


def performance_outcome(
    current: Columns,
    label: str | None,
    baseline: Mapping[str, float],
    thresholds: Mapping[str, float],
) -> CheckOutcome:
    """Metrics of the labelled rows, compared with the recorded ones."""
    if label is None or label not in current or "prediction" not in current:
        missing = "labels" if label is None or label not in current else "predictions"
        return not_computable("performance", f"no {missing} in the current data yet")
    if missing_mask(current[label]).all():
        return not_computable(
            "performance", "no labels have arrived for these rows yet"
        )
    drops = {k: v for k, v in thresholds.items() if k.endswith("_drop")}
    data = {
        k: v for k, v in current.items() if k == "prediction" or k.startswith("proba_")
    }
    data["label"] = current[label]
    try:
        result: PerformanceResult = evaluate_performance(
            data, baseline=baseline, thresholds=drops
        )
    except MonitorDataError as exc:
        return not_computable("performance", str(exc))
    values = [value_record("performance", "", "labelled_rows", float(result.rows))]
    for metric, number in result.metrics.items():
        values.append(
            value_record(
                "performance", "", metric, number, None, metric in result.degraded
            )
        )
    for metric, worse in result.degradation.items():
        limit = result.thresholds.get(f"{metric}_drop")
        values.append(
            value_record(
                "performance",
                "",
                f"{metric}_degradation",
                worse,
                limit,
                None if limit is None else worse > limit,
            )
        )
    status = "breached" if result.degraded else "passed"
    summary = {"status": status, **result.to_dict()}
    if not result.baseline:
        summary["reason"] = "the model version records no metric to compare with"
    outcome = CheckOutcome("performance", status, summary, values, result=result)
    if result.degraded:
        worst = max(
            result.degraded,
            key=lambda m: (
                result.degradation[m] / max(result.thresholds[f"{m}_drop"], 1e-12)
            ),
        )
        ratio = result.degradation[worst] / max(
            result.thresholds[f"{worst}_drop"], 1e-12
        )
        outcome.severity = "critical" if ratio >= 2 else "warning"
        outcome.message = ", ".join(
            f"{m} {result.metrics[m]:.4g} vs {result.baseline[m]:.4g} recorded"
            for m in result.degraded
        )
        outcome.evidence = {
            "metrics": {m: result.metrics[m] for m in result.degraded},
            "baseline": {m: result.baseline[m] for m in result.degraded},
            "thresholds": {
                f"{m}_drop": result.thresholds[f"{m}_drop"] for m in result.degraded
            },
            "labelled_rows": result.rows,
        }
    return outcome
