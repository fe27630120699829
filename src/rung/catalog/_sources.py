"""Data sources: files, folders (fsspec) and SQL tables or queries (SQLAlchemy).

A source is described by a :class:`SourceSpec`; :func:`fetch` reads it once
(bytes of the files, or the query's result) and fingerprints what it read;
:func:`to_table` parses fetched bytes into one Arrow table. pyarrow, fsspec
and SQLAlchemy are imported only when a source is read.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rung.errors import DataSourceError, InvalidDatasetError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["FORMATS", "Fetched", "SourceSpec", "fetch", "mask_uri", "resolve_source"]

FORMATS = ("csv", "jsonl", "parquet")
_ALIASES = {
    "csv": "csv",
    "parquet": "parquet",
    "pq": "parquet",
    "jsonl": "jsonl",
    "ndjson": "jsonl",
    "json": "jsonl",
}
_SQL_SCHEMES = frozenset(
    {"sqlite", "postgresql", "postgres", "mysql", "mariadb", "mssql", "oracle"}
    | {"duckdb", "snowflake", "redshift", "bigquery", "trino", "clickhouse"}
)
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@/]*@")


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """Where a dataset's data comes from.

    Attributes:
        kind: ``file``, ``folder`` or ``sql``.
        uri: a local path (absolute), an fsspec URL or a SQLAlchemy URL.
        format: ``csv``, ``jsonl`` or ``parquet`` for files and folders.
        query: the SQL query, for SQL sources read with a query.
    """

    kind: str
    uri: str
    format: str | None = None
    query: str | None = None


@dataclass(slots=True)
class Fetched:
    """What one read of a source returned.

    Attributes:
        fingerprint: ``sha256:<hex>`` of the content.
        size_bytes: bytes read (files) or the result's size in memory (SQL).
        parts: (relative path, bytes) per file, for files and folders.
        table: the query's result, for SQL sources.
    """

    fingerprint: str
    size_bytes: int
    parts: list[tuple[str, bytes]] = field(default_factory=list)
    table: pa.Table | None = None


def mask_uri(uri: str) -> str:
    """Return ``uri`` with any password replaced by ``***``."""
    return _PASSWORD.sub(r"\1***@", uri)


def is_sql_uri(uri: str) -> bool:
    """True when ``uri`` is a SQLAlchemy URL of a known database."""
    scheme, sep, _ = uri.partition("://")
    return bool(sep) and scheme.split("+", 1)[0].lower() in _SQL_SCHEMES


def normalize_format(value: str | None, what: str) -> str | None:
    """Return the canonical format name for ``value`` (None stays None)."""
    if value is None:
        return None
    found = _ALIASES.get(value.lower().lstrip("."))
    if found is None:
        raise InvalidDatasetError(
            f"Unknown format {value!r} for {what}. Use one of: {', '.join(FORMATS)} "
            "(--format), or name files with a .csv, .parquet or .jsonl extension."
        )
    return found


def resolve_source(
    uri: str, *, format: str | None = None, query: str | None = None
) -> SourceSpec:
    """Check that ``uri`` can be reached and say what kind of source it is.

    Args:
        uri: a path, an fsspec URL, or a SQLAlchemy URL (``...?table=NAME``).
        format: ``csv``, ``parquet`` or ``jsonl``; guessed from extensions.
        query: a SQL query (SQL URLs only).

    Raises:
        DataSourceError: the source cannot be reached.
        InvalidDatasetError: unknown format, or a SQL URL without table/query.
    """
    fmt = normalize_format(format, repr(uri))
    if query is not None or is_sql_uri(uri):
        from rung.catalog import _sql_source

        return _sql_source.resolve(uri, query)
    if "://" not in uri:
        uri = str(Path(uri).expanduser().resolve())
    fs, path = _filesystem(uri)
    if _is_dir(fs, path, uri):
        files = _data_files(fs, path, uri)
        formats = {normalize_format(_suffix(p), repr(p)) for p in files}
        if fmt is None and len(formats) > 1:
            raise InvalidDatasetError(
                f"Folder {mask_uri(uri)!r} mixes formats {sorted(map(str, formats))}. "
                "Keep one format per folder, or pass --format to pick one."
            )
        return SourceSpec("folder", uri, fmt or formats.pop())
    return SourceSpec("file", uri, fmt or normalize_format(_suffix(path), repr(uri)))


def fetch(spec: SourceSpec) -> Fetched:
    """Read the source once and fingerprint what was read.

    Raises:
        DataSourceError: the source cannot be reached or read.
    """
    if spec.kind == "sql":
        from rung.catalog import _sql_source

        return _sql_source.fetch(spec)
    fs, path = _filesystem(spec.uri)
    if spec.kind == "folder":
        files = _data_files(fs, path, spec.uri)
        root = path.rstrip("/")
        names = [(p, p[len(root) :].lstrip("/")) for p in files]
    else:
        names = [(path, "")]
    parts = [(rel, _read_bytes(fs, full, spec.uri)) for full, rel in names]
    digest = hashlib.sha256()
    for rel, data in parts:
        digest.update(b"\0path\0" + rel.encode() + b"\0")
        digest.update(hashlib.sha256(data).digest())
    size = sum(len(data) for _, data in parts)
    return Fetched("sha256:" + digest.hexdigest(), size, parts)


def to_table(spec: SourceSpec, fetched: Fetched) -> pa.Table:
    """Parse fetched content into one Arrow table.

    Raises:
        DataSourceError: a file is not valid for the source's format.
    """
    if fetched.table is not None:
        return fetched.table
    import pyarrow as pa

    tables = [_parse(spec, rel, data) for rel, data in fetched.parts]
    if len(tables) == 1:
        return tables[0]
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise DataSourceError(
            f"The files of folder {mask_uri(spec.uri)!r} do not share one schema: "
            f"{exc}. Make their columns agree, or register them separately."
        ) from exc


def _parse(spec: SourceSpec, rel: str, data: bytes) -> pa.Table:
    import pyarrow as pa

    where = f"{mask_uri(spec.uri)}/{rel}" if rel else mask_uri(spec.uri)
    buffer = pa.BufferReader(data)
    try:
        if spec.format == "parquet":
            import pyarrow.parquet as pq

            return pq.read_table(buffer)
        if spec.format == "csv":
            import pyarrow.csv as pcsv

            options = pcsv.ConvertOptions(strings_can_be_null=True)
            return pcsv.read_csv(buffer, convert_options=options)
        import pyarrow.json as pjson

        return pjson.read_json(buffer)
    except (pa.ArrowException, OSError) as exc:
        raise DataSourceError(
            f"Cannot read {where!r} as {spec.format}: {exc}. Check the file, or "
            "register it with the right --format."
        ) from exc


def _filesystem(uri: str) -> tuple[Any, str]:
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(uri)
        return fs, str(path)
    except (ImportError, ValueError) as exc:
        raise DataSourceError(
            f"Cannot open data source {mask_uri(uri)!r}: {exc}. Install the fsspec "
            "backend for its scheme (e.g. pip install s3fs), or fix the URL."
        ) from exc


def _is_dir(fs: Any, path: str, uri: str) -> bool:
    try:
        if not fs.exists(path):
            raise DataSourceError(
                f"Data source {mask_uri(uri)!r} does not exist (no such file or "
                "folder). Check the path or URL, and that you can reach it."
            )
        return bool(fs.isdir(path))
    except DataSourceError:
        raise
    except Exception as exc:  # any backend failure: network, auth, ...
        raise _unreachable(uri, exc) from exc


def _data_files(fs: Any, path: str, uri: str) -> list[str]:
    try:
        found = sorted(fs.find(path))
    except Exception as exc:
        raise _unreachable(uri, exc) from exc
    files = [p for p in found if not Path(p).name.startswith((".", "_"))]
    if not files:
        raise DataSourceError(
            f"Folder {mask_uri(uri)!r} holds no data files. Put .csv, .parquet or "
            ".jsonl files in it (names starting with '.' or '_' are skipped)."
        )
    return files


def _read_bytes(fs: Any, path: str, uri: str) -> bytes:
    try:
        return bytes(fs.cat_file(path))
    except FileNotFoundError as exc:
        raise DataSourceError(
            f"Data source {mask_uri(uri)!r} is gone ({path} not found). Check the "
            "path, or update the dataset's URI."
        ) from exc
    except Exception as exc:
        raise _unreachable(uri, exc) from exc


def _unreachable(uri: str, exc: Exception) -> DataSourceError:
    return DataSourceError(
        f"Cannot read data source {mask_uri(uri)!r}: {type(exc).__name__}: {exc}. "
        "Check the URL, your credentials and the network."
    )


def _suffix(path: str) -> str:
    suffix = Path(path).suffix
    if not suffix:
        raise InvalidDatasetError(
            f"Cannot tell the format of {path!r} (no extension). Pass --format "
            f"with one of: {', '.join(FORMATS)}."
        )
    return suffix
