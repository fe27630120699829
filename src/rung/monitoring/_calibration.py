"""Isotonic calibration and ranking helpers for CBPE.

CBPE reads a calibrated probability as the chance that a row is positive, so
it first checks whether the reference probabilities are calibrated, with
NannyML's rule (``nannyml/calibration.py``): ten stratified 90/10 splits of
the reference (``random_state=42``); on each, isotonic regression is fitted on
the 90 % and applied to the 10 %; the pooled held-out rows are cut into ten
equal-count bins and the expected calibration error (ECE) is computed before
and after. Calibration is used when it lowers the ECE, and never when the
reference ROC AUC is above 0.999. (Above 20,000 reference rows the ten splits
are drawn by Rung rather than by scikit-learn: see ``_held_out_masks``.)

The isotonic fit is scikit-learn's (:func:`sklearn.isotonic.isotonic_regression`,
the solver behind ``IsotonicRegression``) on scores sorted once, and predicts
by linear interpolation clipped at both ends, as
``IsotonicRegression(out_of_bounds="clip")`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rung.monitoring._chunking import Chunks

__all__ = [
    "Isotonic",
    "auc_by_chunk",
    "auc_placements",
    "fit_isotonic",
    "needs_calibration",
    "ranked_auc",
    "weighted_auc",
]

_SPLITS = 10
_TEST_SHARE = 0.1
_SEED = 42
_ECE_BINS = 10
_AUC_ALREADY_PERFECT = 0.999
_EXACT_SPLITS_UP_TO = 20_000


@dataclass(frozen=True, slots=True)
class Isotonic:
    """A fitted isotonic map: increasing knots ``x`` and their values ``y``."""

    x: np.ndarray
    y: np.ndarray

    def predict(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities (clipped at the ends of the fitted range)."""
        out: np.ndarray = np.interp(scores, self.x, self.y)
        return out


def fit_isotonic(
    scores: np.ndarray, hits: np.ndarray, order: np.ndarray | None = None
) -> Isotonic:
    """Fit an increasing isotonic map from ``scores`` to ``hits`` (0/1).

    ``order`` is ``np.argsort(scores)`` when the caller has it already.
    """
    order = np.argsort(scores) if order is None else order
    return _fit_sorted(scores[order], hits[order])


def _fit_sorted(x: np.ndarray, y: np.ndarray) -> Isotonic:
    from sklearn.isotonic import isotonic_regression

    first = np.empty(x.size, dtype=bool)
    first[:1] = True
    np.not_equal(x[1:], x[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    weights = np.diff(np.append(starts, x.size)).astype(np.float64)
    means = np.add.reduceat(y, starts) / weights  # tied scores: one weighted point
    fitted = np.asarray(isotonic_regression(means, sample_weight=weights))
    keep = np.ones(fitted.size, dtype=bool)
    if fitted.size > 2:  # only the ends of each flat run shape the interpolation
        keep[1:-1] = (fitted[1:-1] != fitted[:-2]) | (fitted[1:-1] != fitted[2:])
    return Isotonic(x[starts][keep], fitted[keep])


def needs_calibration(
    hits: np.ndarray, scores: np.ndarray, order: np.ndarray | None = None
) -> bool:
    """Whether isotonic calibration lowers the held-out ECE (NannyML's rule).

    Args:
        hits: 0/1 (float) labels of the reference, both values present.
        scores: the reference probabilities of the positive class.
        order: ``np.argsort(scores)``, when the caller has it already.
    """
    order = np.argsort(scores) if order is None else order
    if weighted_auc(hits, scores, order) > _AUC_ALREADY_PERFECT:
        return False
    sorted_scores, sorted_hits = scores[order], hits[order]
    labels, raw, calibrated = [], [], []
    for held_out in _held_out_masks(hits):
        test = held_out[order]  # held-out rows, in score order
        model = _fit_sorted(sorted_scores[~test], sorted_hits[~test])
        labels.append(sorted_hits[test])
        raw.append(sorted_scores[test])
        calibrated.append(model.predict(raw[-1]))
    pooled = np.concatenate(labels)
    before = _calibration_error(pooled, np.concatenate(raw))
    after = _calibration_error(pooled, np.concatenate(calibrated))
    return bool(before > after)


def _held_out_masks(hits: np.ndarray) -> list[np.ndarray]:
    """The held-out rows of ten stratified 90/10 splits (seed 42).

    Up to :data:`_EXACT_SPLITS_UP_TO` rows these are scikit-learn's
    ``StratifiedShuffleSplit`` splits, the very ones NannyML uses, so small
    references get NannyML's verdict exactly. Beyond, the same stratified
    draw is done vectorised (same sizes and seed, other draws): scikit-learn's
    costs about 0.25 s per 100,000 rows (half of CBPE's time on a million
    predictions), and on that many rows the verdict does not hang on which
    rows are held out.
    """
    rows = hits.size
    masks = []
    if rows <= _EXACT_SPLITS_UP_TO:
        from sklearn.model_selection import StratifiedShuffleSplit

        splitter = StratifiedShuffleSplit(
            n_splits=_SPLITS, test_size=_TEST_SHARE, random_state=_SEED
        )
        for _train, test in splitter.split(np.zeros(rows), hits):
            mask = np.zeros(rows, dtype=bool)
            mask[test] = True
            masks.append(mask)
        return masks
    rng = np.random.default_rng(_SEED)
    members = [np.flatnonzero(hits == value) for value in (0.0, 1.0)]
    wanted = int(np.ceil(_TEST_SHARE * rows))
    share = [round(wanted * m.size / rows) for m in members]
    share[1] = wanted - share[0]
    for _ in range(_SPLITS):
        mask = np.zeros(rows, dtype=bool)
        for rows_of_class, count in zip(members, share, strict=True):
            mask[rng.choice(rows_of_class, size=count, replace=False)] = True
        masks.append(mask)
    return masks


def _calibration_error(hits: np.ndarray, probs: np.ndarray) -> float:
    """Expected calibration error over equal-count bins of sorted ``probs``.

    The pooled rows arrive as ten sorted runs, which a stable sort merges.
    """
    rows = probs.size
    bins = _ECE_BINS if rows > 2 * _ECE_BINS else max(rows // 2, 1)
    edges = np.arange(0, rows + 1, rows // bins)
    edges[-1] = rows
    order = np.argsort(probs, kind="stable")
    starts, sizes = edges[:-1], np.diff(edges).astype(np.float64)
    mean_prob = np.add.reduceat(probs[order], starts) / sizes
    mean_hit = np.add.reduceat(hits[order], starts) / sizes
    return float(np.sum(sizes / rows * np.abs(mean_prob - mean_hit)))


def weighted_auc(
    hits: np.ndarray, scores: np.ndarray, order: np.ndarray | None = None
) -> float:
    """ROC AUC of ``scores`` where row i counts ``hits[i]`` as positive.

    With 0/1 hits this is the ROC AUC (ties in ``scores`` share one step, as
    in scikit-learn); with calibrated probabilities as hits it is CBPE's
    estimate of it. NaN when there is no positive or no negative mass.
    ``order`` is ``np.argsort(scores)`` when the caller has it already.
    """
    order = np.argsort(scores) if order is None else order
    return ranked_auc(hits[order], scores[order])


def ranked_auc(hits: np.ndarray, scores: np.ndarray) -> float:
    """:func:`weighted_auc` of rows already sorted by ascending ``scores``."""
    ranked, weights = scores[::-1], hits[::-1]
    true_pos = np.cumsum(weights)
    false_pos = np.arange(1, weights.size + 1, dtype=np.float64) - true_pos
    last = np.empty(ranked.size, dtype=bool)
    last[-1:] = True
    np.not_equal(ranked[1:], ranked[:-1], out=last[:-1])
    tps, fps = true_pos[last], false_pos[last]
    positives, negatives = float(tps[-1]), float(fps[-1])
    if positives <= 0 or negatives <= 0:
        return float("nan")
    area = np.sum(np.diff(fps, prepend=0.0) * (tps + np.append(0.0, tps[:-1])))
    return float(area / (2.0 * positives * negatives))


def auc_by_chunk(hits: np.ndarray, scores: np.ndarray, chunks: Chunks) -> np.ndarray:
    """:func:`weighted_auc` of every chunk."""
    return np.array(
        [
            weighted_auc(hits[a:b], scores[a:b])
            for a, b in zip(chunks.starts.tolist(), chunks.stops.tolist(), strict=True)
        ],
        dtype=np.float64,
    )


def auc_placements(
    hits: np.ndarray, scores: np.ndarray, order: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Placement values of the minority class, and its share of the rows.

    For each row of the minority class: the share of the other class scored
    below it. Their spread gives the sampling error of the ROC AUC
    (NannyML's ``auroc_sampling_error_components``).
    """
    positive = hits.astype(bool)
    order = np.argsort(scores) if order is None else order
    if positive.mean() > 0.5:  # 1 - scores ranks the rows in reverse
        positive, order = ~positive, order[::-1]
    ranked = positive[order]
    negatives = np.cumsum(~ranked)
    placements = negatives[ranked] / max(int(negatives[-1]), 1)
    return placements.astype(np.float64), float(ranked.mean())
