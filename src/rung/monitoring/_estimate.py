"""Model performance estimated without labels: CBPE and DLE, chunk by chunk.

Labels often arrive weeks after the predictions, or never. Until then, the
performance of a classifier can be estimated from its predicted
probabilities (CBPE), and that of a regressor from a model of its error
learnt on labelled reference data (DLE), as NannyML does. Both fit on a
labelled reference window (e.g. the validation set), split the analysis rows
into chunks and give, per chunk and metric, the estimate, its sampling
error, a confidence band and an alert flag against reference thresholds.

Example:
    >>> result = estimate_classification_performance(
    ...     validation, last_week, chunk_size=5000)  # doctest: +SKIP
    >>> result.values("accuracy")  # doctest: +SKIP
    [0.912, 0.907, 0.861]
    >>> result.alerts  # doctest: +SKIP
    ((2, 'accuracy'),)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rung.monitoring._cbpe import CLASSIFICATION_METRICS, CbpeEstimator, fit_cbpe
from rung.monitoring._chunking import MIN_CHUNK_ROWS
from rung.monitoring._dle import REGRESSION_METRICS, DleEstimator, fit_dle
from rung.monitoring._estimate_result import (
    ChunkEstimate,
    MetricEstimate,
    PerformanceEstimate,
)

__all__ = [
    "CLASSIFICATION_METRICS",
    "MIN_CHUNK_ROWS",
    "REGRESSION_METRICS",
    "CbpeEstimator",
    "ChunkEstimate",
    "DleEstimator",
    "MetricEstimate",
    "PerformanceEstimate",
    "estimate_classification_performance",
    "estimate_regression_performance",
    "fit_cbpe",
    "fit_dle",
]


def estimate_classification_performance(
    reference: Any,
    analysis: Any,
    *,
    metrics: str | Sequence[str] | None = None,
    chunk_size: int | None = None,
    chunk_number: int | None = None,
    label: str = "label",
    prediction: str = "prediction",
    proba: str | Mapping[Any, str] | None = None,
    positive: Any = None,
    min_chunk_rows: int = MIN_CHUNK_ROWS,
) -> PerformanceEstimate:
    """Estimate a classifier's accuracy, precision, recall, F1, ROC AUC (CBPE).

    Fits :func:`fit_cbpe` on ``reference`` and estimates ``analysis``; to
    estimate many windows against one reference, fit once and call
    ``.estimate`` on each.

    Args:
        reference: labelled rows: ``label``, ``prediction`` and
            ``proba_<class>`` columns (DataFrame, Arrow table, dict of arrays).
        analysis: unlabelled rows with the same prediction and probability
            columns.
        metrics: among :data:`CLASSIFICATION_METRICS` (default: all).
        chunk_size / chunk_number: rows per chunk, or chunks per data set
            (default: 10 chunks).
        label / prediction / proba / positive: see :func:`fit_cbpe`.
        min_chunk_rows: the fewest rows a chunk may hold.

    Returns:
        The estimates per chunk of ``analysis``.

    Raises:
        EstimationError: no probabilities, a reference without labels or
            with one class, missing values, too few rows per chunk.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> def rows(n, shift):
        ...     p = rng.beta(2 + shift, 2, n)
        ...     return {"label": (rng.random(n) < p).astype(int),
        ...             "prediction": (p >= 0.5).astype(int), "proba_1": p}
        >>> result = estimate_classification_performance(
        ...     rows(20_000, 0), rows(10_000, 3), chunk_size=5_000, metrics="accuracy")
        >>> [round(v, 2) for v in result.values("accuracy")]
        [0.73, 0.74]
    """
    estimator = fit_cbpe(
        reference,
        metrics=metrics,
        label=label,
        prediction=prediction,
        proba=proba,
        positive=positive,
        chunk_size=chunk_size,
        chunk_number=chunk_number,
        min_chunk_rows=min_chunk_rows,
    )
    return estimator.estimate(analysis)


def estimate_regression_performance(
    reference: Any,
    analysis: Any,
    *,
    features: Sequence[str] | None = None,
    metrics: str | Sequence[str] | None = None,
    chunk_size: int | None = None,
    chunk_number: int | None = None,
    label: str = "label",
    prediction: str = "prediction",
    min_chunk_rows: int = MIN_CHUNK_ROWS,
    error_model: Mapping[str, Any] | None = None,
) -> PerformanceEstimate:
    """Estimate a regressor's MAE and RMSE without labels (DLE).

    Fits :func:`fit_dle` on ``reference`` and estimates ``analysis``.

    Args:
        reference: labelled rows with the features, ``label`` and
            ``prediction``.
        analysis: unlabelled rows with the same features and ``prediction``.
        features: the feature columns (default: all but label, prediction).
        metrics: among :data:`REGRESSION_METRICS` (default: both).
        chunk_size / chunk_number: rows per chunk, or chunks per data set.
        label / prediction: the label and prediction columns.
        min_chunk_rows: the fewest rows a chunk may hold.
        error_model: options for the ``HistGradientBoostingRegressor``.

    Returns:
        The estimates per chunk of ``analysis``.

    Raises:
        EstimationError: a reference without labels, missing values in the
            label or prediction, missing features, too few rows per chunk.

    Example:
        >>> result = estimate_regression_performance(
        ...     reference_df, this_week_df, chunk_size=1000)  # doctest: +SKIP
        >>> result.values("mae")  # doctest: +SKIP
        [3.1, 3.4, 5.2]
    """
    estimator = fit_dle(
        reference,
        features=features,
        metrics=metrics,
        label=label,
        prediction=prediction,
        chunk_size=chunk_size,
        chunk_number=chunk_number,
        min_chunk_rows=min_chunk_rows,
        error_model=error_model,
    )
    return estimator.estimate(analysis)
