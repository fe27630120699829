"""CBPE: classification performance estimated from predicted probabilities.

Confidence-based performance estimation (NannyML's CBPE): if a model's
probabilities are calibrated, a row predicted positive with probability 0.8
is a true positive 80 % of the time, so the expected confusion matrix of a
chunk, and every metric built on it, follows from the probabilities alone.
The estimator is fitted on a labelled reference (recalibrating the
probabilities with isotonic regression when that makes them more accurate,
see :mod:`rung.monitoring._calibration`) and then estimates chunks of
unlabelled analysis data. It assumes the relation between features and
labels has not changed (covariate shift only), as CBPE does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from rung.monitoring import _cbpe_stats as stats
from rung.monitoring._calibration import Isotonic, fit_isotonic, needs_calibration
from rung.monitoring._cbpe_inputs import (
    Labelled,
    predicted_classes,
    probability_scores,
    read_labelled,
)
from rung.monitoring._chunking import MIN_CHUNK_ROWS, ChunkPlan, Chunks, thresholds
from rung.monitoring._estimate_inputs import Classes, choose_metrics, read_table
from rung.monitoring._estimate_result import PerformanceEstimate, assemble

if TYPE_CHECKING:
    from rung.monitoring._columns import Columns

__all__ = ["CLASSIFICATION_METRICS", "CbpeEstimator", "fit_cbpe"]

CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")
_UNIT_RANGE = (0.0, 1.0)
_REASONS = {
    "accuracy": "",
    "precision": "no row of the chunk is predicted positive: precision is undefined",
    "recall": "every calibrated probability of the chunk is 0: recall is undefined",
    "f1": "no positive is predicted or expected in the chunk: F1 is undefined",
    "roc_auc": "the calibrated probabilities of the chunk (of a class) are all 0 "
    "or all 1: ROC AUC is undefined",
}


@dataclass(frozen=True, slots=True)
class CbpeEstimator:
    """CBPE fitted on a labelled reference; :meth:`estimate` scores new data.

    Made by :func:`fit_cbpe`. Attributes describe what was learnt: the
    classes (for binary tasks the positive class last), the probability
    columns, which classes were recalibrated, the reference thresholds.
    """

    task: str
    classes: tuple[str, ...]
    columns: tuple[str, ...]
    metrics: tuple[str, ...]
    prediction: str | None
    plan: ChunkPlan
    calibrators: tuple[Isotonic | None, ...]
    components: Mapping[str, tuple[float, ...]]
    bands: Mapping[str, tuple[float | None, float | None]]
    reference_rows: int
    reference_chunks: int
    complement: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def calibrated(self) -> dict[str, bool]:
        """Class -> whether its probabilities are recalibrated."""
        named = self.classes[-1:] if self.task == "binary" else self.classes
        return {c: m is not None for c, m in zip(named, self.calibrators, strict=True)}

    def estimate(self, analysis: Any) -> PerformanceEstimate:
        """Estimate every metric on every chunk of unlabelled ``analysis`` rows.

        Args:
            analysis: a DataFrame, Arrow table or dict of arrays with the
                probability columns (and the prediction column for accuracy,
                precision, recall and F1); labels are not needed.

        Raises:
            EstimationError: a column is missing or has missing values, or
                there are too few rows for one chunk.
        """
        columns, rows = read_table(analysis, "analysis data")
        chunks = self.plan.split(rows, "analysis data")
        scores = probability_scores(
            columns, self.columns, self.complement, "analysis data"
        )
        predicted = self._predicted(columns)
        if self.task == "binary":
            model = self.calibrators[0]
            values = stats.binary_estimates(
                (lambda s: s) if model is None else model.predict,
                scores,
                None if predicted is None else predicted == 1,
                chunks,
                self.metrics,
            )
        else:
            calibrated = _normalise(
                np.column_stack(
                    [
                        _calibrate(m, scores[:, c])
                        for c, m in enumerate(self.calibrators)
                    ]
                )
            )
            values = stats.multiclass_estimates(
                calibrated, scores, predicted, chunks, self.metrics
            )
        count = 1 if self.task == "binary" else len(self.classes)
        errors = stats.sampling_errors(
            dict(self.components), chunks.sizes, classes=count
        )
        return PerformanceEstimate(
            method="cbpe",
            task=self.task,
            metrics=self.metrics,
            chunks=assemble(
                chunks,
                values=values,
                errors=errors,
                bands=self.bands,
                limits=dict.fromkeys(self.metrics, _UNIT_RANGE),
                reasons={m: _REASONS[m] for m in self.metrics},
            ),
            reference_rows=self.reference_rows,
            reference_chunks=self.reference_chunks,
            chunking=self.plan.describe(),
            calibrated=self.calibrated,
            notes=self.notes,
        )

    def _predicted(self, columns: Columns) -> np.ndarray | None:
        if self.prediction is None:
            return None
        return predicted_classes(
            columns,
            self.prediction,
            Classes(self.classes),
            self.metrics,
            "analysis data",
        )


def fit_cbpe(
    reference: Any,
    *,
    metrics: str | Sequence[str] | None = None,
    label: str = "label",
    prediction: str = "prediction",
    proba: str | Mapping[Any, str] | None = None,
    positive: Any = None,
    chunk_size: int | None = None,
    chunk_number: int | None = None,
    min_chunk_rows: int = MIN_CHUNK_ROWS,
) -> CbpeEstimator:
    """Fit CBPE on labelled reference rows (e.g. the validation set).

    Args:
        reference: rows with the label, the predicted label and the
            predicted probabilities (a DataFrame, Arrow table or dict of arrays).
        metrics: among ``accuracy``, ``precision``, ``recall``, ``f1``,
            ``roc_auc`` (default: all). Multiclass figures are macro averages.
        label / prediction: the label and predicted-label columns.
        proba: the probability columns: default ``proba_<class>``; for a
            binary task one column name (the positive class's probability);
            else a mapping class -> column.
        positive: the positive class of a binary task (default: the larger).
        chunk_size / chunk_number: rows per chunk, or chunks per data set
            (default: 10 chunks); thresholds come from reference chunks cut
            the same way.
        min_chunk_rows: the fewest rows a chunk may hold.

    Returns:
        The fitted estimator; call ``.estimate(analysis)``.

    Raises:
        EstimationError: no probabilities, no labels or one class in the
            reference, missing values, too few rows per chunk, bad options.

    Example:
        >>> cbpe = fit_cbpe(validation, chunk_size=5000)  # doctest: +SKIP
        >>> cbpe.estimate(last_week).values("accuracy")  # doctest: +SKIP
        [0.912, 0.907, 0.861]
    """
    chosen = choose_metrics(metrics, CLASSIFICATION_METRICS)
    plan = ChunkPlan.parse(chunk_size, chunk_number, min_chunk_rows)
    columns, rows = read_table(reference, "reference")
    chunks = plan.split(rows, "reference")
    data = read_labelled(
        columns,
        label=label,
        prediction=prediction,
        proba=proba,
        positive=positive,
        metrics=chosen,
    )
    binary = len(data.classes.names) == 2
    calibrators, realized, components = (_fit_binary if binary else _fit_multiclass)(
        data, chunks, chosen
    )
    bands = {
        m: thresholds(realized[m], lower_limit=0.0, upper_limit=1.0) for m in chosen
    }
    return CbpeEstimator(
        task="binary" if binary else "multiclass",
        classes=data.classes.names,
        columns=data.columns,
        metrics=chosen,
        prediction=prediction if data.predicted is not None else None,
        plan=plan,
        calibrators=calibrators,
        components={m: components[m] for m in chosen},
        bands=bands,
        reference_rows=rows,
        reference_chunks=len(chunks),
        complement=data.complement,
        notes=_threshold_notes(bands, len(chunks), plan),
    )


_Fitted = tuple[tuple[Isotonic | None, ...], dict[str, np.ndarray], stats.Components]


def _fit_binary(data: Labelled, chunks: Chunks, metrics: tuple[str, ...]) -> _Fitted:
    hits, scores, order = (
        data.codes.astype(np.float64),
        data.scores,
        np.argsort(data.scores),
    )
    positive = None if data.predicted is None else data.predicted == 1
    return (
        (_calibrator(hits, scores, order),),
        stats.binary_realized(hits, scores, positive, chunks, metrics),
        stats.binary_components(hits, scores, positive, order),
    )


def _fit_multiclass(
    data: Labelled, chunks: Chunks, metrics: tuple[str, ...]
) -> _Fitted:
    codes, scores, predicted = data.codes, data.scores, data.predicted
    orders = np.argsort(scores, axis=0)
    calibrators = tuple(
        _calibrator((codes == c).astype(np.float64), scores[:, c], orders[:, c])
        for c in range(scores.shape[1])
    )
    return (
        calibrators,
        stats.multiclass_realized(codes, scores, predicted, chunks, metrics),
        stats.multiclass_components(codes, scores, predicted, orders),
    )


def _calibrator(
    hits: np.ndarray, scores: np.ndarray, order: np.ndarray
) -> Isotonic | None:
    if needs_calibration(hits, scores, order):
        return fit_isotonic(scores, hits, order)
    return None


def _calibrate(model: Isotonic | None, scores: np.ndarray) -> np.ndarray:
    return scores if model is None else model.predict(scores)


def _normalise(probs: np.ndarray) -> np.ndarray:
    """Rows rescaled to sum to 1 (uniform where every probability is 0)."""
    totals = probs.sum(axis=1, keepdims=True)
    out = np.full_like(probs, 1.0 / probs.shape[1])
    np.divide(probs, totals, out=out, where=totals > 0)
    return out


def _threshold_notes(
    bands: Mapping[str, tuple[float | None, float | None]], chunks: int, plan: ChunkPlan
) -> tuple[str, ...]:
    missing = [
        m for m, (lower, upper) in bands.items() if lower is None and upper is None
    ]
    if not missing:
        return ()
    return (
        f"No alert thresholds for {', '.join(missing)}: the metric is defined on "
        f"fewer than 2 of the {chunks} reference chunks ({plan.describe()}). Give a "
        "longer reference or smaller chunks for alerts.",
    )
