"""CBPE's per-chunk figures: estimates, realised values and sampling errors.

Every figure is a sum over the rows of a chunk, taken for all chunks at once
with ``np.add.reduceat``; only the ROC AUC sorts, one chunk at a time.

With ``p`` the calibrated probability that a row is positive and ``hat`` the
predicted label, the expected confusion matrix of a chunk is TP = sum(p hat),
FP = sum((1 - p) hat), FN = sum(p (1 - hat)), TN = sum((1 - p)(1 - hat)), and
the metrics follow from it (NannyML's ``estimate_*`` functions). The ROC AUC
is estimated by ranking rows on the model's own scores and counting each row
as p positive and 1 - p negative. Multiclass figures are one-vs-rest macro
averages (accuracy: the mean probability of the predicted class).

Sampling errors are NannyML's: a standard deviation measured once on the
reference, scaled by 1 / sqrt(rows of the chunk x share of relevant rows).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from rung.monitoring._calibration import auc_by_chunk, auc_placements, ranked_auc

if TYPE_CHECKING:
    from rung.monitoring._chunking import Chunks

__all__ = [
    "binary_components",
    "binary_estimates",
    "binary_realized",
    "multiclass_components",
    "multiclass_estimates",
    "multiclass_realized",
    "sampling_errors",
]

Figures = dict[str, np.ndarray]
# metric -> (std, share of relevant rows[, scale]) measured on the reference.
Components = dict[str, tuple[float, ...]]


def _sums(values: np.ndarray, chunks: Chunks) -> np.ndarray:
    sums: np.ndarray = np.add.reduceat(values.astype(np.float64), chunks.starts)
    return sums


def _ratio(top: np.ndarray, bottom: np.ndarray, empty: float = np.nan) -> np.ndarray:
    out = np.full(top.shape, empty, dtype=np.float64)
    np.divide(top, bottom, out=out, where=bottom > 0)
    return out


def binary_estimates(
    calibrate: Callable[[np.ndarray], np.ndarray],
    scores: np.ndarray,
    positive: np.ndarray | None,
    chunks: Chunks,
    metrics: Sequence[str],
) -> Figures:
    """Estimated metrics per chunk; NaN where a metric is undefined.

    ``calibrate`` maps scores to calibrated probabilities. For the ROC AUC each
    chunk is sorted by score; the calibration then runs on sorted scores,
    which is many times faster than on scattered ones.
    """
    ranked = "roc_auc" in metrics
    sums = np.zeros((len(chunks), 3))  # probability mass, TP, predicted positive
    auc = np.full(len(chunks), np.nan)
    bounds = zip(chunks.starts.tolist(), chunks.stops.tolist(), strict=True)
    for i, (start, stop) in enumerate(bounds):
        chunk = scores[start:stop]
        hat = None if positive is None else positive[start:stop]
        if ranked:
            order = np.argsort(chunk)
            chunk = chunk[order]
            hat = None if hat is None else hat[order]
        p = calibrate(chunk)
        if ranked:
            auc[i] = ranked_auc(p, chunk)
        if hat is not None:
            sums[i] = p.sum(), p[hat].sum(), np.count_nonzero(hat)
    out: Figures = {"roc_auc": auc}
    if positive is not None:
        rows, (mass, tp, predicted) = chunks.sizes, sums.T
        fp, fn = predicted - tp, mass - tp
        out |= {
            "accuracy": (rows - predicted - fn + tp) / rows,
            "precision": _ratio(tp, predicted),
            "recall": _ratio(tp, mass),
            "f1": _ratio(tp, tp + 0.5 * (fp + fn)),
        }
    return {m: out[m] for m in metrics}


def binary_realized(
    hits: np.ndarray,
    scores: np.ndarray,
    positive: np.ndarray | None,
    chunks: Chunks,
    metrics: Sequence[str],
) -> Figures:
    """Metrics computed with the labels, per reference chunk (for thresholds).

    As NannyML: precision, recall and F1 are NaN in a chunk holding one class
    only (of labels or of predictions), ROC AUC in one with one label class.
    """
    out: Figures = {}
    if positive is not None:
        rows = chunks.sizes
        tp = _sums(hits.astype(bool) & positive, chunks)
        predicted, actual = _sums(positive, chunks), _sums(hits, chunks)
        one_class = (
            (actual == 0) | (actual == rows) | (predicted == 0) | (predicted == rows)
        )
        out = {
            "accuracy": (rows - predicted - actual + 2 * tp) / rows,
            "precision": np.where(one_class, np.nan, _ratio(tp, predicted)),
            "recall": np.where(one_class, np.nan, _ratio(tp, actual)),
            "f1": np.where(one_class, np.nan, _ratio(2 * tp, predicted + actual)),
        }
    if "roc_auc" in metrics:
        out["roc_auc"] = auc_by_chunk(hits, scores, chunks)
    return {m: out[m] for m in metrics}


def binary_components(
    hits: np.ndarray,
    scores: np.ndarray,
    positive: np.ndarray | None,
    order: np.ndarray | None = None,
) -> Components:
    """The reference spreads behind each metric's sampling error.

    ``order`` is ``np.argsort(scores)`` when the caller has it already.
    """
    out: Components = {}
    if positive is not None:
        actual = hits.astype(bool)
        tp = float(np.sum(actual & positive))
        fp = float(np.sum(~actual & positive))
        fn = float(np.sum(actual & ~positive))
        rows = float(hits.size)
        correct = float(np.mean(actual == positive))
        relevant = tp + fp + fn
        stretch = relevant / (0.5 * (fp + fn) + tp) if relevant else np.nan
        out = {
            "accuracy": (_bernoulli_std(correct, 1.0), 1.0),
            "precision": (_bernoulli_std(tp, tp + fp), (tp + fp) / rows),
            "recall": (_bernoulli_std(tp, tp + fn), float(actual.mean())),
            "f1": (stretch * _bernoulli_std(tp, relevant), relevant / rows),
        }
    placements, share = auc_placements(hits, scores, order)
    out["roc_auc"] = (float(np.std(placements)), share)
    return out


def _bernoulli_std(hits: float, total: float) -> float:
    """Standard deviation of ``total`` 0/1 values of which ``hits`` are 1."""
    if total <= 0:
        return float("nan")
    share = hits / total
    return float(np.sqrt(share * (1.0 - share)))


def sampling_errors(
    components: Components, rows: np.ndarray, *, classes: int = 1
) -> Figures:
    """Sampling error of every metric for chunks of ``rows`` rows.

    Binary: std / sqrt(rows x share). Multiclass (``classes`` > 1): the
    per-class variances combine as sqrt(sum var / (rows x share)) / classes,
    x 1.2 for ROC AUC (NannyML's multiclass formulas).
    """
    out: Figures = {}
    for metric, parts in components.items():
        if classes == 1 or metric == "accuracy":
            std, share = parts[0], parts[1]
            with np.errstate(divide="ignore", invalid="ignore"):
                out[metric] = std / np.sqrt(rows * share)
            continue
        variances = np.asarray(parts[0::2]), np.asarray(parts[1::2])
        with np.errstate(divide="ignore", invalid="ignore"):
            total = np.sum(variances[0][:, None] / (rows * variances[1][:, None]), 0)
        scale = 1.2 if metric == "roc_auc" else 1.0
        out[metric] = scale * np.sqrt(total) / classes
    return out


def multiclass_estimates(
    probs: np.ndarray,
    scores: np.ndarray,
    predicted: np.ndarray | None,
    chunks: Chunks,
    metrics: Sequence[str],
) -> Figures:
    """One-vs-rest macro estimates; ``probs`` are calibrated, rows sum to 1."""
    out: Figures = {}
    classes = probs.shape[1]
    if predicted is not None:
        rows = chunks.sizes
        per_class: dict[str, list[np.ndarray]] = {
            "precision": [],
            "recall": [],
            "f1": [],
        }
        for c in range(classes):
            hat = predicted == c
            tp = _sums(np.where(hat, probs[:, c], 0.0), chunks)
            fp, fn = _sums(hat, chunks) - tp, _sums(probs[:, c], chunks) - tp
            per_class["precision"].append(_ratio(tp, tp + fp, 0.0))
            per_class["recall"].append(_ratio(tp, tp + fn, 0.0))
            per_class["f1"].append(_ratio(tp, tp + 0.5 * (fp + fn), 0.0))
        chosen = np.take_along_axis(probs, predicted[:, None], axis=1)[:, 0]
        out = {m: np.mean(v, axis=0) for m, v in per_class.items()}
        out["accuracy"] = _sums(chosen, chunks) / rows
    if "roc_auc" in metrics:
        out["roc_auc"] = np.mean(
            [auc_by_chunk(probs[:, c], scores[:, c], chunks) for c in range(classes)],
            axis=0,
        )
    return {m: out[m] for m in metrics}


def multiclass_realized(
    labels: np.ndarray,
    scores: np.ndarray,
    predicted: np.ndarray | None,
    chunks: Chunks,
    metrics: Sequence[str],
) -> Figures:
    """Macro metrics with the labels per reference chunk (NaN as NannyML)."""
    out: Figures = {}
    classes = scores.shape[1]
    if predicted is not None:
        per_class: dict[str, list[np.ndarray]] = {
            "precision": [],
            "recall": [],
            "f1": [],
        }
        seen = shown = np.zeros(len(chunks))
        for c in range(classes):
            hat, actual = predicted == c, labels == c
            tp = _sums(hat & actual, chunks)
            predicted_c, actual_c = _sums(hat, chunks), _sums(actual, chunks)
            per_class["precision"].append(_ratio(tp, predicted_c, 0.0))
            per_class["recall"].append(_ratio(tp, actual_c, 0.0))
            per_class["f1"].append(_ratio(2 * tp, predicted_c + actual_c, 0.0))
            seen, shown = seen + (actual_c > 0), shown + (predicted_c > 0)
        macro = {m: np.mean(v, 0) for m, v in per_class.items()}
        macro["accuracy"] = _sums(predicted == labels, chunks) / chunks.sizes
        undefined = (seen <= 1) | (shown <= 1)  # one class only: NaN, as NannyML
        out = {m: np.where(undefined, np.nan, v) for m, v in macro.items()}
    if "roc_auc" in metrics:
        out["roc_auc"] = np.mean(
            [
                auc_by_chunk((labels == c).astype(np.float64), scores[:, c], chunks)
                for c in range(classes)
            ],
            axis=0,
        )
    return {m: out[m] for m in metrics}


def multiclass_components(
    labels: np.ndarray,
    scores: np.ndarray,
    predicted: np.ndarray | None,
    orders: np.ndarray | None = None,
) -> Components:
    """Per-class (variance, share) pairs, flattened; accuracy: (std, 1).

    ``orders`` is ``np.argsort(scores, axis=0)`` when the caller has it.
    """
    out: Components = {}
    classes = scores.shape[1]
    if predicted is not None:
        parts: dict[str, list[float]] = {"precision": [], "recall": [], "f1": []}
        for c in range(classes):
            actual, hat = labels == c, predicted == c
            tp, fp = float(np.sum(actual & hat)), float(np.sum(~actual & hat))
            fn = float(np.sum(actual & ~hat))
            parts["precision"] += [_bernoulli_std(tp, tp + fp) ** 2, float(hat.mean())]
            parts["recall"] += [_bernoulli_std(tp, tp + fn) ** 2, float(actual.mean())]
            relevant = tp + fp + fn
            parts["f1"] += [_bernoulli_std(tp, relevant) ** 2, relevant / labels.size]
        out = {m: tuple(v) for m, v in parts.items()}
        out["accuracy"] = (
            _bernoulli_std(float(np.sum(predicted == labels)), labels.size),
            1.0,
        )
    auc_parts: list[float] = []
    for c in range(classes):
        placements, share = auc_placements(
            (labels == c).astype(np.float64),
            scores[:, c],
            None if orders is None else orders[:, c],
        )
        auc_parts += [float(np.var(placements)), share]
    out["roc_auc"] = tuple(auc_parts)
    return out
