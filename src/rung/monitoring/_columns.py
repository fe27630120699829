"""Tables as columns of NumPy arrays: what every check works on.

A check accepts a pandas DataFrame, a pyarrow Table, a DuckDB relation or a
mapping of column name -> array, and sees ``{name: ndarray}``: numeric
columns as float64 (missing values NaN), the others as object arrays
(missing values None). Nothing is copied into pandas that was not there.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from rung.errors import MonitorDataError

__all__ = [
    "Columns",
    "Kind",
    "column_kind",
    "finite_values",
    "missing_mask",
    "row_count",
    "to_columns",
]

Columns = dict[str, np.ndarray]
Kind = Literal["numeric", "categorical"]


def to_columns(data: Any, what: str = "data") -> Columns:
    """Turn a DataFrame, Arrow table, DuckDB relation or mapping into columns.

    Raises:
        MonitorDataError: another type, or columns of different lengths.

    Example:
        >>> to_columns({"x": [1, 2]})["x"].dtype
        dtype('float64')
    """
    if isinstance(data, dict) and all(isinstance(v, np.ndarray) for v in data.values()):
        columns = {str(k): _normalise(v) for k, v in data.items()}
    elif hasattr(data, "to_arrow_table") and hasattr(data, "columns"):
        columns = _from_arrow(data.to_arrow_table())  # a DuckDB relation
    elif type(data).__module__.startswith("pyarrow"):
        columns = _from_arrow(data)
    elif hasattr(data, "iloc") and hasattr(data, "columns"):
        columns = {str(c): _from_pandas(data[c]) for c in data.columns}
    elif isinstance(data, dict):
        columns = {str(k): _normalise(np.asarray(v)) for k, v in data.items()}
    else:
        raise MonitorDataError(
            f"Cannot read the {what}: got {type(data).__qualname__}. Pass a pandas "
            "DataFrame, a pyarrow Table, a DuckDB relation or a dict of arrays."
        )
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise MonitorDataError(
            f"The columns of the {what} have different lengths {sorted(lengths)}; "
            "give columns of one length."
        )
    return columns


def row_count(columns: Columns) -> int:
    """Rows of a table (0 for a table without columns)."""
    return len(next(iter(columns.values()))) if columns else 0


def column_kind(values: np.ndarray) -> Kind:
    """``numeric`` for float64 columns (see :func:`to_columns`), else categorical."""
    return "numeric" if values.dtype.kind == "f" else "categorical"


def missing_mask(values: np.ndarray) -> np.ndarray:
    """True where a value is missing (NaN, None, pandas NA/NaT)."""
    import pandas as pd

    found: np.ndarray = (
        np.isnan(values)
        if values.dtype.kind == "f"
        else np.asarray(pd.isna(values), dtype=bool)
    )
    return found


def finite_values(values: np.ndarray) -> np.ndarray:
    """The finite values of a numeric column (NaN and +-inf left out)."""
    found: np.ndarray = values[np.isfinite(values)]
    return found


def _normalise(values: np.ndarray) -> np.ndarray:
    kind = values.dtype.kind
    if kind == "f":
        return values.astype(np.float64, copy=False)
    if kind in "iu":
        return values.astype(np.float64)
    if kind == "M":
        return _seconds(values)
    if kind == "b":
        return values.astype(object)
    if kind == "O":
        return _numeric_objects(values)
    return values.astype(object)


def _seconds(values: np.ndarray) -> np.ndarray:
    """Datetimes as POSIX seconds (NaT becomes NaN)."""
    nat = np.isnat(values)
    out = values.astype("datetime64[ns]").astype(np.int64) / 1e9
    out[nat] = np.nan
    return out


def _numeric_objects(values: np.ndarray) -> np.ndarray:
    """Object arrays of numbers (and None) are numeric; others stay objects."""
    present = [v for v in values[:1000] if v is not None and not _is_nan(v)]
    numbers = all(
        isinstance(v, int | float | np.integer | np.floating)
        and not isinstance(v, bool | np.bool_)
        for v in present
    )
    if present and numbers:
        try:
            return np.array(
                [np.nan if v is None else v for v in values], dtype=np.float64
            )
        except (TypeError, ValueError):
            return values
    return values


def _is_nan(value: Any) -> bool:
    return isinstance(value, float | np.floating) and bool(np.isnan(value))


def _from_pandas(series: Any) -> np.ndarray:
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return np.asarray(series.astype(object).to_numpy(), dtype=object)
    if pd.api.types.is_bool_dtype(dtype):
        return np.asarray(series.to_numpy(dtype=object, na_value=None), dtype=object)
    if pd.api.types.is_numeric_dtype(dtype):
        return np.asarray(series.to_numpy(dtype=np.float64, na_value=np.nan))
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _seconds(series.dt.tz_localize(None).to_numpy("datetime64[ns]"))
    return _normalise(series.to_numpy(dtype=object))


def _from_arrow(table: Any) -> Columns:
    import pyarrow as pa

    columns: Columns = {}
    for name in table.column_names:
        column = table.column(name)
        kind = column.type
        if pa.types.is_floating(kind) or pa.types.is_integer(kind):
            filled = column.cast(pa.float64()).fill_null(float("nan"))
            columns[name] = filled.to_numpy()
        elif pa.types.is_timestamp(kind):
            seconds = column.cast(pa.timestamp("ns")).cast(pa.int64())
            columns[name] = seconds.to_numpy(zero_copy_only=False) / 1e9
        else:
            columns[name] = np.asarray(column.to_pylist(), dtype=object)
    return columns
