"""DLE: regression performance estimated by a model of the model's error.

Direct loss estimation (NannyML's DLE): on a labelled reference, a gradient
boosting model learns the absolute error |y - prediction| (and another the
squared error) from the features and the prediction. On unlabelled data it
predicts each row's expected error; their chunk mean is the estimated MAE,
the square root of the squared-error mean the estimated RMSE. NannyML uses
LightGBM with its default settings; Rung uses scikit-learn's
``HistGradientBoostingRegressor`` with the same shape (100 trees of up to 31
leaves, learning rate 0.1, at least 20 rows per leaf, no early stopping).
Missing feature values are allowed (the trees route them); text features
are one categorical code per value seen in the reference (the 250 most
common; others count as missing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rung.errors import EstimationError
from rung.monitoring._chunking import MIN_CHUNK_ROWS, ChunkPlan, Chunks, thresholds
from rung.monitoring._estimate_inputs import (
    choose_metrics,
    column,
    numeric_column,
    read_table,
)
from rung.monitoring._estimate_result import PerformanceEstimate, assemble

if TYPE_CHECKING:
    from rung.monitoring._columns import Columns

__all__ = ["DEFAULT_ERROR_MODEL", "REGRESSION_METRICS", "DleEstimator", "fit_dle"]

REGRESSION_METRICS = ("mae", "rmse")
DEFAULT_ERROR_MODEL: Mapping[str, Any] = {
    "max_iter": 100,
    "learning_rate": 0.1,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 20,
    "early_stopping": False,
    "random_state": 0,
}
_LOG_COLUMNS = frozenset({"prediction_id", "timestamp", "model", "version"})
_MAX_CATEGORIES = 250
_ERROR_RANGE = (0.0, None)


@dataclass(frozen=True, slots=True)
class _Encoding:
    """How feature columns become the error model's input matrix."""

    features: tuple[str, ...]
    categories: Mapping[str, tuple[Any, ...]]

    def matrix(self, columns: Columns, prediction: np.ndarray, what: str) -> np.ndarray:
        import pandas as pd

        out = np.empty((prediction.size, len(self.features) + 1), dtype=np.float64)
        for j, name in enumerate(self.features):
            values = column(columns, name, what, _FEATURES_WHY)
            known = self.categories.get(name)
            if known is not None:
                codes = pd.Index(known).get_indexer(values)  # -1: unseen
                out[:, j] = np.where(codes < 0, np.nan, codes)
            elif values.dtype.kind == "f":
                out[:, j] = np.where(np.isfinite(values), values, np.nan)
            else:
                raise EstimationError(
                    f"Feature {name!r} was numeric in the reference but holds text "
                    f"in the {what} (e.g. {values[0]!r}); give the same types."
                )
        out[:, -1] = prediction
        return out


_FEATURES_WHY = (
    "DLE predicts the error of each row from the same features as in the "
    "reference. Give every feature, or choose them with features=."
)


@dataclass(frozen=True, slots=True)
class DleEstimator:
    """DLE fitted on a labelled reference; :meth:`estimate` scores new data.

    Made by :func:`fit_dle`: holds the error models, the feature encoding and
    the reference thresholds.
    """

    metrics: tuple[str, ...]
    prediction: str
    plan: ChunkPlan
    encoding: _Encoding
    models: Mapping[str, Any]
    components: Mapping[str, tuple[float, ...]]
    bands: Mapping[str, tuple[float | None, float | None]]
    reference_rows: int
    reference_chunks: int
    notes: tuple[str, ...] = ()

    @property
    def features(self) -> tuple[str, ...]:
        """The feature columns the error models read (plus the prediction)."""
        return self.encoding.features

    def estimate(self, analysis: Any) -> PerformanceEstimate:
        """Estimate MAE / RMSE on every chunk of unlabelled ``analysis`` rows.

        Raises:
            EstimationError: a feature or the prediction is missing, the
                prediction has missing values, or too few rows for a chunk.
        """
        columns, rows = read_table(analysis, "analysis data")
        chunks = self.plan.split(rows, "analysis data")
        prediction = numeric_column(
            columns,
            self.prediction,
            "analysis data",
            "DLE estimates the error of "
            "each prediction; name the column with prediction=.",
        )
        matrix = self.encoding.matrix(columns, prediction, "analysis data")
        values = {
            metric: _chunk_figure(
                metric, np.maximum(self.models[metric].predict(matrix), 0.0), chunks
            )
            for metric in self.metrics
        }
        return PerformanceEstimate(
            method="dle",
            task="regression",
            metrics=self.metrics,
            chunks=assemble(
                chunks,
                values=values,
                errors=_sampling_errors(self.components, chunks.sizes),
                bands=self.bands,
                limits=dict.fromkeys(self.metrics, _ERROR_RANGE),
                reasons=dict.fromkeys(self.metrics, ""),
            ),
            reference_rows=self.reference_rows,
            reference_chunks=self.reference_chunks,
            chunking=self.plan.describe(),
            notes=self.notes,
        )


def fit_dle(
    reference: Any,
    *,
    features: Sequence[str] | None = None,
    metrics: str | Sequence[str] | None = None,
    label: str = "label",
    prediction: str = "prediction",
    chunk_size: int | None = None,
    chunk_number: int | None = None,
    min_chunk_rows: int = MIN_CHUNK_ROWS,
    error_model: Mapping[str, Any] | None = None,
) -> DleEstimator:
    """Fit DLE on labelled reference rows of a regression model.

    Args:
        reference: rows with the features, the label and the prediction.
        features: the feature columns (default: every column but the label,
            the prediction, ``proba_*`` and the prediction log's
            ``prediction_id``, ``timestamp``, ``model``, ``version``).
        metrics: ``mae``, ``rmse`` (default: both).
        label / prediction: the label and prediction columns.
        chunk_size / chunk_number: rows per chunk, or chunks per data set
            (default: 10 chunks).
        min_chunk_rows: the fewest rows a chunk may hold.
        error_model: ``HistGradientBoostingRegressor`` options overriding
            :data:`DEFAULT_ERROR_MODEL`.

    Returns:
        The fitted estimator; call ``.estimate(analysis)``.

    Raises:
        EstimationError: no labels in the reference, missing values in the
            label or prediction, unknown features, too few rows per chunk.

    Example:
        >>> dle = fit_dle(validation, chunk_size=2000)  # doctest: +SKIP
        >>> dle.estimate(last_week).values("mae")  # doctest: +SKIP
        [1210.4, 1198.7, 1402.3]
    """
    chosen = choose_metrics(metrics, REGRESSION_METRICS)
    plan = ChunkPlan.parse(chunk_size, chunk_number, min_chunk_rows)
    columns, rows = read_table(reference, "reference")
    chunks = plan.split(rows, "reference")
    truth = numeric_column(
        columns,
        label,
        "reference",
        "DLE learns the model's error from labelled reference rows. Give the "
        "label column with label=, or a labelled reference.",
    )
    predicted = numeric_column(
        columns,
        prediction,
        "reference",
        "DLE learns the error of each prediction; name the column with prediction=.",
    )
    encoding = _encoding(columns, features, {label, prediction})
    losses = {"mae": np.abs(truth - predicted), "rmse": (truth - predicted) ** 2}
    models = _fit_error_models(
        encoding.matrix(columns, predicted, "reference"),
        {m: losses[m] for m in chosen},
        encoding,
        error_model,
    )
    bands = {
        m: thresholds(
            _chunk_figure(m, losses[m], chunks), lower_limit=0.0, upper_limit=None
        )
        for m in chosen
    }
    components = {
        "mae": (float(np.std(losses["mae"])),),
        "rmse": (float(np.std(losses["rmse"])), float(np.mean(losses["rmse"]))),
    }
    return DleEstimator(
        metrics=chosen,
        prediction=prediction,
        plan=plan,
        encoding=encoding,
        models=models,
        components={m: components[m] for m in chosen},
        bands=bands,
        reference_rows=rows,
        reference_chunks=len(chunks),
        notes=_threshold_notes(len(chunks), plan),
    )


def _fit_error_models(
    matrix: np.ndarray,
    losses: Mapping[str, np.ndarray],
    encoding: _Encoding,
    error_model: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """One gradient-boosting model of each loss, from features + prediction."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    options = {**DEFAULT_ERROR_MODEL, **dict(error_model or {})}
    mask = [name in encoding.categories for name in encoding.features] + [False]
    try:
        return {
            metric: HistGradientBoostingRegressor(
                categorical_features=mask if any(mask) else None, **options
            ).fit(matrix, loss)
            for metric, loss in losses.items()
        }
    except (TypeError, ValueError) as exc:
        raise EstimationError(
            f"Cannot fit DLE's error model (HistGradientBoostingRegressor with "
            f"{options}): {exc}. error_model= takes that class's options."
        ) from exc


def _threshold_notes(chunks: int, plan: ChunkPlan) -> tuple[str, ...]:
    if chunks > 1:
        return ()
    return (
        f"No alert thresholds: the reference gives 1 chunk ({plan.describe()}); "
        "thresholds need at least 2. Give a longer reference or smaller chunks.",
    )


def _encoding(
    columns: Columns, features: Sequence[str] | None, outputs: set[str]
) -> _Encoding:
    import pandas as pd

    if features is None:
        names = tuple(
            c
            for c in columns
            if c not in outputs and c not in _LOG_COLUMNS and not c.startswith("proba_")
        )
    else:
        names = tuple(features)
        for name in names:
            column(columns, name, "reference", _FEATURES_WHY)
    clash = outputs & set(names)
    if clash:
        raise EstimationError(
            f"features include {sorted(clash)}, the label or prediction column; "
            "the error model must not see the label."
        )
    categories = {}
    for name in names:
        values = columns[name]
        if values.dtype.kind != "f":
            counts = pd.Series(values).value_counts(dropna=True)
            categories[name] = tuple(counts.index[:_MAX_CATEGORIES].tolist())
    return _Encoding(names, categories)


def _chunk_figure(metric: str, losses: np.ndarray, chunks: Chunks) -> np.ndarray:
    means: np.ndarray = np.add.reduceat(losses, chunks.starts) / chunks.sizes
    return np.sqrt(means) if metric == "rmse" else means


def _sampling_errors(
    components: Mapping[str, tuple[float, ...]], rows: np.ndarray
) -> dict[str, np.ndarray]:
    """NannyML's: std(|e|) / sqrt(n); sqrt(var(e^2) / (4 n mean(e^2)))."""
    out = {}
    for metric, parts in components.items():
        if metric == "mae":
            out[metric] = parts[0] / np.sqrt(rows)
        else:
            std, mean = parts
            with np.errstate(divide="ignore", invalid="ignore"):
                out[metric] = np.sqrt(std**2 / (4.0 * rows * mean))
    return out
