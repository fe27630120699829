"""Reading and checking the data of a label-free estimate.

Every problem becomes an :class:`~rung.errors.EstimationError` that says
which column of which data set is wrong, and what to give instead: an
estimate is never computed from data it cannot trust.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rung.errors import EstimationError, MonitorDataError
from rung.monitoring._columns import Columns, row_count, to_columns

__all__ = [
    "Classes",
    "choose_metrics",
    "class_text",
    "column",
    "numeric_column",
    "read_table",
]


def read_table(data: Any, what: str) -> tuple[Columns, int]:
    """Columns and row count of a DataFrame, Arrow table or dict of arrays."""
    try:
        columns = to_columns(data, what)
    except MonitorDataError as exc:
        raise EstimationError(str(exc)) from exc
    return columns, row_count(columns)


def choose_metrics(
    metrics: str | Sequence[str] | None, supported: Sequence[str]
) -> tuple[str, ...]:
    """The requested metrics (default: all supported), checked."""
    chosen = (
        tuple(supported)
        if metrics is None
        else ((metrics,) if isinstance(metrics, str) else tuple(metrics))
    )
    unknown = [m for m in chosen if m not in supported]
    if unknown or not chosen:
        raise EstimationError(
            f"Cannot estimate {unknown or 'no metric'}: the supported metrics are "
            f"{list(supported)}."
        )
    return tuple(dict.fromkeys(chosen))


def column(columns: Columns, name: str, what: str, why: str) -> np.ndarray:
    """A column that must exist; ``why`` says what it is needed for."""
    if name not in columns:
        raise EstimationError(
            f"The {what} has no column {name!r} (columns: {sorted(columns)}): {why}"
        )
    return columns[name]


def numeric_column(columns: Columns, name: str, what: str, why: str) -> np.ndarray:
    """A numeric column without missing or infinite values."""
    values = column(columns, name, what, why)
    if values.dtype.kind != "f":
        raise EstimationError(
            f"Column {name!r} of the {what} holds non-numeric values (e.g. "
            f"{values[0]!r}); it must hold numbers."
        )
    bad = ~np.isfinite(values)
    if bad.any():
        first = int(np.argmax(bad))
        raise EstimationError(
            f"Column {name!r} of the {what} has {int(bad.sum())} missing or "
            f"infinite values (first at row {first}). An estimate cannot use rows "
            "without them: drop or fill those rows first."
        )
    return values


def class_text(value: Any) -> str:
    """A class label as text, so 1, 1.0 and "1" (True and "true") match."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _sort_key(name: str) -> tuple[int, float, str]:
    try:
        return (0, float(name), name)
    except ValueError:
        return (1, 0.0, name)


@dataclass(frozen=True, slots=True)
class Classes:
    """The classes of the reference labels, in a fixed order."""

    names: tuple[str, ...]

    @classmethod
    def from_labels(
        cls, values: np.ndarray, what: str, name: str
    ) -> tuple[Classes, np.ndarray]:
        """The classes found in ``values`` and every row's class index."""
        texts, codes = _factorize(values, what, name)
        names = tuple(sorted(set(texts), key=_sort_key))
        remap = np.array([names.index(t) for t in texts], dtype=np.int64)
        return cls(names), remap[codes]

    def ordered(self, last: str) -> Classes:
        """The same classes with ``last`` moved to the end (the positive class)."""
        return Classes((*[n for n in self.names if n != last], last))

    def encode(self, values: np.ndarray, what: str, name: str) -> np.ndarray:
        """The class index of every row; unknown classes are an error."""
        if values.dtype.kind == "f" and all(_is_number(n) for n in self.names):
            return self._encode_numbers(values, what, name)
        texts, codes = _factorize(values, what, name)
        lookup = {n: i for i, n in enumerate(self.names)}
        unknown = [t for t in texts if t not in lookup]
        if unknown:
            self._unknown(unknown, what, name)
        indexes = np.array([lookup[t] for t in texts], dtype=np.int64)
        encoded: np.ndarray = indexes[codes]
        return encoded

    def _encode_numbers(self, values: np.ndarray, what: str, name: str) -> np.ndarray:
        _no_missing(np.isnan(values), what, name)
        codes = np.full(values.size, -1, dtype=np.int64)
        for index, text in enumerate(self.names):
            codes[values == float(text)] = index
        if (codes < 0).any():
            self._unknown(np.unique(values[codes < 0])[:5].tolist(), what, name)
        return codes

    def _unknown(self, found: Iterable[Any], what: str, name: str) -> None:
        raise EstimationError(
            f"Column {name!r} of the {what} holds {[class_text(v) for v in found]}, "
            f"which are not classes of the reference labels {list(self.names)}. "
            "Estimate with a reference that shows every class the model predicts."
        )


def _is_number(text: str) -> bool:
    return _sort_key(text)[0] == 0


def _factorize(
    values: np.ndarray, what: str, name: str
) -> tuple[list[str], np.ndarray]:
    """Distinct values as class texts, and each row's index into them."""
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    _no_missing(codes < 0, what, name)
    texts = [class_text(v) for v in uniques]
    merged = list(dict.fromkeys(texts))
    remap = np.array([merged.index(t) for t in texts], dtype=np.int64)
    return merged, remap[codes]


def _no_missing(missing: np.ndarray, what: str, name: str) -> None:
    if missing.any():
        raise EstimationError(
            f"Column {name!r} of the {what} has {int(missing.sum())} missing values "
            f"(first at row {int(np.argmax(missing))}). Drop or fill those rows first."
        )
