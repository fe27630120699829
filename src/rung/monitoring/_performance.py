"""Model performance once labels arrive, against the version's recorded metrics.

Classifiers: accuracy, precision, recall, F1 (binary for two classes, else
weighted), ROC AUC and log loss (when ``proba_<class>`` columns exist).
Regressors: MAE, RMSE, R². Scikit-learn computes them. A metric *degrades*
when it is worse than the baseline (the validation metric recorded on the
model version) by more than ``<metric>_drop``. Labels often cover a sample
only, so each metric also gets a 95 % confidence interval (see
``rung.monitoring._intervals``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from rung.errors import MonitorDataError
from rung.monitoring._columns import Columns, missing_mask, to_columns
from rung.monitoring._sample_intervals import metric_intervals

__all__ = [
    "DEFAULT_DROPS",
    "LOWER_IS_BETTER",
    "PerformanceResult",
    "baseline_metric",
    "evaluate_performance",
]

LOWER_IS_BETTER = frozenset({"log_loss", "mae", "rmse"})
DEFAULT_DROPS: dict[str, float] = {
    "accuracy_drop": 0.05,
    "f1_drop": 0.05,
    "roc_auc_drop": 0.05,
    "r2_drop": 0.1,
}
_PREFIXES = ("", "val_", "validation_", "test_", "eval_")


@dataclass(frozen=True, slots=True)
class PerformanceResult:
    """Metrics of a labelled window and how they compare with the baseline.

    Attributes:
        task: ``classification`` or ``regression``.
        rows: labelled rows used.
        metrics: metric -> value (None where not computable).
        reasons: metric -> why it is not computable.
        baseline: metric -> the recorded value it is compared with.
        degradation: metric -> how much worse than the baseline (> 0: worse).
        thresholds: ``<metric>_drop`` -> allowed degradation.
        degraded: the metrics whose degradation exceeds their threshold.
        intervals: metric -> its 95 % confidence interval ``(low, high)``
            over the labelled rows (None: no interval, e.g. the weighted
            multiclass precision, recall, F1 and ROC AUC).
    """

    task: str
    rows: int
    metrics: Mapping[str, float | None]
    reasons: Mapping[str, str] = field(default_factory=dict)
    baseline: Mapping[str, float] = field(default_factory=dict)
    degradation: Mapping[str, float] = field(default_factory=dict)
    thresholds: Mapping[str, float] = field(default_factory=dict)
    degraded: tuple[str, ...] = ()
    intervals: Mapping[str, tuple[float, float] | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return asdict(self)


def evaluate_performance(
    data: Any,
    *,
    label: str = "label",
    prediction: str = "prediction",
    task: str | None = None,
    baseline: Mapping[str, float] | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> PerformanceResult:
    """Score predictions against labels; compare with a baseline.

    Args:
        data: rows with ``label``, ``prediction`` and, for classifiers,
            ``proba_<class>`` columns (rows without a label are left out).
        label / prediction: the column names.
        task: ``classification`` or ``regression`` (default: guessed from the
            columns: probabilities or non-numeric labels mean classification).
        baseline: recorded metrics (``accuracy`` or ``val_accuracy``...).
        thresholds: ``<metric>_drop`` overrides of :data:`DEFAULT_DROPS`.

    Raises:
        MonitorDataError: a column is missing, or no row has a label.

    Example:
        >>> r = evaluate_performance(
        ...     {"label": np.array([1, 0, 1, 1]), "prediction": np.array([1, 0, 0, 1])},
        ...     task="classification", baseline={"accuracy": 0.9})
        >>> r.metrics["accuracy"], r.degraded
        (0.75, ('accuracy',))
    """
    columns = to_columns(data, "labelled data")
    for name in (label, prediction):
        if name not in columns:
            raise MonitorDataError(
                f"The labelled data has no column {name!r} (columns: "
                f"{sorted(columns)}); performance needs labels and predictions."
            )
    keep = ~missing_mask(columns[label]) & ~missing_mask(columns[prediction])
    if not keep.any():
        raise MonitorDataError(
            f"None of the {keep.size} rows has both a label and a prediction: "
            "performance needs labelled rows (send feedback first)."
        )
    rows = {k: v[keep] for k, v in columns.items()}
    kind = task or _guess_task(rows, label)
    if kind not in ("classification", "regression"):
        raise MonitorDataError(
            f"Unknown task {kind!r}; use classification or regression."
        )
    metrics, reasons = (
        _classification(rows, label, prediction)
        if kind == "classification"
        else _regression(rows, label, prediction)
    )
    intervals = metric_intervals(rows, label, prediction, kind, metrics)
    limits = {**DEFAULT_DROPS, **dict(thresholds or {})}
    base = {
        m: v for m in metrics if (v := baseline_metric(baseline or {}, m)) is not None
    }
    worse = {
        m: (metrics[m] - b if m in LOWER_IS_BETTER else b - metrics[m])  # type: ignore[operator]
        for m, b in base.items()
        if metrics[m] is not None
    }
    degraded = tuple(
        m for m, d in worse.items() if f"{m}_drop" in limits and d > limits[f"{m}_drop"]
    )
    return PerformanceResult(
        kind,
        int(keep.sum()),
        metrics,
        reasons,
        base,
        worse,
        limits,
        degraded,
        intervals,
    )


def baseline_metric(recorded: Mapping[str, float], metric: str) -> float | None:
    """The recorded value of ``metric`` (also as ``val_<metric>`` and the like)."""
    for prefix in _PREFIXES:
        value = recorded.get(prefix + metric)
        if isinstance(value, int | float) and np.isfinite(value):
            return float(value)
    return None


def _guess_task(rows: Columns, label: str) -> str:
    if any(name.startswith("proba_") for name in rows):
        return "classification"
    values = rows[label]
    if values.dtype.kind != "f":
        return "classification"
    whole = np.all(values == np.round(values))
    return "classification" if whole and np.unique(values).size <= 20 else "regression"


def _classification(
    rows: Columns, label: str, prediction: str
) -> tuple[dict[str, float | None], dict[str, str]]:
    from sklearn import metrics as sk

    y, p = _labels(rows[label]), _labels(rows[prediction])
    classes = sorted(set(y) | set(p))
    binary = len(classes) == 2 and set(classes) <= {"0", "1", "false", "true"}
    options: dict[str, Any] = (
        {"average": "binary", "pos_label": classes[1]}
        if binary
        else {"average": "weighted"}
    )
    found: dict[str, float | None] = {
        "accuracy": float(sk.accuracy_score(y, p)),
        "precision": float(sk.precision_score(y, p, zero_division=0, **options)),
        "recall": float(sk.recall_score(y, p, zero_division=0, **options)),
        "f1": float(sk.f1_score(y, p, zero_division=0, **options)),
    }
    reasons: dict[str, str] = {}
    probas = {
        _class_name(n.removeprefix("proba_")): v
        for n, v in rows.items()
        if n.startswith("proba_")
    }
    known = sorted(probas, key=str)
    if not probas:
        reason = "no proba_<class> columns in the data"
    elif set(y) - set(known):
        reason = f"labels {sorted(set(y) - set(known))} have no proba column"
    elif len(set(y)) < 2:
        reason = f"only one class ({y[0]!r}) among the labels"
    else:
        reason = ""
        matrix = np.column_stack([probas[c] for c in known])
        if len(known) == 2:
            found["roc_auc"] = float(sk.roc_auc_score(y == known[1], matrix[:, 1]))
        else:
            found["roc_auc"] = float(
                sk.roc_auc_score(y, matrix, multi_class="ovr", labels=known)
            )
        found["log_loss"] = float(sk.log_loss(y, matrix, labels=known))
    if reason:
        found["roc_auc"] = found["log_loss"] = None
        reasons = {"roc_auc": reason, "log_loss": reason}
    return found, reasons


def _regression(
    rows: Columns, label: str, prediction: str
) -> tuple[dict[str, float | None], dict[str, str]]:
    from sklearn import metrics as sk

    y, p = rows[label].astype(np.float64), rows[prediction].astype(np.float64)
    found: dict[str, float | None] = {
        "mae": float(sk.mean_absolute_error(y, p)),
        "rmse": float(np.sqrt(sk.mean_squared_error(y, p))),
        "r2": None,
    }
    reasons = {}
    if y.size < 2:
        reasons["r2"] = "R² needs at least two labelled rows"
    else:
        found["r2"] = float(sk.r2_score(y, p))
    return found, reasons


def _labels(values: np.ndarray) -> np.ndarray:
    """Labels as text, so 1, 1.0, "1" and True/False compare as expected."""
    out = []
    for v in values:
        if isinstance(v, bool | np.bool_):
            out.append("true" if v else "false")
        elif isinstance(v, float | np.floating) and float(v).is_integer():
            out.append(str(int(v)))
        else:
            out.append(str(v))
    return np.array(out, dtype=object)


def _class_name(text: str) -> str:
    return text.lower() if text in ("True", "False") else text
