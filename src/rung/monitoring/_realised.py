"""Realised performance with the definitions of the label-free estimates.

CBPE estimates binary figures for the positive class and one-vs-rest macro
averages for more classes; DLE estimates MAE and RMSE. To compare an estimate
with what the labels later say (and with the labelled reference), the
realised metric must be the same figure: this module computes it on labelled
rows, with a 95 % confidence interval (Wilson for proportions, else a
percentile bootstrap; see ``rung.monitoring._intervals``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rung.monitoring._columns import missing_mask
from rung.monitoring._estimate_inputs import class_text
from rung.monitoring._intervals import Interval, bootstrap_interval, wilson_interval
from rung.monitoring._sample_intervals import ranked_auc_rows

if TYPE_CHECKING:
    from rung.monitoring._columns import Columns

__all__ = ["Realised", "Scheme", "realised_performance"]

_Statistic = Callable[[np.ndarray], np.ndarray]


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
    statistics = {
        "mae": lambda i: np.abs(errors[i]).mean(-1),
        "rmse": lambda i: np.sqrt((errors[i] ** 2).mean(-1)),
    }
    everything = np.arange(errors.size)
    values = {m: float(statistics[m](everything)) for m in scheme.metrics}
    spans = (
        {m: bootstrap_interval(statistics[m], errors.size) for m in scheme.metrics}
        if intervals
        else {}
    )
    return Realised(errors.size, dict(values), spans)


def _classification(
    rows: Columns, scheme: Scheme, label: str, prediction: str, intervals: bool
) -> Realised:
    names = {n: i for i, n in enumerate(scheme.classes)}
    truth = np.array([names.get(class_text(v), -1) for v in rows[label]])
    guess = np.array([names.get(class_text(v), -1) for v in rows[prediction]])
    scores = _scores(rows, scheme)
    count = truth.size
    hit = truth == guess
    values: dict[str, float | None] = {}
    spans: dict[str, Interval | None] = {}
    statistics = _statistics(truth, guess, scores, len(scheme.classes))
    for metric in scheme.metrics:
        found = float(statistics[metric](np.arange(count)))
        values[metric] = found if np.isfinite(found) else None
        if not intervals or values[metric] is None:
            spans[metric] = None
        elif metric == "accuracy":
            spans[metric] = wilson_interval(int(hit.sum()), count)
        elif len(scheme.classes) == 2 and metric in ("precision", "recall"):
            tp = int((hit & (truth == 1)).sum())
            base = guess == 1 if metric == "precision" else truth == 1
            spans[metric] = wilson_interval(tp, int(base.sum()))
        else:
            spans[metric] = bootstrap_interval(statistics[metric], count)
    return Realised(count, values, spans)


def _scores(rows: Columns, scheme: Scheme) -> np.ndarray | None:
    """The probabilities of every class (None: not logged for every row)."""
    if any(c not in rows or missing_mask(rows[c]).any() for c in scheme.proba):
        return None
    if len(scheme.classes) == 2:
        column = rows[scheme.proba[0]].astype(np.float64)
        positive = 1.0 - column if scheme.complement else column
        return np.column_stack([1.0 - positive, positive])
    return np.column_stack([rows[c].astype(np.float64) for c in scheme.proba])


def _statistics(
    truth: np.ndarray, guess: np.ndarray, scores: np.ndarray | None, classes: int
) -> dict[str, _Statistic]:
    """metric -> statistic of row indexes ``(..., n)`` (see bootstrap_interval)."""
    targets = range(1, 2) if classes == 2 else range(classes)

    def averaged(kind: str) -> _Statistic:
        def statistic(i: np.ndarray) -> np.ndarray:
            parts = []
            for c in targets:
                actual, said = truth[i] == c, guess[i] == c
                tp = (actual & said).sum(-1)
                if kind == "precision":
                    parts.append(_ratio(tp, said.sum(-1)))
                elif kind == "recall":
                    parts.append(_ratio(tp, actual.sum(-1)))
                else:
                    parts.append(_ratio(2 * tp, said.sum(-1) + actual.sum(-1)))
            mean: np.ndarray = np.mean(parts, axis=0)
            return mean

        return statistic

    def auc(i: np.ndarray) -> np.ndarray:
        if scores is None:  # no probabilities logged: no ROC AUC
            return np.full(i.shape[:-1], np.nan)
        parts = [ranked_auc_rows(truth[i] == c, scores[:, c][i]) for c in targets]
        mean: np.ndarray = np.mean(parts, axis=0)
        return mean

    return {
        "accuracy": lambda i: (truth[i] == guess[i]).mean(-1),
        "precision": averaged("precision"),
        "recall": averaged("recall"),
        "f1": averaged("f1"),
        "roc_auc": auc,
    }


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    top, bottom = np.asarray(top, np.float64), np.asarray(bottom, np.float64)
    out = np.full(np.broadcast(top, bottom).shape, np.nan, dtype=np.float64)
    np.divide(top, bottom, out=out, where=bottom > 0)
    return out
