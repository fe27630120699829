"""Column conversion: JSON values, Arrow columns and pandas columns -> NumPy.

Each function checks one column against its :class:`ColumnSpec` and either
returns an array the model can take or records problems (and returns None).
Every input format gets the same checks: an integer column takes values in the
range of its declared type (int64 unless the signature says otherwise) and
hands the model, and the log, that one type, whatever integer type came in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from rung.registry import type_kind

if TYPE_CHECKING:
    from collections.abc import Callable

    import pyarrow as pa

    from rung.serving._inputs import ColumnSpec, Problems

__all__ = ["convert_arrow_column", "convert_column", "convert_pandas_column"]

_NONE = type(None)
# The JSON value types each type family takes (families not listed take any).
_ALLOWED: dict[str, frozenset[type]] = {
    "float": frozenset({float, int}),
    "integer": frozenset({int}),
    "boolean": frozenset({bool}),
    "string": frozenset({str}),
    "category": frozenset({str}),
    "datetime": frozenset({str}),
}
# Type families a declared family accepts from typed inputs (Arrow, pandas).
_COMPATIBLE: dict[str, frozenset[str]] = {
    "float": frozenset({"float", "integer"}),
    "integer": frozenset({"integer"}),
    "boolean": frozenset({"boolean"}),
    "string": frozenset({"string", "category"}),
    "category": frozenset({"string", "category"}),
    "datetime": frozenset({"datetime"}),
}


def convert_column(
    spec: ColumnSpec, values: list[Any], problems: Problems, reject_nulls: bool
) -> np.ndarray[Any, Any] | None:
    """Check JSON values of one column; return them as an array, or None."""
    types = set(map(type, values))
    allowed = _ALLOWED.get(spec.kind)
    if allowed is not None:
        bad = types - allowed - {_NONE}
        if bad:
            rows = [i for i, v in enumerate(values) if type(v) in bad]
            got = ", ".join(sorted(t.__name__ for t in bad))
            problems.add(
                spec.name,
                f"expected {spec.kind} ({spec.type}), got {got}",
                rows,
                values[rows[0]],
            )
            return None
    has_nulls = _NONE in types
    if has_nulls and reject_nulls and not spec.nullable:
        rows = [i for i, v in enumerate(values) if v is None]
        problems.add(spec.name, "null in a non-nullable column", rows)
        return None
    if spec.kind == "integer":
        return _ints(spec, values, problems, reject_nulls, has_nulls)
    if spec.kind == "float":
        return _floats(spec, values, problems, reject_nulls)
    if spec.kind == "boolean" and not has_nulls:
        return np.array(values, dtype=bool)
    if spec.kind == "datetime":
        return _datetimes(spec, values, problems)
    return _objects(values)


def convert_arrow_column(
    spec: ColumnSpec, column: pa.ChunkedArray, problems: Problems, reject_nulls: bool
) -> np.ndarray[Any, Any] | None:
    """Check one Arrow column (type family, nulls, NaN); return it as an array."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = type_kind(str(column.type))
    if not _is_compatible(spec.kind, kind):
        problems.add(
            spec.name, f"expected {spec.kind} ({spec.type}), got {column.type}"
        )
        return None
    if column.null_count and reject_nulls and not spec.nullable:
        rows = _rows(np.asarray(pc.is_null(column).to_numpy(zero_copy_only=False)))
        problems.add(spec.name, "null in a non-nullable column", rows)
        return None
    if kind == "category":
        column = column.cast(pa.string())
    if kind == "integer" and spec.kind == "integer":
        mm = pc.min_max(column)
        lowest, highest = mm["min"].as_py(), mm["max"].as_py()
        if not _in_range(spec, lowest, highest, problems, column.to_pylist):
            return None
        column = column.cast(pa.from_numpy_dtype(_int_type(spec)))
    array: np.ndarray[Any, Any] = column.to_numpy(zero_copy_only=False)
    if kind == "float" and not np.isfinite(array).all():
        return _check_non_finite(spec, array, problems, reject_nulls)
    if spec.kind == "float" and array.dtype.kind in "iu":
        return array.astype(np.float64)
    return array


def convert_pandas_column(
    spec: ColumnSpec, series: Any, problems: Problems, reject_nulls: bool
) -> np.ndarray[Any, Any] | None:
    """Check one pandas column (dtype family, nulls); return it as an array."""
    kind = type_kind(str(series.dtype))
    if kind == "string" and spec.kind not in ("string", "category"):
        values = series.tolist()  # object columns may hold numbers
        return convert_column(spec, values, problems, reject_nulls)
    if not _is_compatible(spec.kind, kind):
        problems.add(
            spec.name, f"expected {spec.kind} ({spec.type}), got {series.dtype}"
        )
        return None
    nulls = series.isna().to_numpy()
    if reject_nulls and not spec.nullable and nulls.any():
        problems.add(spec.name, "null or NaN in a non-nullable column", _rows(nulls))
        return None
    if kind == "float" and np.isinf(series.to_numpy(dtype=np.float64)).any():
        rows = _rows(np.isinf(series.to_numpy(dtype=np.float64)))
        problems.add(spec.name, "infinite value", rows)
        return None
    out: np.ndarray[Any, Any] = (
        series.astype(object).to_numpy() if kind == "category" else series.to_numpy()
    )
    if spec.kind == "integer" and out.dtype.kind in "iu" and len(out):
        lowest, highest = int(out.min()), int(out.max())
        if not _in_range(spec, lowest, highest, problems, out.tolist):
            return None
        out = out.astype(_int_type(spec), copy=False)
    return out


def _int_type(spec: ColumnSpec) -> np.dtype[Any]:
    """The NumPy type of an integer column: the declared one, else int64."""
    try:
        declared = np.dtype(spec.type.strip().lower())
    except TypeError:
        return np.dtype(np.int64)
    return declared if declared.kind in "iu" else np.dtype(np.int64)


def _ints(
    spec: ColumnSpec,
    values: list[Any],
    problems: Problems,
    reject_nulls: bool,
    has_nulls: bool,
) -> np.ndarray[Any, Any] | None:
    if has_nulls:  # NaN stands for null: floats, once the range is checked
        numbers = [v for v in values if v is not None]
        if numbers and not _in_range(
            spec, min(numbers), max(numbers), problems, lambda: values
        ):
            return None
        return _floats(spec, values, problems, reject_nulls)
    try:
        return np.array(values, dtype=_int_type(spec))
    except OverflowError:
        _in_range(spec, min(values), max(values), problems, lambda: values)
        return None


def _in_range(
    spec: ColumnSpec,
    lowest: int | None,
    highest: int | None,
    problems: Problems,
    values: Callable[[], list[Any]],
) -> bool:
    """True when ``lowest..highest`` fits the column's type (else a problem)."""
    dtype = _int_type(spec)
    info = np.iinfo(dtype)
    low, high = int(info.min), int(info.max)
    if lowest is None or highest is None or low <= lowest <= highest <= high:
        return True
    listed = values()  # only on this rare path: find the rows
    rows = [i for i, v in enumerate(listed) if v is not None and not low <= v <= high]
    problems.add(
        spec.name,
        f"integer out of the {dtype} range",
        rows,
        listed[rows[0]],
    )
    return False


def _floats(
    spec: ColumnSpec, values: list[Any], problems: Problems, reject_nulls: bool
) -> np.ndarray[Any, Any] | None:
    try:
        array = np.array(values, dtype=np.float64)
    except OverflowError:
        problems.add(spec.name, "number out of the float64 range")
        return None
    if np.isfinite(array).all():
        return array
    return _check_non_finite(spec, array, problems, reject_nulls)


def _check_non_finite(
    spec: ColumnSpec,
    array: np.ndarray[Any, Any],
    problems: Problems,
    reject_nulls: bool,
) -> np.ndarray[Any, Any] | None:
    infinite = np.isinf(array)
    if infinite.any():
        problems.add(spec.name, "infinite value", _rows(infinite))
        return None
    if reject_nulls and not spec.nullable:
        problems.add(spec.name, "NaN in a non-nullable column", _rows(np.isnan(array)))
        return None
    return array


def _datetimes(
    spec: ColumnSpec, values: list[Any], problems: Problems
) -> np.ndarray[Any, Any] | None:
    import pandas as pd

    parsed = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce")
    failed = parsed.isna().to_numpy() & np.array([v is not None for v in values])
    if failed.any():
        rows = _rows(failed)
        problems.add(spec.name, "not an ISO 8601 date/time", rows, values[rows[0]])
        return None
    array: np.ndarray[Any, Any] = parsed.to_numpy()
    return array


def _objects(values: list[Any]) -> np.ndarray[Any, Any]:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _is_compatible(expected: str, given: str) -> bool:
    accepted = _COMPATIBLE.get(expected)
    return accepted is None or given in accepted


def _rows(mask: np.ndarray[Any, Any]) -> list[int]:
    return [int(i) for i in np.flatnonzero(mask)]
