"""Parquet materializers: ``pandas.parquet``, ``polars.parquet``, ``arrow.parquet``.

All three write one ``data.parquet`` with zstd compression through pyarrow or
polars, which write the same bytes for the same table (library versions being
equal). Metadata: ``shape``, ``schema`` (column -> type), ``null_counts`` and
``nullable`` (True when the column holds at least one null).
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from rung.errors import ArtifactError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

__all__ = [
    "ArrowParquetMaterializer",
    "PandasParquetMaterializer",
    "PolarsParquetMaterializer",
]

_FILE = "data.parquet"
_RUNG_KEY = b"rung"
_SERIES_COLUMN = "__rung_series__"
_JSON_NAMES = (str, int, float, bool, type(None))


def summarize(
    shape: Sequence[int],
    names: Sequence[str],
    types: Sequence[str],
    nulls: Sequence[int],
) -> dict[str, Any]:
    """Return the common table metadata as plain JSON-able values."""
    return {
        "shape": [int(n) for n in shape],
        "schema": dict(zip(names, types, strict=True)),
        "null_counts": {n: int(c) for n, c in zip(names, nulls, strict=True)},
        "nullable": {n: int(c) > 0 for n, c in zip(names, nulls, strict=True)},
    }


def _exact_type(value: Any, module: str, *names: str) -> bool:
    lib = sys.modules.get(module)
    return lib is not None and any(type(value) is getattr(lib, n, None) for n in names)


def _cannot_write(kind: str, exc: Exception) -> ArtifactError:
    return ArtifactError(
        f"Cannot write the {kind} to Parquet: {exc}. Give each column one type "
        "(e.g. df[col].astype(str)), or opt in to pickle with allow_pickle=True "
        "and materializer='pickle' if you trust whoever loads it."
    )


class PandasParquetMaterializer:
    """Stores a pandas ``DataFrame`` or ``Series`` (exact types) as Parquet.

    A Series is written as a one-column table; its name is kept in the file's
    schema metadata, so it loads back as a Series. Names that are not str,
    int, float, bool or None are stored as their ``str()``.

    Example:
        >>> import pandas as pd
        >>> PandasParquetMaterializer().can_save(pd.Series([1, 2], name="n"))
        True
    """

    name = "pandas.parquet"
    version = 1
    is_pickled = False

    def can_save(self, value: Any) -> bool:
        """Return True for a ``pandas.DataFrame`` or ``pandas.Series``."""
        return _exact_type(value, "pandas", "DataFrame", "Series")

    def save(self, value: Any, folder: Path) -> dict[str, Any]:
        """Convert to an Arrow table and write ``data.parquet``."""
        import pyarrow as pa

        is_series = _exact_type(value, "pandas", "Series")
        frame = value.to_frame(name=_SERIES_COLUMN) if is_series else value
        try:
            table = pa.Table.from_pandas(frame)
        except (pa.ArrowException, ValueError, TypeError) as exc:
            raise _cannot_write("pandas value", exc) from exc
        extra = (
            {"kind": "series", "name": _name(value)} if is_series else {"kind": "frame"}
        )
        _write_table(_with_rung_metadata(table, extra), folder / _FILE)
        nulls = [table.column(i).null_count for i in range(frame.shape[1])]
        names = [str(c) for c in frame.columns]
        meta = summarize(frame.shape, names, [str(t) for t in frame.dtypes], nulls)
        meta["shape"] = list(value.shape)
        return meta

    def load(self, folder: Path, metadata: Mapping[str, Any]) -> Any:
        """Read the table back as a DataFrame, or as a Series if one was saved."""
        import pyarrow.parquet as pq

        table = pq.read_table(folder / _FILE)
        extra = json.loads((table.schema.metadata or {}).get(_RUNG_KEY, b"{}"))
        frame = table.to_pandas()
        if extra.get("kind") != "series":
            return frame
        return frame[_SERIES_COLUMN].rename(extra.get("name"))


class PolarsParquetMaterializer:
    """Stores a ``polars.DataFrame`` as Parquet.

    Example:
        >>> import polars as pl
        >>> PolarsParquetMaterializer().can_save(pl.DataFrame({"a": [1]}))
        True
    """

    name = "polars.parquet"
    version = 1
    is_pickled = False

    def can_save(self, value: Any) -> bool:
        """Return True for a ``polars.DataFrame``."""
        return _exact_type(value, "polars", "DataFrame")

    def save(self, value: Any, folder: Path) -> dict[str, Any]:
        """Write ``data.parquet`` with polars."""
        value.write_parquet(folder / _FILE, compression="zstd")
        nulls = list(value.null_count().row(0))
        types = [str(t) for t in value.dtypes]
        return summarize(value.shape, list(value.columns), types, nulls)

    def load(self, folder: Path, metadata: Mapping[str, Any]) -> Any:
        """Read ``data.parquet`` with polars."""
        import polars as pl

        return pl.read_parquet(folder / _FILE)


class ArrowParquetMaterializer:
    """Stores a ``pyarrow.Table`` as Parquet.

    Example:
        >>> import pyarrow as pa
        >>> ArrowParquetMaterializer().can_save(pa.table({"a": [1]}))
        True
    """

    name = "arrow.parquet"
    version = 1
    is_pickled = False

    def can_save(self, value: Any) -> bool:
        """Return True for a ``pyarrow.Table``."""
        return _exact_type(value, "pyarrow", "Table")

    def save(self, value: Any, folder: Path) -> dict[str, Any]:
        """Write ``data.parquet`` with pyarrow."""
        _write_table(value, folder / _FILE)
        nulls = [column.null_count for column in value.columns]
        types = [str(field.type) for field in value.schema]
        return summarize(value.shape, value.column_names, types, nulls)

    def load(self, folder: Path, metadata: Mapping[str, Any]) -> Any:
        """Read ``data.parquet`` with pyarrow."""
        import pyarrow.parquet as pq

        return pq.read_table(folder / _FILE)


def _name(series: Any) -> Any:
    name = series.name
    return name if isinstance(name, _JSON_NAMES) else str(name)


def _with_rung_metadata(table: Any, extra: Mapping[str, Any]) -> Any:
    metadata = dict(table.schema.metadata or {})
    metadata[_RUNG_KEY] = json.dumps(extra).encode("utf-8")
    return table.replace_schema_metadata(metadata)


def _write_table(table: Any, path: Path) -> None:
    import pyarrow.parquet as pq

    pq.write_table(table, path, compression="zstd")
