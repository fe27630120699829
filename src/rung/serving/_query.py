"""Reading the prediction log with DuckDB, straight from the Parquet batches.

The metadata index picks the files (model, version, time range); DuckDB reads
only those, with the filters pushed into the Parquet scan, and joins the
newest label per prediction id. Nothing is loaded into pandas before the
result: :func:`read_predictions` converts only the rows it returns.

The SQL is assembled from literals only Rung writes: file paths and model
names go through :func:`_text` (quotes doubled), numbers through ``int`` and
``float``, column names through :func:`_ident`. (DuckDB views cannot take
bound parameters, and :func:`prediction_relation` returns a view.)
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rung.errors import PredictionLogError
from rung.serving._write import BASE_COLUMNS, DATA_FILE

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from rung.serving.records import PredictionBatchRecord
    from rung.workspace import Workspace

__all__ = [
    "batch_files",
    "prediction_relation",
    "query_predictions",
    "read_predictions",
    "sql_list",
]

_log = logging.getLogger("rung.serving")
_EMPTY = (
    "SELECT NULL::VARCHAR AS prediction_id, NULL::DOUBLE AS timestamp, "
    "NULL::VARCHAR AS model, NULL::BIGINT AS version, NULL AS prediction "
    "WHERE false"
)


def prediction_relation(
    workspace: Workspace,
    model: str | None = None,
    version: int | None = None,
    since: float | None = None,
    until: float | None = None,
    *,
    with_labels: bool = True,
    connection: duckdb.DuckDBPyConnection | None = None,
    name: str = "predictions",
    deployment_id: str | None = None,
) -> duckdb.DuckDBPyRelation:
    """The prediction log as a DuckDB relation (and a view named ``name``).

    Use it for windows too large for pandas: aggregate in SQL, fetch little.

    Args:
        workspace: the workspace whose log to read.
        model / version: keep one model (and one version).
        since / until: keep rows with ``since <= timestamp < until`` (POSIX s).
        with_labels: add a ``label`` column: the newest feedback per id.
        connection: the DuckDB connection to create the view on (default: a
            new in-memory one, kept alive by the relation).
        name: the view's name.
        deployment_id: keep the rows one deployment logged.

    Returns:
        A relation with ``prediction_id, timestamp, model, version``, the input
        columns, ``prediction``, ``proba_<class>`` columns and ``label``.

    Example:
        >>> rel = prediction_relation(ws, "churn")  # doctest: +SKIP
        >>> rel.aggregate("avg(prediction)").fetchall()  # doctest: +SKIP
    """
    import duckdb

    con = connection if connection is not None else duckdb.connect()
    sql = _predictions_sql(workspace, model, version, since, until, deployment_id)
    if with_labels:
        sql = _with_labels(workspace, sql, model, since)
    try:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {_ident(name)} AS {sql}")
    except duckdb.Error as exc:
        raise PredictionLogError(f"Cannot read the prediction log: {exc}") from exc
    return con.table(name)


def read_predictions(  # noqa: PLR0917 - the signature monitoring reads
    workspace: Workspace,
    model: str | None = None,
    version: int | None = None,
    since: float | None = None,
    until: float | None = None,
    last_n: int | None = None,
    with_labels: bool = True,
    *,
    deployment_id: str | None = None,
) -> pd.DataFrame:
    """Logged predictions as a DataFrame, oldest first.

    Args:
        workspace: the workspace whose log to read.
        model / version: keep one model (and one version).
        since / until: keep rows with ``since <= timestamp < until`` (POSIX s).
        last_n: keep only the newest ``n`` rows (after the other filters).
        with_labels: add a ``label`` column (None where no feedback came).
        deployment_id: keep the rows one deployment logged.

    Returns:
        Columns ``prediction_id, timestamp, model, version``, one per input
        feature, ``prediction``, ``proba_<class>`` for classifiers, ``label``.

    Example:
        >>> df = read_predictions(ws, "churn", last_n=1000)  # doctest: +SKIP
        >>> (df["prediction"] == df["label"]).mean()  # doctest: +SKIP
    """
    import duckdb

    with duckdb.connect() as con:
        rel = prediction_relation(
            workspace,
            model,
            version,
            since,
            until,
            with_labels=with_labels,
            connection=con,
            deployment_id=deployment_id,
        )
        order = _column_order(rel.columns)
        select = ", ".join(_ident(c) for c in order)
        sql = f"SELECT {select} FROM predictions"  # noqa: S608
        if last_n is not None:
            sql = (
                f"SELECT * FROM ({sql} ORDER BY timestamp DESC, prediction_id DESC "  # noqa: S608
                f"LIMIT {max(int(last_n), 0)})"
            )
        return con.execute(f"{sql} ORDER BY timestamp, prediction_id").df()


def query_predictions(
    workspace: Workspace, sql: str, *, model: str | None = None
) -> pd.DataFrame:
    """Run SQL over views ``predictions`` (with labels), ``feedback`` (the
    newest label per id) and ``feedback_history`` (every label received:
    ``user``, ``previous_label`` for the ones that replaced another).

    Example:
        >>> query_predictions(ws, "SELECT version, count(*) FROM predictions "
        ...                   "GROUP BY version")  # doctest: +SKIP
    """
    import duckdb

    with duckdb.connect() as con:
        prediction_relation(workspace, model, connection=con)
        con.execute(
            f"CREATE TEMP VIEW feedback AS {_feedback_sql(workspace, model, None)}"
        )
        history = _feedback_sql(workspace, model, None, history=True)
        con.execute(f"CREATE TEMP VIEW feedback_history AS {history}")
        try:
            return con.execute(sql).df()
        except duckdb.Error as exc:
            raise PredictionLogError(
                f"The query failed: {exc}. Tables: predictions (prediction_id, "
                "timestamp, model, version, inputs..., prediction, proba_*, label), "
                "feedback (prediction_id, label, received_at) and "
                "feedback_history (... user, previous_label)."
            ) from exc


def _predictions_sql(  # noqa: PLR0917
    workspace: Workspace,
    model: str | None,
    version: int | None,
    since: float | None,
    until: float | None,
    deployment_id: str | None = None,
) -> str:
    files = _files(
        workspace, "predictions", model, version, since, until, deployment_id
    )
    if not files:
        return _EMPTY
    where = []
    if model is not None:
        where.append(f"model = {_text(model)}")
    if version is not None:
        where.append(f"version = {int(version)}")
    if since is not None:
        where.append(f"timestamp >= {float(since)!r}")
    if until is not None:
        where.append(f"timestamp < {float(until)!r}")
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    scan = f"read_parquet({sql_list(files)}, union_by_name=true)"
    return f"SELECT * FROM {scan}{clause}"  # noqa: S608


def _feedback_sql(
    workspace: Workspace,
    model: str | None,
    since: float | None,
    *,
    history: bool = False,
) -> str:
    # Labels for predictions made after ``since`` arrived after it too.
    files = _files(workspace, "feedback", model, None, since, None)
    if not files:
        extra = ", NULL::VARCHAR AS user, NULL::VARCHAR AS previous_label"
        return (
            "SELECT NULL::VARCHAR AS prediction_id, NULL AS label, "
            f"NULL::DOUBLE AS received_at{extra if history else ''} WHERE false"
        )
    scan = f"read_parquet({sql_list(files)}, union_by_name=true)"
    if history:
        return f"SELECT * FROM {scan}"  # noqa: S608
    newest = "PARTITION BY prediction_id ORDER BY received_at DESC, seq DESC"
    return (
        f"SELECT prediction_id, label, received_at FROM {scan} "  # noqa: S608
        f"QUALIFY row_number() OVER ({newest}) = 1"
    )


def _with_labels(
    workspace: Workspace, sql: str, model: str | None, since: float | None
) -> str:
    labels = _feedback_sql(workspace, model, since)
    join = f"({sql}) AS p LEFT JOIN ({labels}) AS f"
    return f"SELECT p.*, f.label FROM {join} ON p.prediction_id = f.prediction_id"  # noqa: S608


def _files(  # noqa: PLR0917
    workspace: Workspace,
    kind: str,
    model: str | None,
    version: int | None,
    since: float | None,
    until: float | None,
    deployment_id: str | None = None,
) -> list[str]:
    return [
        path
        for _, path in batch_files(
            workspace,
            kind,
            model=model,
            version=version,
            since=since,
            until=until,
            deployment_id=deployment_id,
        )
    ]


def batch_files(
    workspace: Workspace,
    kind: str,
    *,
    model: str | None = None,
    version: int | None = None,
    since: float | None = None,
    until: float | None = None,
    deployment_id: str | None = None,
) -> list[tuple[PredictionBatchRecord, str]]:
    """The indexed batches of the log and the local paths of their files."""
    batches = workspace.deployments.list_prediction_batches(
        project=workspace.project,
        kind=kind,
        model=model,
        version=version,
        deployment_id=deployment_id,
        since=since,
        until=until,
    )
    found = []
    for batch in batches:
        try:
            path = workspace.artifacts.open_folder(batch.uri) / DATA_FILE
        except LookupError:
            _log.warning(
                "Prediction log batch %s is indexed but its file is gone (%s).",
                batch.id,
                batch.uri,
            )
            continue
        found.append((batch, str(path)))
    return found


def _column_order(columns: list[str]) -> list[str]:
    tail = ["prediction", *sorted(c for c in columns if c.startswith("proba_"))]
    tail += ["label"] if "label" in columns else []
    head = [c for c in BASE_COLUMNS if c in columns]
    middle = [c for c in columns if c not in head and c not in tail]
    return [*head, *middle, *[c for c in tail if c in columns]]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_list(paths: list[str]) -> str:
    """A DuckDB list literal of quoted strings (file paths)."""
    return "[" + ", ".join(_text(p) for p in paths) + "]"
