"""The ``estimated_performance`` check: performance before the labels arrive.

CBPE (classifiers with probabilities) or DLE (regressors) is fitted on the
monitor's labelled reference, with the model's outputs on it, and estimates
the whole window as one chunk. Each metric is compared with its value
realised on the reference: it degrades when the estimate is worse by more
than ``<metric>_drop`` (the thresholds of the ``performance`` check), or when
it leaves, on the worse side, the band the metric spans on reference chunks
of the window's size (mean +- 3 std, NannyML's rule). A check that cannot be
computed says why; it never reports a figure it cannot trust.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rung.errors import EstimationError
from rung.monitoring._checks import CheckOutcome, not_computable, value_record
from rung.monitoring._columns import row_count
from rung.monitoring._estimate import MIN_CHUNK_ROWS, fit_cbpe, fit_dle
from rung.monitoring._performance import DEFAULT_DROPS, LOWER_IS_BETTER
from rung.monitoring._realised import Scheme, realised_performance

if TYPE_CHECKING:
    from rung.monitoring._columns import Columns
    from rung.monitoring._estimate import MetricEstimate, PerformanceEstimate
    from rung.monitoring.records import CheckValueRecord

__all__ = ["CHECK", "estimated_outcome", "scheme_of"]

CHECK = "estimated_performance"
_NO_LABELS = (
    "the reference has no label column{name}: CBPE and DLE learn how far the "
    "model can be trusted from labelled reference rows. Give a labelled "
    "reference (--reference dataset:NAME, reference=<DataFrame>) and name its "
    "label column (--label COLUMN, label=)"
)
_NO_PROBABILITIES = (
    "the model gives no probabilities (no proba_<class> columns: a classifier "
    "without predict_proba), and CBPE estimates a classifier's performance from "
    "them. Serve a model with predict_proba (e.g. wrapped in "
    "sklearn.calibration.CalibratedClassifierCV), or log probabilities with the "
    "predictions"
)
_NO_LOGGED_PROBABILITIES = (
    "the current rows have no probabilities ({columns}): they were logged "
    "without them and the model cannot add them here ({why}). Log the "
    "probabilities with each prediction"
)


def estimated_outcome(
    reference: Columns,
    current: Columns,
    *,
    label: str | None,
    features: list[str],
    thresholds: Mapping[str, float],
    prediction_error: str | None = None,
) -> CheckOutcome:
    """Estimate the window's performance without its labels; judge it."""
    if label is None or label not in reference:
        name = "" if label is None else f" {label!r}"
        return not_computable(CHECK, _NO_LABELS.format(name=name))
    if "prediction" not in reference or "prediction" not in current:
        side = "reference" if "prediction" not in reference else "current data"
        why = prediction_error or f"the {side} has no model predictions"
        return not_computable(CHECK, why)
    rows = row_count(current)
    least = int(thresholds.get("min_chunk_rows", MIN_CHUNK_ROWS))
    if rows < least:
        return not_computable(
            CHECK,
            f"the window has {rows} rows, fewer than the {least} an estimate "
            "needs (threshold min_chunk_rows): a figure from so few rows would "
            "be noise. Use a longer window",
        )
    try:
        fitted = _fit(
            reference,
            current,
            label=label,
            features=features,
            rows=rows,
            least=least,
            prediction_error=prediction_error,
        )
        if isinstance(fitted, str):
            return not_computable(CHECK, fitted)
        estimator, scheme = fitted
        result = estimator.estimate(current)
    except EstimationError as exc:
        return not_computable(CHECK, str(exc))
    base = realised_performance(reference, scheme, label=label, intervals=False)
    return _judge(result, scheme, base.metrics, thresholds, rows)


def _fit(
    reference: Columns,
    current: Columns,
    *,
    label: str,
    features: list[str],
    rows: int,
    least: int,
    prediction_error: str | None,
) -> tuple[Any, Scheme] | str:
    """CBPE or DLE fitted on the reference (one chunk of ``rows``), or why not."""
    probas = [c for c in reference if c.startswith("proba_")]
    if probas:
        missing = [c for c in probas if c not in current]
        if missing:
            why = prediction_error or "no features to predict from"
            return _NO_LOGGED_PROBABILITIES.format(columns=", ".join(missing), why=why)
        cbpe = fit_cbpe(reference, label=label, chunk_size=rows, min_chunk_rows=least)
        return cbpe, Scheme(
            "cbpe", cbpe.metrics, cbpe.classes, cbpe.columns, cbpe.complement
        )
    if not _is_regression(reference, label):
        return _NO_PROBABILITIES
    usable = [f for f in features if f in current]
    dle = fit_dle(
        reference, features=usable, label=label, chunk_size=rows, min_chunk_rows=least
    )
    return dle, Scheme("dle", dle.metrics)


def scheme_of(summary: Mapping[str, Any]) -> Scheme | None:
    """The metric definitions an ``estimated_performance`` summary used."""
    method = summary.get("method")
    if method not in ("cbpe", "dle"):
        return None
    return Scheme(
        method,
        tuple(summary.get("metrics", {})),
        tuple(summary.get("classes", ())),
        tuple(summary.get("proba_columns", ())),
        bool(summary.get("complement", False)),
    )


def _is_regression(reference: Columns, label: str) -> bool:
    import numpy as np

    values, predicted = reference[label], reference["prediction"]
    if values.dtype.kind != "f" or predicted.dtype.kind != "f":
        return False
    finite = predicted[np.isfinite(predicted)]
    return bool(finite.size) and not bool(np.all(finite == np.round(finite)))


@dataclass(slots=True)
class _Verdicts:
    """Per metric: the estimate, its bands, how much worse, what to store."""

    estimates: dict[str, float | None] = field(default_factory=dict)
    confidence: dict[str, list[float | None]] = field(default_factory=dict)
    bands: dict[str, list[float | None]] = field(default_factory=dict)
    worse: dict[str, float] = field(default_factory=dict)
    degraded: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    values: list[CheckValueRecord] = field(default_factory=list)

    def add(
        self,
        metric: str,
        found: MetricEstimate,
        base: float | None,
        limit: float | None,
    ) -> None:
        self.estimates[metric] = found.value
        self.confidence[metric] = [found.lower_confidence, found.upper_confidence]
        self.bands[metric] = [found.lower_threshold, found.upper_threshold]
        if found.value is None:
            self.reasons[metric] = found.reason
            self.values.append(value_record(CHECK, "", metric, None))
            return
        lower_better = metric in LOWER_IS_BETTER
        breached = _outside_band(found.value, self.bands[metric], lower_better)
        if base is not None:
            worse = found.value - base if lower_better else base - found.value
            self.worse[metric] = worse
            breached = breached or (limit is not None and worse > limit)
        if breached:
            self.degraded.append(metric)
        self.values += [
            value_record(CHECK, "", metric, found.value, limit, breached),
            value_record(CHECK, "", f"{metric}_lower", found.lower_confidence),
            value_record(CHECK, "", f"{metric}_upper", found.upper_confidence),
            value_record(CHECK, "", f"{metric}_reference", base),
        ]


def _judge(
    result: PerformanceEstimate,
    scheme: Scheme,
    reference: Mapping[str, float | None],
    thresholds: Mapping[str, float],
    rows: int,
) -> CheckOutcome:
    limits = {
        **DEFAULT_DROPS,
        **{k: v for k, v in thresholds.items() if k.endswith("_drop")},
    }
    verdicts = _Verdicts(values=[value_record(CHECK, "", "rows", float(rows))])
    for metric, found in result.chunks[0].metrics.items():
        verdicts.add(metric, found, reference.get(metric), limits.get(f"{metric}_drop"))
    status = "breached" if verdicts.degraded else "passed"
    summary: dict[str, Any] = {
        "status": status,
        "method": scheme.method,
        "task": result.task,
        "rows": rows,
        "reference_rows": result.reference_rows,
        "metrics": verdicts.estimates,
        "confidence": verdicts.confidence,
        "reference": dict(reference),
        "bands": verdicts.bands,
        "degradation": verdicts.worse,
        "thresholds": {
            f"{m}_drop": limits[f"{m}_drop"]
            for m in verdicts.estimates
            if f"{m}_drop" in limits
        },
        "degraded": verdicts.degraded,
        "classes": list(scheme.classes),
        "proba_columns": list(scheme.proba),
        "complement": scheme.complement,
        "calibrated": dict(result.calibrated),
    }
    if verdicts.reasons:
        summary["reasons"] = verdicts.reasons
    outcome = CheckOutcome(CHECK, status, summary, verdicts.values, result=result)
    if verdicts.degraded:
        _alert(outcome, verdicts.degraded, summary, limits)
    return outcome


def _outside_band(value: float, band: list[float | None], lower_better: bool) -> bool:
    low, high = band
    if lower_better:
        return high is not None and value > high
    return low is not None and value < low


def _alert(
    outcome: CheckOutcome,
    degraded: list[str],
    summary: dict[str, Any],
    limits: Mapping[str, float],
) -> None:
    ratios = [
        summary["degradation"].get(m, 0.0) / max(limits[f"{m}_drop"], 1e-12)
        for m in degraded
        if f"{m}_drop" in limits
    ]
    outcome.severity = "critical" if ratios and max(ratios) >= 2 else "warning"
    parts = []
    for m in degraded:
        low, high = summary["confidence"][m]
        span = (
            f" ({low:.4g}-{high:.4g})" if low is not None and high is not None else ""
        )
        base = summary["reference"].get(m)
        against = f" vs {base:.4g} on the reference" if base is not None else ""
        parts.append(f"estimated {m} {summary['metrics'][m]:.4g}{span}{against}")
    outcome.message = ", ".join(parts)
    outcome.evidence = {
        "method": summary["method"],
        "estimated": {m: summary["metrics"][m] for m in degraded},
        "confidence": {m: summary["confidence"][m] for m in degraded},
        "reference_values": {m: summary["reference"].get(m) for m in degraded},
        "thresholds": {
            f"{m}_drop": limits[f"{m}_drop"] for m in degraded if f"{m}_drop" in limits
        },
        "bands": {m: summary["bands"][m] for m in degraded},
        "rows": summary["rows"],
    }
