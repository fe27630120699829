"""Confidence intervals of the ``performance`` check's metrics.

The metrics are those of :func:`~rung.monitoring.evaluate_performance`
(binary figures for two classes 0/1 or false/true, else weighted averages).
Accuracy, and binary precision and recall, are proportions: Wilson
intervals. Binary F1 and ROC AUC, log loss, MAE, RMSE and R² are
bootstrapped over the labelled rows. Weighted multiclass precision, recall,
F1 and ROC AUC get none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from rung.monitoring._intervals import Interval, bootstrap_interval, wilson_interval

if TYPE_CHECKING:
    from rung.monitoring._columns import Columns

__all__ = ["metric_intervals", "ranked_auc_rows"]


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
    out["f1"] = bootstrap_interval(
        lambda i: _ratio(2 * hits[i].sum(-1), predicted[i].sum(-1) + actual[i].sum(-1)),
        y.size,
    )
    probas = {
        _class_name(n.removeprefix("proba_")): v.astype(np.float64)
        for n, v in rows.items()
        if n.startswith("proba_")
    }
    if set(probas) == set(classes) and len(set(y)) == 2:
        score = probas[positive]
        out["roc_auc"] = bootstrap_interval(
            lambda i: ranked_auc_rows(actual[i], score[i]), y.size
        )
        matrix = np.column_stack([probas[c] for c in classes])
        matrix = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1e-300)
        eps = np.finfo(np.float64).eps
        chosen = np.where(actual, matrix[:, 1], matrix[:, 0])
        losses = -np.log(np.clip(chosen, eps, 1 - eps))
        out["log_loss"] = bootstrap_interval(lambda i: losses[i].mean(-1), y.size)
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
        "mae": bootstrap_interval(lambda i: np.abs(errors[i]).mean(-1), y.size),
        "rmse": bootstrap_interval(
            lambda i: np.sqrt((errors[i] ** 2).mean(-1)), y.size
        ),
        "r2": bootstrap_interval(r2, y.size),
    }


def ranked_auc_rows(positive: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """ROC AUC of every row of ``(..., n)`` arrays (Mann-Whitney; NaN: one class)."""
    from scipy import stats

    ranks = stats.rankdata(scores, axis=-1)
    ones = positive.sum(-1).astype(np.float64)
    zeros = positive.shape[-1] - ones
    top = (ranks * positive).sum(-1) - ones * (ones + 1) / 2
    return _ratio(top, ones * zeros, empty=np.nan)


def _ratio(top: np.ndarray, bottom: np.ndarray, empty: float = 0.0) -> np.ndarray:
    top, bottom = np.asarray(top, np.float64), np.asarray(bottom, np.float64)
    out = np.full(np.broadcast(top, bottom).shape, empty, dtype=np.float64)
    np.divide(top, bottom, out=out, where=bottom > 0)
    return out
