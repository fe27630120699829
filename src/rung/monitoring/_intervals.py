"""Confidence intervals of metrics computed on a labelled sample.

Labels often cover a sample only (a few hundred rows labelled by hand), so a
metric computed on them is uncertain. Proportions (accuracy, and binary
precision and recall) get the Wilson score interval
(``scipy.stats.binomtest(...).proportion_ci(method="wilson")``); every other
metric (F1, ROC AUC, log loss, MAE, RMSE, R²) a percentile bootstrap over the
labelled rows (``scipy.stats.bootstrap``, a fixed seed so a report does not
change between runs). The level is 95 %.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np

__all__ = ["LEVEL", "bootstrap_interval", "wilson_interval"]

LEVEL = 0.95
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
        ``(low, high)``, or None with fewer than 2 rows or when the statistic
        is undefined on some resamples (then no honest interval exists).
    """
    from scipy import stats

    if rows < 2:
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
