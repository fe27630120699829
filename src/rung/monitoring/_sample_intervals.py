"""Confidence intervals of the ``performance`` check's metrics.

The metrics are those of :func:`~rung.monitoring.evaluate_performance`
(binary figures for two classes 0/1 or false/true, else weighted averages);
each gets the interval of ``rung.monitoring._intervals`` that fits it:
Wilson for accuracy and binary precision and recall, a bootstrap of the
confusion matrix for binary F1, DeLong for binary ROC AUC, Student's t for
log loss, MAE and RMSE, a row bootstrap for R². Weighted multiclass
precision, recall, F1 and ROC AUC get none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from rung.monitoring._intervals import (
    Interval,
    bootstrap_interval,
    counts_interval,
    delong_interval,
    mean_interval,
    wilson_interval,
)

if TYPE_CHECKING:
    from rung.monitoring._columns import Columns

__all__ = ["f1_of_counts", "metric_intervals", "root_interval"]


def metric_intervals(
    rows: Columns,
    label: str,
    prediction: str,
    task: str,
    metrics: Mapping[str, float | None],
) -> dict[str, Interval | None]:
    """metric -> 95 % interval over the labelled ``rows`` (None: none)."""
    found = (
        _classification(rows, label, prediction)
        if task == "classification"
        else _regression(rows, label, prediction)
    )
    return {m: found.get(m) if metrics[m] is not None else None for m in metrics}


def _classification(
    rows: Columns, label: str, prediction: str
) -> dict[str, Interval | None]:
    from rung.monitoring._performance import _class_name, _labels

    y, p = _labels(rows[label]), _labels(rows[prediction])
    out: dict[str, Interval | None] = {
        "accuracy": wilson_interval(int(np.sum(y == p)), y.size)
    }
    classes = sorted(set(y) | set(p))
    if not (len(classes) == 2 and set(classes) <= {"0", "1", "false", "true"}):
        return out
    positive = classes[1]
    actual, predicted = y == positive, p == positive
    hits = actual & predicted
    out["precision"] = wilson_interval(int(hits.sum()), int(predicted.sum()))
    out["recall"] = wilson_interval(int(hits.sum()), int(actual.sum()))
    cells = np.array(
        [hits.sum(), (predicted & ~actual).sum(), (actual & ~predicted).sum()]
    )
    out["f1"] = counts_interval(np.append(cells, y.size - cells.sum()), f1_of_counts)
    probas = {
        _class_name(n.removeprefix("proba_")): v.astype(np.float64)
        for n, v in rows.items()
        if n.startswith("proba_")
    }
    if set(probas) == set(classes) and len(set(y)) == 2:
        score = probas[positive]
        out["roc_auc"] = delong_interval(actual, score)
        matrix = np.column_stack([probas[c] for c in classes])
        matrix = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1e-300)
        eps = np.finfo(np.float64).eps
        chosen = np.where(actual, matrix[:, 1], matrix[:, 0])
        losses = -np.log(np.clip(chosen, eps, 1 - eps))
        out["log_loss"] = mean_interval(losses)
    return out


def _regression(
    rows: Columns, label: str, prediction: str
) -> dict[str, Interval | None]:
    y = rows[label].astype(np.float64)
    errors = y - rows[prediction].astype(np.float64)

    def r2(i: np.ndarray) -> np.ndarray:
        truth = y[i]
        spread = ((truth - truth.mean(-1, keepdims=True)) ** 2).sum(-1)
        return 1.0 - _ratio((errors[i] ** 2).sum(-1), spread, empty=np.nan)

    return {
        "mae": mean_interval(np.abs(errors)),
        "rmse": root_interval(errors**2),
        "r2": bootstrap_interval(r2, y.size),
    }


def f1_of_counts(cells: np.ndarray) -> np.ndarray:
    """F1 of ``(..., 4)`` counts TP, FP, FN, TN (0 where nothing is positive)."""
    tp, fp, fn = cells[..., 0], cells[..., 1], cells[..., 2]
    return _ratio(2 * tp, 2 * tp + fp + fn)


def root_interval(squares: np.ndarray) -> Interval | None:
    """The interval of sqrt(mean(squares)): RMSE from the squared errors."""
    found = mean_interval(squares)
    if found is None:
        return None
    return float(np.sqrt(max(found[0], 0.0))), float(np.sqrt(found[1]))


def _ratio(top: np.ndarray, bottom: np.ndarray, empty: float = 0.0) -> np.ndarray:
    top, bottom = np.asarray(top, np.float64), np.asarray(bottom, np.float64)
    out = np.full(np.broadcast(top, bottom).shape, empty, dtype=np.float64)
    np.divide(top, bottom, out=out, where=bottom > 0)
    return out
