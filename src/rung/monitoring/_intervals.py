"""Confidence intervals of metrics computed on a labelled sample.

Labels often cover a sample only (a few hundred rows labelled by hand), so a
metric computed on them is uncertain. The level is 95 %, and each metric
gets the usual interval, computed in time linear (or n log n) in the rows:

- proportions (accuracy; binary precision and recall): the Wilson score
  interval (``scipy.stats.binomtest(...).proportion_ci(method="wilson")``);
- means of per-row values (MAE, log loss; RMSE as the square root of the
  mean squared error's interval): Student's t (``scipy.stats.t.interval``);
- F1, which depends on the confusion matrix only: a percentile bootstrap of
  the matrix (each resample a multinomial draw of its cells, the same
  distribution as resampling the rows; NumPy, seeded);
- binary ROC AUC: DeLong's interval, from the placement values;
- R²: a percentile bootstrap of the rows (``scipy.stats.bootstrap``,
  seeded), up to 100,000 rows.

Seeds are fixed, so a report does not change between runs.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np

__all__ = [
    "LEVEL",
    "bootstrap_interval",
    "counts_interval",
    "delong_interval",
    "mean_interval",
    "wilson_interval",
]

LEVEL = 0.95
ROW_BOOTSTRAP_ROWS = 100_000
_RESAMPLES = 1000
_MIN_RESAMPLES = 100
_WORK = 20_000_000  # rows x resamples per metric: about a second of NumPy
_BATCH_CELLS = 2_000_000  # index cells per vectorised call (16 MB)

Interval = tuple[float, float]


def wilson_interval(successes: int, trials: int) -> Interval | None:
    """The 95 % Wilson interval of ``successes / trials`` (None: no trials).

    Example:
        >>> [round(x, 3) for x in wilson_interval(45, 50)]
        [0.786, 0.957]
    """
    from scipy import stats

    if trials <= 0:
        return None
    found = stats.binomtest(int(successes), int(trials)).proportion_ci(
        confidence_level=LEVEL, method="wilson"
    )
    return float(found.low), float(found.high)


def mean_interval(values: np.ndarray) -> Interval | None:
    """The 95 % Student t interval of the mean of ``values`` (None: < 2 rows)."""
    from scipy import stats

    if values.size < 2:
        return None
    mean = float(np.mean(values))
    spread = float(stats.sem(values))
    if spread == 0.0:
        return mean, mean
    low, high = stats.t.interval(LEVEL, values.size - 1, loc=mean, scale=spread)
    return float(low), float(high)


def counts_interval(
    counts: np.ndarray,
    statistic: Callable[[np.ndarray], np.ndarray],
    *,
    seed: int = 0,
) -> Interval | None:
    """A 95 % percentile bootstrap of a statistic of category counts.

    Args:
        counts: how many rows fall in each cell (e.g. of a confusion matrix).
        statistic: takes resampled counts ``(resamples, cells)`` and returns
            the statistic of each resample (NaN where undefined).
        seed: the resampling seed.

    Returns:
        ``(low, high)``, or None with fewer than 2 rows or a statistic that
        is undefined on some resamples.
    """
    total = int(counts.sum())
    if total < 2:
        return None
    rng = np.random.default_rng(seed)
    drawn = rng.multinomial(total, counts / total, size=_RESAMPLES)
    values = statistic(drawn.astype(np.float64))
    if not np.all(np.isfinite(values)):
        return None
    tail = (1.0 - LEVEL) / 2.0
    low, high = np.quantile(values, [tail, 1.0 - tail])
    return float(low), float(high)


def delong_interval(positive: np.ndarray, scores: np.ndarray) -> Interval | None:
    """DeLong's 95 % interval of a binary ROC AUC (None: one class only).

    The AUC's variance comes from the placement values: for each positive,
    the share of negatives scored below it (ties count half), and for each
    negative the share of positives scored above it.
    """
    from scipy import stats

    ones, zeros = int(positive.sum()), int((~positive).sum())
    if ones < 2 or zeros < 2:
        return None
    ranks = stats.rankdata(scores)
    own_pos = stats.rankdata(scores[positive])
    own_neg = stats.rankdata(scores[~positive])
    above = (ranks[positive] - own_pos) / zeros  # placements of positives
    below = 1.0 - (ranks[~positive] - own_neg) / ones  # placements of negatives
    auc = float(above.mean())
    variance = float(above.var(ddof=1) / ones + below.var(ddof=1) / zeros)
    half = float(stats.norm.ppf(0.5 + LEVEL / 2.0)) * variance**0.5
    return max(0.0, auc - half), min(1.0, auc + half)


def bootstrap_interval(
    statistic: Callable[[np.ndarray], np.ndarray], rows: int, *, seed: int = 0
) -> Interval | None:
    """A 95 % percentile bootstrap interval of a statistic of ``rows`` rows.

    Args:
        statistic: takes row indexes of shape ``(..., rows)`` (one resample
            per leading position) and returns the statistic of each resample,
            shape ``(...)``; NaN where it is undefined on a resample.
        rows: how many rows the sample has.
        seed: the resampling seed.

    Returns:
        ``(low, high)``, or None with fewer than 2 rows, more than
        :data:`ROW_BOOTSTRAP_ROWS` rows (too slow to resample), or when the
        statistic is undefined on some resamples (then no honest interval
        exists).
    """
    from scipy import stats

    if rows < 2 or rows > ROW_BOOTSTRAP_ROWS:
        return None
    resamples = max(_MIN_RESAMPLES, min(_RESAMPLES, _WORK // rows))

    def vectorised(indexes: np.ndarray, axis: int = -1) -> np.ndarray:
        return statistic(np.moveaxis(indexes, axis, -1))

    with warnings.catch_warnings():
        # A resample where the statistic is undefined gives NaN (checked below).
        warnings.simplefilter("ignore")
        found = stats.bootstrap(
            (np.arange(rows),),
            vectorised,
            vectorized=True,
            n_resamples=resamples,
            batch=max(1, _BATCH_CELLS // rows),
            confidence_level=LEVEL,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
    low, high = found.confidence_interval
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    return float(low), float(high)
