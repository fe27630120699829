"""SQL sources: a table (``sqlite:///x.db?table=claims``) or a query.

Read with SQLAlchemy and pandas; the result is fingerprinted as the SHA-256
of its Arrow IPC stream (schema metadata dropped), so the same rows in the
same order give the same fingerprint whatever the database.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rung.catalog._sources import Fetched, SourceSpec, mask_uri
from rung.errors import DataSourceError, InvalidDatasetError

if TYPE_CHECKING:
    import pyarrow as pa
    import sqlalchemy as sa

__all__ = ["fetch", "resolve"]


def resolve(uri: str, query: str | None) -> SourceSpec:
    """Check a SQL source: URL, table or query, reachability.

    Raises:
        InvalidDatasetError: no table and no query, or both, or a bad URL.
        DataSourceError: the database or the table cannot be reached.
    """
    url = _parse(uri)
    table = url.query.get("table")
    if (table is None) == (query is None):
        raise InvalidDatasetError(
            f"SQL source {mask_uri(uri)!r} needs exactly one of a table "
            "(add ?table=NAME to the URL) or a query (--query 'SELECT ...')."
        )
    url = _absolute_sqlite(url)
    spec = SourceSpec("sql", url.render_as_string(hide_password=False), None, query)
    _with_connection(spec, lambda conn: _check_table(conn, spec))
    return spec


def fetch(spec: SourceSpec) -> Fetched:
    """Run the query (or read the table) and fingerprint the result."""
    table = _with_connection(spec, lambda conn: _read(conn, spec))
    digest = hashlib.sha256(_canonical_bytes(table)).hexdigest()
    return Fetched("sha256:" + digest, int(table.nbytes), table=table)


def _parse(uri: str) -> sa.URL:
    import sqlalchemy as sa

    try:
        return sa.make_url(uri)
    except sa.exc.ArgumentError as exc:
        raise InvalidDatasetError(
            f"{mask_uri(uri)!r} is not a SQLAlchemy URL. Write it like "
            "'sqlite:///data.db?table=claims' or 'postgresql+psycopg://host/db'."
        ) from exc


def _absolute_sqlite(url: sa.URL) -> sa.URL:
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return url
    return url.set(database=str(Path(database).expanduser().resolve()))


def _with_connection(spec: SourceSpec, work: Any) -> Any:
    import sqlalchemy as sa

    url = _parse(spec.uri)
    url = url.difference_update_query(["table"])
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database not in ("", ":memory:"):
        if not Path(database).is_file():
            raise DataSourceError(
                f"SQLite database {database!r} does not exist. Check the path in "
                f"{mask_uri(spec.uri)!r}."
            )
    try:
        engine = sa.create_engine(url)
    except (sa.exc.NoSuchModuleError, ImportError) as exc:
        raise DataSourceError(
            f"No driver for {mask_uri(spec.uri)!r}: {exc}. Install the database "
            "driver (e.g. pip install 'psycopg[binary]')."
        ) from exc
    try:
        with engine.connect() as conn:
            return work(conn)
    except Exception as exc:
        # pandas wraps the driver's error in its own DatabaseError.
        cause = exc if isinstance(exc, sa.exc.SQLAlchemyError) else exc.__cause__
        if not isinstance(cause, sa.exc.SQLAlchemyError):
            raise
        reason = str(getattr(cause, "orig", None) or cause).strip().splitlines()[0]
        raise DataSourceError(
            f"Cannot read SQL source {mask_uri(spec.uri)!r}: {reason}. Check the "
            "URL, the table or query, and that the database is running."
        ) from exc
    finally:
        engine.dispose()


def _check_table(conn: sa.Connection, spec: SourceSpec) -> None:
    import sqlalchemy as sa

    table = _table_name(spec)
    if table is None:
        return
    names = sa.inspect(conn).get_table_names()
    if table not in names:
        raise DataSourceError(
            f"Database {mask_uri(spec.uri)!r} has no table {table!r}. Its tables "
            f"are: {', '.join(sorted(names)) or '(none)'}."
        )


def _read(conn: sa.Connection, spec: SourceSpec) -> pa.Table:
    import pandas as pd
    import pyarrow as pa
    import sqlalchemy as sa

    _check_table(conn, spec)
    table = _table_name(spec)
    statement: Any
    if table is not None:
        statement = sa.select(sa.table(table, *_columns(conn, table)))
    else:
        statement = sa.text(spec.query or "")
    frame = pd.read_sql_query(statement, conn)
    return pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata()


def _columns(conn: sa.Connection, table: str) -> list[Any]:
    import sqlalchemy as sa

    return [sa.column(c["name"]) for c in sa.inspect(conn).get_columns(table)]


def _table_name(spec: SourceSpec) -> str | None:
    if spec.query is not None:
        return None
    value = _parse(spec.uri).query.get("table")
    return value if isinstance(value, str) else None


def _canonical_bytes(table: pa.Table) -> bytes:
    import pyarrow as pa

    canonical = table.replace_schema_metadata().combine_chunks()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, canonical.schema) as writer:
        writer.write_table(canonical)
    return bytes(sink.getvalue())
