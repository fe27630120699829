"""What a label-free performance estimate returns: one row per chunk.

Each chunk of the analysis data gets, per metric, the estimate, its sampling
error, a confidence band (estimate +- 3 sampling errors, within the metric's
range) and the reference thresholds with an alert flag, as NannyML reports
them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from rung.monitoring._chunking import Chunks

__all__ = ["ChunkEstimate", "MetricEstimate", "PerformanceEstimate", "assemble"]

CONFIDENCE_ERRORS = 3.0  # NannyML's SAMPLING_ERROR_RANGE


@dataclass(frozen=True, slots=True)
class MetricEstimate:
    """One metric on one chunk.

    Attributes:
        value: the estimate; None when the metric is undefined on the chunk
            (``reason`` says why).
        sampling_error: the standard error expected from the chunk's size.
        lower_confidence / upper_confidence: value -+ 3 sampling errors,
            within the metric's range.
        lower_threshold / upper_threshold: the reference band (mean +- 3
            std of the metric on labelled reference chunks); None: no bound.
        alert: the value is outside the thresholds.
        reason: why ``value`` is None.
    """

    value: float | None
    sampling_error: float | None
    lower_confidence: float | None
    upper_confidence: float | None
    lower_threshold: float | None
    upper_threshold: float | None
    alert: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ChunkEstimate:
    """The estimates of one chunk of analysis rows ``[start, stop)``."""

    index: int
    start: int
    stop: int
    metrics: Mapping[str, MetricEstimate]

    @property
    def rows(self) -> int:
        """Rows in the chunk."""
        return self.stop - self.start


@dataclass(frozen=True, slots=True)
class PerformanceEstimate:
    """Performance estimated without labels, chunk by chunk.

    Attributes:
        method: ``cbpe`` (classification) or ``dle`` (regression).
        task: ``binary``, ``multiclass`` or ``regression``.
        metrics: the metrics estimated, in order.
        chunks: one entry per chunk of the analysis data.
        reference_rows: labelled reference rows the estimator was fitted on.
        reference_chunks: reference chunks the thresholds come from.
        chunking: ``chunk_size=N`` or ``chunk_number=N``.
        calibrated: class -> whether its probabilities were recalibrated
            (CBPE; empty for DLE).
        notes: facts worth knowing (e.g. a metric without thresholds).
    """

    method: str
    task: str
    metrics: tuple[str, ...]
    chunks: tuple[ChunkEstimate, ...]
    reference_rows: int
    reference_chunks: int
    chunking: str
    calibrated: Mapping[str, bool] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def alerts(self) -> tuple[tuple[int, str], ...]:
        """(chunk index, metric) of every estimate outside its thresholds."""
        return tuple(
            (chunk.index, metric)
            for chunk in self.chunks
            for metric, estimate in chunk.metrics.items()
            if estimate.alert
        )

    def values(self, metric: str) -> list[float | None]:
        """The estimates of ``metric``, one per chunk."""
        return [chunk.metrics[metric].value for chunk in self.chunks]

    def to_rows(self) -> list[dict[str, Any]]:
        """One flat dict per chunk and metric (for a DataFrame or a table)."""
        return [
            {
                "chunk": chunk.index,
                "start": chunk.start,
                "stop": chunk.stop,
                "metric": metric,
                **asdict(estimate),
            }
            for chunk in self.chunks
            for metric, estimate in chunk.metrics.items()
        ]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return asdict(self)


def assemble(
    chunks: Chunks,
    *,
    values: Mapping[str, np.ndarray],
    errors: Mapping[str, np.ndarray],
    bands: Mapping[str, tuple[float | None, float | None]],
    limits: Mapping[str, tuple[float | None, float | None]],
    reasons: Mapping[str, str],
) -> tuple[ChunkEstimate, ...]:
    """Per-chunk records from per-metric arrays (NaN: undefined)."""
    columns = {
        metric: _metric_column(
            values[metric],
            errors[metric],
            bands[metric],
            limits[metric],
            reasons[metric],
        )
        for metric in values
    }
    return tuple(
        ChunkEstimate(
            index=i,
            start=start,
            stop=stop,
            metrics={metric: column[i] for metric, column in columns.items()},
        )
        for i, (start, stop) in enumerate(
            zip(chunks.starts.tolist(), chunks.stops.tolist(), strict=True)
        )
    )


def _metric_column(
    values: np.ndarray,
    errors: np.ndarray,
    band: tuple[float | None, float | None],
    limit: tuple[float | None, float | None],
    reason: str,
) -> list[MetricEstimate]:
    lower, upper = band
    floor = -math.inf if limit[0] is None else limit[0]
    ceiling = math.inf if limit[1] is None else limit[1]
    out = []
    for value, error in zip(values.tolist(), errors.tolist(), strict=True):
        if not math.isfinite(value):
            out.append(
                MetricEstimate(None, None, None, None, lower, upper, False, reason)
            )
            continue
        spread = CONFIDENCE_ERRORS * error if math.isfinite(error) else None
        out.append(
            MetricEstimate(
                value=value,
                sampling_error=None if spread is None else error,
                lower_confidence=None if spread is None else max(floor, value - spread),
                upper_confidence=None
                if spread is None
                else min(ceiling, value + spread),
                lower_threshold=lower,
                upper_threshold=upper,
                alert=_outside(value, lower, upper),
            )
        )
    return out


def _outside(value: float, lower: float | None, upper: float | None) -> bool:
    return (lower is not None and value < lower) or (
        upper is not None and value > upper
    )
