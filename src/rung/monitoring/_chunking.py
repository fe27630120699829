"""Chunks and alert thresholds for the label-free performance estimates.

Rows are split into consecutive chunks, as NannyML does: by size (every
chunk holds ``chunk_size`` rows) or by number (``chunk_number`` chunks of
equal size, within one row). A tail shorter than the minimum chunk size is
added to the last chunk rather than reported on its own, so no figure comes
from a handful of rows.

Thresholds follow NannyML's default (``StandardDeviationThreshold``): the
metric is computed with the labels on every reference chunk, and an estimate
raises an alert when it leaves mean +- 3 standard deviations of those values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rung.errors import EstimationError

__all__ = [
    "DEFAULT_CHUNK_NUMBER",
    "MIN_CHUNK_ROWS",
    "THRESHOLD_STDS",
    "ChunkPlan",
    "Chunks",
    "thresholds",
]

MIN_CHUNK_ROWS = 50
DEFAULT_CHUNK_NUMBER = 10
THRESHOLD_STDS = 3.0


@dataclass(frozen=True, slots=True)
class Chunks:
    """Consecutive row ranges ``[starts[i], stops[i])`` covering every row."""

    starts: np.ndarray
    stops: np.ndarray

    @property
    def sizes(self) -> np.ndarray:
        """Rows per chunk (float64, ready for division)."""
        sizes: np.ndarray = (self.stops - self.starts).astype(np.float64)
        return sizes

    def __len__(self) -> int:
        return int(self.starts.size)


@dataclass(frozen=True, slots=True)
class ChunkPlan:
    """How rows are cut into chunks: ``size`` rows each, or ``number`` chunks.

    Attributes:
        size: rows per chunk (None: split by number).
        number: chunks per data set (None: split by size).
        min_rows: the fewest rows a chunk may hold.
    """

    size: int | None
    number: int | None
    min_rows: int = MIN_CHUNK_ROWS

    @classmethod
    def parse(
        cls, chunk_size: int | None, chunk_number: int | None, min_rows: int
    ) -> ChunkPlan:
        """Check the options; neither given means NannyML's 10 chunks."""
        if chunk_size is not None and chunk_number is not None:
            raise EstimationError(
                f"Give chunk_size or chunk_number, not both (got chunk_size="
                f"{chunk_size}, chunk_number={chunk_number})."
            )
        min_rows = _whole(min_rows, "min_chunk_rows", smallest=2)
        size = None if chunk_size is None else _whole(chunk_size, "chunk_size")
        number = None if chunk_number is None else _whole(chunk_number, "chunk_number")
        if size is not None and size < min_rows:
            raise EstimationError(
                f"chunk_size={size} is below the minimum of {min_rows} rows "
                "per chunk: an estimate from so few rows is noise. Use chunk_size "
                f">= {min_rows} (or lower min_chunk_rows knowingly)."
            )
        if size is None and number is None:
            number = DEFAULT_CHUNK_NUMBER
        return cls(size, number, min_rows)

    def split(self, rows: int, what: str) -> Chunks:
        """Cut ``rows`` rows into chunks; ``what`` names the data in errors."""
        if rows < self.min_rows:
            raise EstimationError(
                f"The {what} has {rows} rows, fewer than the minimum of "
                f"{self.min_rows} rows per chunk: there is nothing to estimate "
                "from. Give more rows (a longer window)."
            )
        if self.size is not None:
            return _by_size(rows, self.size, self.min_rows)
        number = int(self.number or DEFAULT_CHUNK_NUMBER)
        if rows // number < self.min_rows:
            fits = rows // self.min_rows
            raise EstimationError(
                f"The {what} has {rows} rows: {number} chunks would hold "
                f"{rows // number} rows each, fewer than the minimum of "
                f"{self.min_rows}. Use chunk_number <= {fits} or give more rows."
            )
        bounds = (np.arange(number + 1, dtype=np.int64) * rows) // number
        return Chunks(bounds[:-1], bounds[1:])

    def describe(self) -> str:
        """``chunk_size=5000`` or ``chunk_number=10``, for messages."""
        if self.size is not None:
            return f"chunk_size={self.size}"
        return f"chunk_number={self.number}"


def _whole(value: Any, name: str, smallest: int = 1) -> int:
    """``value`` as an int of at least ``smallest`` (NumPy integers too)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise EstimationError(f"{name} must be an integer; got {value!r}.")
    if value < smallest:
        raise EstimationError(f"{name} must be at least {smallest}; got {value}.")
    return int(value)


def _by_size(rows: int, size: int, min_rows: int) -> Chunks:
    starts = np.arange(0, rows, size, dtype=np.int64)
    stops = np.minimum(starts + size, rows)
    if starts.size > 1 and stops[-1] - starts[-1] < min_rows:
        # A short tail joins the last full chunk (NannyML's "append").
        starts, stops = starts[:-1], np.append(stops[:-2], rows)
    return Chunks(starts, stops)


def thresholds(
    realized: np.ndarray, *, lower_limit: float | None, upper_limit: float | None
) -> tuple[float | None, float | None]:
    """Mean +- 3 std of a metric over the reference chunks, within its limits.

    NaN values (chunks where the metric is undefined) are left out; with
    fewer than two values left there is no spread to judge by: (None, None).
    A bound beyond the metric's range (below 0, above 1) is set to the limit.
    """
    values = realized[np.isfinite(realized)]
    if values.size < 2:
        return None, None
    mean, std = float(values.mean()), float(values.std())
    lower, upper = mean - THRESHOLD_STDS * std, mean + THRESHOLD_STDS * std
    if lower_limit is not None and lower <= lower_limit:
        lower = lower_limit
    if upper_limit is not None and upper >= upper_limit:
        upper = upper_limit
    return lower, upper
