"""Realised performance with the definitions of the label-free estimates.

CBPE estimates binary figures for the positive class and one-vs-rest macro
averages for more classes; DLE estimates MAE and RMSE. To compare an estimate
with what the labels later say (and with the labelled reference), the
realised metric must be the same figure: this module computes it on labelled
rows, with a 95 % confidence interval (Wilson for proportions, a bootstrap
of the confusion matrix for F1 and macro averages, DeLong for a binary ROC
AUC, Student's t for MAE and RMSE; see ``rung.monitoring._intervals``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rung.monitoring._calibration import weighted_auc
from rung.monitoring._columns import missing_mask
from rung.monitoring._estimate_inputs import class_text
from rung.monitoring._intervals import (
    Interval,
    counts_interval,
    delong_interval,
    mean_interval,
    wilson_interval,
)
from rung.monitoring._sample_intervals import root_interval

if TYPE_CHECKING:
    from rung.monitoring._columns import Columns

__all__ = ["Realised", "Scheme", "realised_performance"]


@dataclass(frozen=True, slots=True)
class Scheme:
    """How an estimate defines its metrics.

    Attributes:
        method: ``cbpe`` or ``dle``.
        metrics: the metrics.
        classes: CBPE's classes as text (binary: the positive class last).
        proba: CBPE's probability columns (binary: one column).
        complement: the binary column holds the negative class's probability.
    """

    method: str
    metrics: tuple[str, ...]
    classes: tuple[str, ...] = ()
    proba: tuple[str, ...] = ()
    complement: bool = False


@dataclass(frozen=True, slots=True)
class Realised:
    """Metrics of labelled rows, with intervals (None where undefined)."""

    rows: int
    metrics: dict[str, float | None]
    intervals: dict[str, Interval | None] = field(default_factory=dict)


def realised_performance(
    columns: Columns,
    scheme: Scheme,
    *,
    label: str,
    prediction: str = "prediction",
    intervals: bool = True,
) -> Realised:
    """The metrics of ``scheme`` on the rows of ``columns`` that have a label."""
    if label not in columns or prediction not in columns:
        return Realised(0, dict.fromkeys(scheme.metrics))
    keep = ~missing_mask(columns[label]) & ~missing_mask(columns[prediction])
    rows = {
        k: columns[k][keep] for k in (label, prediction, *scheme.proba) if k in columns
    }
    count = int(keep.sum())
    if count == 0:
        return Realised(0, dict.fromkeys(scheme.metrics))
    if scheme.method == "dle":
        return _regression(rows, scheme, label, prediction, intervals)
    return _classification(rows, scheme, label, prediction, intervals)


def _regression(
    rows: Columns, scheme: Scheme, label: str, prediction: str, intervals: bool
) -> Realised:
    errors = rows[label].astype(np.float64) - rows[prediction].astype(np.float64)
    values: dict[str, float | None] = {
        "mae": float(np.mean(np.abs(errors))),
        "rmse": float(np.sqrt(np.mean(errors**2))),
    }
    spans: dict[str, Interval | None] = {}
    if intervals:
        spans = {
            "mae": mean_interval(np.abs(errors)),
            "rmse": root_interval(errors**2),
        }
    return Realised(
        errors.size,
        {m: values[m] for m in scheme.metrics},
        {m: spans[m] for m in scheme.metrics if m in spans},
    )


def _classification(
    rows: Columns, scheme: Scheme, label: str, prediction: str, intervals: bool
) -> Realised:
    classes = len(scheme.classes)
    names = {n: i for i, n in enumerate(scheme.classes)}
    # A class the reference never showed is one more row and column: it
    # counts against accuracy, and in no class's precision or recall.
    truth = np.array([names.get(class_text(v), classes) for v in rows[label]])
    guess = np.array([names.get(class_text(v), classes) for v in rows[prediction]])
    size = classes + 1
    cells = np.bincount(truth * size + guess, minlength=size * size)
    figures = _figures(classes)
    found = figures(cells.astype(np.float64))
    scores = _scores(rows, scheme)
    if "roc_auc" in scheme.metrics:
        found["roc_auc"] = np.asarray(_auc(truth, scores, classes))
    values = {
        m: float(found[m]) if np.isfinite(found[m]) else None for m in scheme.metrics
    }
    spans: dict[str, Interval | None] = {}
    for metric in scheme.metrics if intervals else ():
        if values[metric] is None:
            spans[metric] = None
        elif metric == "accuracy":
            spans[metric] = wilson_interval(int(np.sum(truth == guess)), truth.size)
        elif classes == 2 and metric in ("precision", "recall"):
            tp = int(np.sum((truth == 1) & (guess == 1)))
            base = guess == 1 if metric == "precision" else truth == 1
            spans[metric] = wilson_interval(tp, int(base.sum()))
        elif metric == "roc_auc":
            binary = classes == 2 and scores is not None
            spans[metric] = (
                delong_interval(truth == 1, scores[:, 1])
                if binary and scores is not None
                else None
            )
        else:
            spans[metric] = counts_interval(
                cells.astype(np.float64), _pick(figures, metric)
            )
    return Realised(truth.size, values, spans)


def _figures(classes: int) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """Metrics of confusion-matrix counts ``(..., (classes+1)**2)``."""
    size = classes + 1
    targets = [1] if classes == 2 else list(range(classes))

    def figures(cells: np.ndarray) -> dict[str, np.ndarray]:
        matrix = cells.reshape(*cells.shape[:-1], size, size)
        total = matrix.sum(axis=(-2, -1))
        right = np.trace(matrix, axis1=-2, axis2=-1)
        parts: dict[str, list[np.ndarray]] = {"precision": [], "recall": [], "f1": []}
        for c in targets:
            tp = matrix[..., c, c]
            said, actual = matrix[..., :, c].sum(-1), matrix[..., c, :].sum(-1)
            parts["precision"].append(_ratio(tp, said))
            parts["recall"].append(_ratio(tp, actual))
            parts["f1"].append(_ratio(2 * tp, said + actual))
        out = {m: np.mean(v, axis=0) for m, v in parts.items()}
        out["accuracy"] = _ratio(right, total)
        return out

    return figures


def _pick(
    figures: Callable[[np.ndarray], dict[str, np.ndarray]], metric: str
) -> Callable[[np.ndarray], np.ndarray]:
    return lambda cells: figures(cells)[metric]


def _auc(truth: np.ndarray, scores: np.ndarray | None, classes: int) -> float:
    """ROC AUC (binary) or its one-vs-rest macro average; NaN if undefined."""
    if scores is None:  # probabilities not logged: no ROC AUC
        return float("nan")
    targets = [1] if classes == 2 else range(classes)
    return float(
        np.mean(
            [
                weighted_auc((truth == c).astype(np.float64), scores[:, c])
                for c in targets
            ]
        )
    )


def _scores(rows: Columns, scheme: Scheme) -> np.ndarray | None:
    """The probabilities of every class (None: not logged for every row)."""
    if any(c not in rows or missing_mask(rows[c]).any() for c in scheme.proba):
        return None
    if len(scheme.classes) == 2:
        column = rows[scheme.proba[0]].astype(np.float64)
        positive = 1.0 - column if scheme.complement else column
        return np.column_stack([1.0 - positive, positive])
    return np.column_stack([rows[c].astype(np.float64) for c in scheme.proba])


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    top, bottom = np.asarray(top, np.float64), np.asarray(bottom, np.float64)
    out = np.full(np.broadcast(top, bottom).shape, np.nan, dtype=np.float64)
    np.divide(top, bottom, out=out, where=bottom > 0)
    return out
