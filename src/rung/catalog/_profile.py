"""Schema, statistics and schema diffs of an Arrow table (vectorised, pyarrow)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rung.catalog.records import ColumnRecord

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import pyarrow as pa

__all__ = ["describe_changes", "diff_schema", "has_changes", "profile"]

MAX_CATEGORIES = 1000
"""A text column with at most this many distinct values counts as categorical."""


def profile(table: pa.Table) -> tuple[tuple[ColumnRecord, ...], dict[str, Any]]:
    """Return the table's columns (name, type, nullable) and its statistics.

    Statistics: ``row_count``, and per column ``nulls``; ``min``, ``max`` and
    ``mean`` for numbers; ``min`` and ``max`` for times; ``distinct`` for
    booleans and for text with at most ``MAX_CATEGORIES`` distinct values.

    Example:
        >>> import pyarrow as pa
        >>> columns, stats = profile(pa.table({"n": [1, 2, None]}))
        >>> columns[0].type, stats["columns"]["n"]["mean"]
        ('int64', 1.5)
    """
    columns = []
    per_column: dict[str, Any] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        nulls = int(column.null_count)
        columns.append(ColumnRecord(name, str(column.type), nulls > 0))
        per_column[name] = {"nulls": nulls, **_column_stats(column)}
    return tuple(columns), {"row_count": int(table.num_rows), "columns": per_column}


def _column_stats(column: pa.ChunkedArray) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = kind.value_type
    if len(column) == column.null_count:
        return {}
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        bounds = pc.min_max(column)
        return {
            "min": _number(bounds["min"].as_py()),
            "max": _number(bounds["max"].as_py()),
            "mean": _number(pc.mean(column).as_py()),
        }
    if pa.types.is_decimal(kind):
        bounds = pc.min_max(column)
        return {
            "min": float(bounds["min"].as_py()),
            "max": float(bounds["max"].as_py()),
            "mean": _number(pc.mean(column.cast(pa.float64())).as_py()),
        }
    if pa.types.is_temporal(kind):
        bounds = pc.min_max(column)
        return {"min": str(bounds["min"].as_py()), "max": str(bounds["max"].as_py())}
    if (
        pa.types.is_boolean(kind)
        or pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
    ):
        distinct = int(pc.count_distinct(column).as_py())
        return {"distinct": distinct} if distinct <= MAX_CATEGORIES else {}
    return {}


def _number(value: Any) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value if isinstance(value, int) else float(value)


def diff_schema(
    old: Sequence[ColumnRecord], new: Sequence[ColumnRecord]
) -> dict[str, Any]:
    """Return the columns added, removed and retyped from ``old`` to ``new``.

    Example:
        >>> a = [ColumnRecord("id", "int64"), ColumnRecord("x", "string")]
        >>> b = [ColumnRecord("id", "double"), ColumnRecord("y", "string")]
        >>> diff_schema(a, b)
        {'added': ['y'], 'removed': ['x'], 'retyped': {'id': ['int64', 'double']}}
    """
    before = {c.name: c.type for c in old}
    after = {c.name: c.type for c in new}
    return {
        "added": [n for n in after if n not in before],
        "removed": [n for n in before if n not in after],
        "retyped": {
            n: [before[n], after[n]]
            for n in after
            if n in before and before[n] != after[n]
        },
    }


def has_changes(diff: Mapping[str, Any]) -> bool:
    """True when a diff from :func:`diff_schema` lists any change."""
    return any(diff.get(key) for key in ("added", "removed", "retyped"))


def describe_changes(diff: Mapping[str, Any]) -> str:
    """One line for people: ``added: a; removed: b; retyped: c (int64 -> double)``."""
    parts = []
    if diff.get("added"):
        parts.append("added: " + ", ".join(diff["added"]))
    if diff.get("removed"):
        parts.append("removed: " + ", ".join(diff["removed"]))
    if diff.get("retyped"):
        parts.append(
            "retyped: "
            + ", ".join(f"{n} ({a} -> {b})" for n, (a, b) in diff["retyped"].items())
        )
    return "; ".join(parts) or "no schema change"
