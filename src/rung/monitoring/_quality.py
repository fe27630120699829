"""Data quality of the current data, against the reference when there is one.

Checked per column: the missing-value rate (breach when it exceeds the
reference's by more than ``missing_rate``, default 0.05), the share of
numeric values outside the reference's range (``out_of_range_rate``, 0.05) and
constant columns (constant now, not in the reference). For the table: schema
violations (missing, extra or retyped columns) and the share of duplicated
rows (above the reference's by more than ``duplicate_rate``, 0.05).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from rung.monitoring._columns import (
    Columns,
    column_kind,
    finite_values,
    missing_mask,
    row_count,
    to_columns,
)

if TYPE_CHECKING:
    import numpy as np

__all__ = ["QUALITY_THRESHOLDS", "ColumnQuality", "QualityResult", "check_quality"]

QUALITY_THRESHOLDS: dict[str, float] = {
    "missing_rate": 0.05,
    "out_of_range_rate": 0.05,
    "duplicate_rate": 0.05,
}


@dataclass(frozen=True, slots=True)
class ColumnQuality:
    """Quality figures of one column.

    Attributes:
        column / kind: the column, ``numeric`` or ``categorical``.
        missing_rate / reference_missing_rate: share of missing values.
        out_of_range_rate: share of numeric values outside the reference's
            [min, max] (None: categorical, or no reference).
        is_constant: one distinct value (or none) in the current data.
    """

    column: str
    kind: str
    missing_rate: float | None
    reference_missing_rate: float | None = None
    out_of_range_rate: float | None = None
    is_constant: bool = False


@dataclass(frozen=True, slots=True)
class QualityResult:
    """Data quality of a table.

    Attributes:
        rows: rows checked.
        columns: column -> figures.
        missing_columns / extra_columns: expected columns absent, others present.
        retyped_columns: column -> ``"numeric -> categorical"``.
        constant_columns: constant now (and not in the reference).
        duplicate_rate / reference_duplicate_rate: share of repeated rows.
        problems: one sentence per breach; empty when the data passes.
        thresholds: the thresholds used.
    """

    rows: int
    columns: Mapping[str, ColumnQuality] = field(default_factory=dict)
    missing_columns: tuple[str, ...] = ()
    extra_columns: tuple[str, ...] = ()
    retyped_columns: Mapping[str, str] = field(default_factory=dict)
    constant_columns: tuple[str, ...] = ()
    duplicate_rate: float | None = None
    reference_duplicate_rate: float | None = None
    problems: tuple[str, ...] = ()
    thresholds: Mapping[str, float] = field(default_factory=dict)

    @property
    def is_passed(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return {**asdict(self), "passed": self.is_passed}


def check_quality(
    current: Any,
    reference: Any = None,
    *,
    columns: Sequence[str] | None = None,
    thresholds: Mapping[str, float] | None = None,
    ignore: Sequence[str] = (),
) -> QualityResult:
    """Check missing values, ranges, schema, constant columns and duplicates.

    Args:
        current: the data to check (DataFrame, Arrow table, dict of arrays...).
        reference: the data it should look like (its columns, types, ranges).
        columns: the expected columns (default: the reference's, else all).
        thresholds: overrides of :data:`QUALITY_THRESHOLDS`.
        ignore: columns that may be present without being expected (model
            outputs, log columns): not reported as extra.

    Returns:
        The figures and the problems found (a current table without rows
        has the problem "no rows", it is never silently fine).

    Example:
        >>> check_quality({"x": [1.0, None, 3.0]}).columns["x"].missing_rate
        0.3333333333333333
    """
    cur = to_columns(current, "current data")
    ref = to_columns(reference, "reference") if reference is not None else None
    limits = {**QUALITY_THRESHOLDS, **dict(thresholds or {})}
    expected = list(columns) if columns is not None else list(ref or cur)
    rows = row_count(cur)
    present = [c for c in expected if c in cur]
    problems: list[str] = []
    if rows == 0:
        problems.append("the current data has no rows")
    figures = {c: _column(c, cur[c], ref.get(c) if ref else None) for c in present}
    missing = tuple(c for c in expected if c not in cur)
    extra = tuple(c for c in cur if c not in expected and c not in ignore)
    retyped = _retyped(cur, ref, present)
    constant = tuple(
        c
        for c, f in figures.items()
        if f.is_constant and rows > 1 and not _is_constant(ref, c)
    )
    dup = _duplicate_rate(cur, present)
    ref_dup = _duplicate_rate(ref, present) if ref is not None else None
    problems += _schema_problems(missing, extra, retyped)
    problems += _rate_problems(figures, limits)
    problems += [f"column {c!r} is constant" for c in constant]
    if dup is not None and dup - (ref_dup or 0.0) > limits["duplicate_rate"]:
        problems.append(f"{dup:.1%} of rows are duplicates")
    return QualityResult(
        rows=rows,
        columns=figures,
        missing_columns=missing,
        extra_columns=extra,
        retyped_columns=retyped,
        constant_columns=constant,
        duplicate_rate=dup,
        reference_duplicate_rate=ref_dup,
        problems=tuple(problems),
        thresholds=limits,
    )


def _column(
    name: str, values: np.ndarray, reference: np.ndarray | None
) -> ColumnQuality:
    kind = column_kind(values)
    missing = missing_mask(values)
    rate = float(missing.mean()) if values.size else None
    ref_rate = (
        float(missing_mask(reference).mean())
        if reference is not None and reference.size
        else None
    )
    out_of_range = None
    if (
        kind == "numeric"
        and reference is not None
        and column_kind(reference) == "numeric"
    ):
        bounds = finite_values(reference)
        present = values[~missing]
        if bounds.size and present.size:
            outside = (present < bounds.min()) | (present > bounds.max())
            out_of_range = float(outside.mean())
    return ColumnQuality(
        column=name,
        kind=kind,
        missing_rate=rate,
        reference_missing_rate=ref_rate,
        out_of_range_rate=out_of_range,
        is_constant=_distinct_at_most_one(values[~missing]),
    )


def _distinct_at_most_one(values: np.ndarray) -> bool:
    if values.size == 0:
        return True
    if values.dtype.kind == "f":
        return bool(values.min() == values.max())
    first = values[0]
    return all(v == first for v in values)


def _is_constant(ref: Columns | None, name: str) -> bool:
    if ref is None or name not in ref:
        return False
    values = ref[name]
    return _distinct_at_most_one(values[~missing_mask(values)])


def _retyped(cur: Columns, ref: Columns | None, present: list[str]) -> dict[str, str]:
    if ref is None:
        return {}
    found = {}
    for name in present:
        if name in ref and column_kind(ref[name]) != column_kind(cur[name]):
            found[name] = f"{column_kind(ref[name])} -> {column_kind(cur[name])}"
    return found


def _duplicate_rate(table: Columns | None, present: list[str]) -> float | None:
    if table is None or not present or row_count(table) == 0:
        return None
    import pandas as pd

    frame = pd.DataFrame({c: table[c] for c in present if c in table})
    return float(frame.duplicated().mean())


def _schema_problems(
    missing: tuple[str, ...], extra: tuple[str, ...], retyped: Mapping[str, str]
) -> list[str]:
    problems = []
    if missing:
        problems.append(f"columns missing: {', '.join(missing)}")
    if extra:
        problems.append(f"unexpected columns: {', '.join(extra)}")
    problems += [f"column {c!r} changed type ({t})" for c, t in retyped.items()]
    return problems


def _rate_problems(
    figures: Mapping[str, ColumnQuality], limits: Mapping[str, float]
) -> list[str]:
    problems = []
    for name, f in figures.items():
        base = f.reference_missing_rate or 0.0
        if (
            f.missing_rate is not None
            and f.missing_rate - base > limits["missing_rate"]
        ):
            problems.append(
                f"column {name!r}: {f.missing_rate:.1%} missing (reference {base:.1%})"
            )
        rate = f.out_of_range_rate
        if rate is not None and rate > limits["out_of_range_rate"]:
            problems.append(f"column {name!r}: {rate:.1%} outside the reference range")
    return problems
