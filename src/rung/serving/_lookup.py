"""Looking prediction ids up in the log: which exist, where, and their labels.

DuckDB reads only the ``prediction_id`` column (and the label columns) of the
model's Parquet batches, and the ids asked for are joined in as a small
Arrow table; each batch's ids are consecutive counters of one process, so
the Parquet min/max statistics let DuckDB skip most row groups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rung.errors import PredictionLogError
from rung.serving._query import batch_files, sql_list

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rung.serving.records import PredictionBatchRecord
    from rung.workspace import Workspace

__all__ = ["find_predictions", "newest_labels"]


def find_predictions(
    workspace: Workspace, ids: Sequence[str], *, model: str | None = None
) -> dict[str, PredictionBatchRecord]:
    """The batch holding each of ``ids`` that the log has (absent: unknown).

    Args:
        workspace: whose log to read.
        ids: prediction ids.
        model: look only at this model's predictions.
    """
    files = batch_files(workspace, "predictions", model=model) if ids else []
    if not files:
        return {}
    by_path = {path: batch for batch, path in files}
    # Only prediction_id is read, a string in every file: no need to unify
    # the files' schemas (union_by_name), which costs half the time.
    rows = _query(
        ids,
        "SELECT DISTINCT prediction_id, filename FROM "  # noqa: S608 - quoted paths
        f"read_parquet({sql_list(list(by_path))}, filename=true) "
        "WHERE prediction_id IN (SELECT prediction_id FROM wanted)",
    )
    return {pid: by_path[path] for pid, path in rows}


def newest_labels(
    workspace: Workspace,
    model: str,
    ids: Sequence[str],
    *,
    since: float | None = None,
) -> dict[str, Any]:
    """The label received last for each of ``ids`` that has one.

    Args:
        since: read only feedback batches with rows received from then on.
    """
    files = batch_files(workspace, "feedback", model=model, since=since) if ids else []
    if not files:
        return {}
    paths = sql_list([path for _, path in files])
    newest = "PARTITION BY prediction_id ORDER BY received_at DESC, seq DESC"
    rows = _query(
        ids,
        f"SELECT prediction_id, label FROM read_parquet({paths}, union_by_name=true) "  # noqa: S608
        "WHERE prediction_id IN (SELECT prediction_id FROM wanted) "
        f"QUALIFY row_number() OVER ({newest}) = 1",
    )
    return dict(rows)


def _query(ids: Sequence[str], sql: str) -> list[tuple[Any, ...]]:
    import duckdb
    import pyarrow as pa

    wanted = pa.table({"prediction_id": pa.array(list(ids), pa.string())})
    with duckdb.connect() as con:
        con.register("wanted", wanted)
        try:
            return con.execute(sql).fetchall()
        except duckdb.Error as exc:
            raise PredictionLogError(
                f"Cannot look prediction ids up in the log: {exc}"
            ) from exc
