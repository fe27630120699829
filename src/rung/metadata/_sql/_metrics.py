"""Queries on metrics and installed-package locks (environments).

Metric rows are keyed by ``(run_id, seq)``: ``seq`` numbers a run's values in
logging order. A write transaction finds each run's next number (one indexed
``max`` per run; on PostgreSQL after locking the run row, so that concurrent
writers of one run take turns) and numbers its rows from there.
"""

from __future__ import annotations

import json
import math
import time
from itertools import repeat
from typing import TYPE_CHECKING

import sqlalchemy as sa

from rung.metadata import MetricRecord
from rung.metadata import _rules as c
from rung.metadata._schema import environments, metrics, runs, step_runs
from rung.metadata._sql._runs import require_run
from rung.store import dump_json, load_json
from rung.store.sql import insert_ignore

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from rung.metadata import MetricBatch
    from rung.store.sql import SqlConnection

__all__ = [
    "RunSequences",
    "copy_step_metrics",
    "diagnose_metrics",
    "get_environment",
    "get_metrics",
    "insert_batches",
    "insert_metrics",
    "latest_metrics",
    "put_environment",
    "step_metric_spans",
]

_CHUNK = 500
_COLUMNS = ("run_id", "seq", "step_run_id", "key", "value", "step", "timestamp")
NumberedRow = tuple[str, int, str | None, str, float, int | None, float]
# SQLite: hand the rows to the driver's executemany as tuples, skipping the
# per-row dict handling of Core (about twice as fast for large batches).
_SQLITE_INSERT = (
    "INSERT INTO metrics (run_id, seq, step_run_id, key, value, step, timestamp) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
# SQLite, one statement per batch: the values travel as one JSON object and
# json_each unpacks them in C, about twice as fast as executemany, which
# binds every row from Python. json_each walks the object in order and
# numbers its members 0, 1, 2... (rowid), so seq follows logging order.
_SQLITE_JSON_INSERT = (
    "INSERT INTO metrics (run_id, seq, step_run_id, key, value, step, timestamp) "
    "SELECT ?, ? + j.rowid, ?, j.key, j.value, ?, ? FROM json_each(?) AS j"
)
# Below this many values a batch joins the executemany rows. Measured (CPU,
# 40,000 values in batches of n): executemany wins up to n = 8, json_each
# from n = 16 (1.3x) to n = 1,000 (2x).
_JSON_MIN_VALUES = 16
_PG_COPY = (
    "COPY metrics (run_id, seq, step_run_id, key, value, step, timestamp) FROM STDIN"
)
_HISTORY = sa.select(
    metrics.c.run_id,
    metrics.c.key,
    metrics.c.value,
    metrics.c.timestamp,
    metrics.c.step,
    metrics.c.step_run_id,
).order_by(metrics.c.seq)
_LAST_SEQ = sa.select(sa.func.max(metrics.c.seq)).where(
    metrics.c.run_id == sa.bindparam("run_id")
)
_LOCK_RUN = (
    sa.select(runs.c.id)
    .where(runs.c.id == sa.bindparam("run_id"))
    .with_for_update(key_share=True)
)
_GET_ENV = sa.select(environments.c.packages).where(
    environments.c.hash == sa.bindparam("h")
)


class RunSequences:
    """Hands out each run's next ``seq`` numbers within one write transaction.

    A run's last number is read (one indexed ``max``) the first time it is
    needed. On PostgreSQL the run rows are locked first (NO KEY UPDATE, so
    foreign-key checks still pass), so that concurrent writers of one run
    take turns; SQLite writers already hold the database's write lock.

    Args:
        conn: the write transaction.
    """

    def __init__(self, conn: SqlConnection) -> None:
        self._conn = conn
        self._next: dict[str, int] = {}

    def load(self, run_ids: Iterable[str]) -> None:
        """Read the next numbers of these runs (locking them in id order)."""
        wanted = sorted(set(run_ids) - self._next.keys())
        if not wanted:
            return
        if self._conn.dialect.name == "postgresql":
            for run_id in wanted:  # in id order: writers never wait in a circle
                self._conn.execute(_LOCK_RUN, {"run_id": run_id})
        for run_id in wanted:
            last = self._conn.execute(_LAST_SEQ, {"run_id": run_id}).scalar()
            self._next[run_id] = 0 if last is None else int(last) + 1

    def take(self, run_id: str, count: int) -> int:
        """Reserve ``count`` numbers of ``run_id``; return the first."""
        if run_id not in self._next:
            self.load([run_id])
        first = self._next[run_id]
        self._next[run_id] = first + count
        return first


def insert_metrics(conn: sa.Connection, rows: Sequence[c.MetricRow]) -> None:
    """Insert metric rows (``_rules.metric_rows`` order) in one batch."""
    sequences = RunSequences(conn)
    sequences.load(row[0] for row in rows)
    _insert_rows(
        conn,
        [
            (run_id, sequences.take(run_id, 1), step_run_id, key, value, step, ts)
            for run_id, step_run_id, key, value, step, ts in rows
        ],
    )


def insert_batches(conn: sa.Connection, batches: Sequence[MetricBatch]) -> None:
    """Insert batches (``_rules.clean_metric_batches``), numbered in order."""
    sequences = RunSequences(conn)
    sequences.load(batch.run_id for batch in batches)
    is_sqlite = conn.dialect.name == "sqlite"
    rows: list[NumberedRow] = []
    for batch in batches:
        values, run_id = batch.values, batch.run_id
        count = len(values)
        first = sequences.take(run_id, count)
        if count == 1:  # the common case of rung.log_metric, kept cheap
            ((key, value),) = values.items()
            rows.append(
                (
                    run_id,
                    first,
                    batch.step_run_id,
                    key,
                    value,
                    batch.step,
                    batch.timestamp,
                )
            )
            continue
        document = _json(values) if is_sqlite and count >= _JSON_MIN_VALUES else None
        if document is None:
            rows.extend(
                zip(
                    repeat(run_id),
                    range(first, first + count),
                    repeat(batch.step_run_id),
                    values.keys(),
                    values.values(),
                    repeat(batch.step),
                    repeat(batch.timestamp),
                )
            )
        else:
            conn.exec_driver_sql(
                _SQLITE_JSON_INSERT,
                (
                    run_id,
                    first,
                    batch.step_run_id,
                    batch.step,
                    batch.timestamp,
                    document,
                ),
            )
    if rows:
        _insert_rows(conn, rows)


def _json(values: Mapping[str, float]) -> str | None:
    try:
        return json.dumps(values, allow_nan=False)
    except ValueError:  # NaN or infinity: JSON has no word for them
        return None


def _insert_rows(conn: sa.Connection, rows: Sequence[NumberedRow]) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(_SQLITE_INSERT, list(rows))
    elif conn.dialect.driver == "psycopg":
        _copy_metrics(conn, rows)
    else:
        conn.execute(
            metrics.insert(), [dict(zip(_COLUMNS, row, strict=True)) for row in rows]
        )


def _copy_metrics(conn: sa.Connection, rows: Sequence[NumberedRow]) -> None:
    # COPY is ~2.5x faster than executemany on PostgreSQL for 1,000 rows. It
    # bypasses SQLAlchemy, so wrap driver errors the way SQLAlchemy would.
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        with conn.connection.dbapi_connection.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(_PG_COPY) as copy:
                for row in rows:
                    copy.write_row(row)
    except dbapi_error as error:
        raise sa.exc.DBAPIError.instance(_PG_COPY, None, error, dbapi_error) from error


def diagnose_metrics(
    conn: sa.Connection, ids: Iterable[tuple[str, str | None]]
) -> None:
    """Raise the error for the first unknown run or step run among the ids.

    ``ids`` are (run_id, step_run_id) pairs, step_run_id None outside steps.
    """
    pairs = set(ids)
    run_ids = {run_id for run_id, _step_run_id in pairs}
    missing = run_ids - _existing(conn, runs, run_ids)
    if missing:
        raise c.run_not_found(min(missing))
    step_run_ids = {step_run_id for _run_id, step_run_id in pairs if step_run_id}
    missing = step_run_ids - _existing(conn, step_runs, step_run_ids)
    if missing:
        raise c.step_run_not_found(min(missing))


# One source at a time: a statement of fixed shape runs on the direct path
# (the index on step_run_id answers each in microseconds).
_SOURCE_SPAN = sa.select(sa.func.min(metrics.c.seq), sa.func.max(metrics.c.seq)).where(
    metrics.c.step_run_id == sa.bindparam("source")
)
_COPY_STEP_METRICS = metrics.insert().from_select(
    list(_COLUMNS),
    sa.select(
        sa.bindparam("run_id", type_=sa.String()),
        # Keeps the source's order; numbers stay unique (and increasing) in
        # the target run even if the source's have gaps.
        sa.bindparam("first", type_=sa.BigInteger()) + metrics.c.seq,
        sa.bindparam("step_run_id", type_=sa.String()),
        metrics.c.key,
        metrics.c.value,
        metrics.c.step,
        metrics.c.timestamp,
    ).where(metrics.c.step_run_id == sa.bindparam("source")),
)


def step_metric_spans(
    conn: SqlConnection, step_run_ids: Iterable[str]
) -> dict[str, tuple[int, int]]:
    """First and last ``seq`` of the metrics of each step run that has some.

    One query for all the sources of a run's cache hits: most cached steps
    logged nothing, and then cost no copy at all.
    """
    spans: dict[str, tuple[int, int]] = {}
    for step_run_id in sorted(set(step_run_ids)):
        low, high = conn.execute(_SOURCE_SPAN, {"source": step_run_id}).one()
        if low is not None:
            spans[step_run_id] = (int(low), int(high))
    return spans


def copy_step_metrics(
    conn: SqlConnection,
    source: tuple[str, tuple[int, int]],
    run_id: str,
    step_run_id: str,
    sequences: RunSequences,
) -> None:
    """Copy the metrics one step run logged into another run and step run.

    ``source`` is the step run and its span (:func:`step_metric_spans`);
    ``sequences`` numbers the copies (share one within a transaction).
    """
    source_id, (low, high) = source
    first = sequences.take(run_id, high - low + 1)
    conn.execute(
        _COPY_STEP_METRICS,
        {
            "run_id": run_id,
            "step_run_id": step_run_id,
            "source": source_id,
            "first": first - low,
        },
    )


def get_metrics(
    conn: sa.Connection, run_id: str, key: str | None
) -> list[MetricRecord]:
    """Return a run's metric history in logging order; raise if it is unknown."""
    query = _HISTORY.where(metrics.c.run_id == run_id)
    if key is not None:
        query = query.where(metrics.c.key == key)
    found = [
        MetricRecord(r, k, math.nan if v is None else v, t, s, sr)
        for r, k, v, t, s, sr in conn.execute(query)
    ]
    if not found:
        require_run(conn, run_id)
    return found


def latest_metrics(
    conn: sa.Connection, run_ids: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Return, per run, the last value logged for each key (by logging order)."""
    latest: dict[str, dict[str, float]] = {run_id: {} for run_id in run_ids}
    wanted = list(latest)
    for start in range(0, len(wanted), _CHUNK):
        last = (
            sa.select(metrics.c.run_id, sa.func.max(metrics.c.seq).label("seq"))
            .where(metrics.c.run_id.in_(wanted[start : start + _CHUNK]))
            .group_by(metrics.c.run_id, metrics.c.key)
            .subquery()
        )
        query = sa.select(metrics.c.run_id, metrics.c.key, metrics.c.value).join(
            last,
            sa.and_(metrics.c.run_id == last.c.run_id, metrics.c.seq == last.c.seq),
        )
        for run_id, key, value in conn.execute(query):
            latest[run_id][key] = math.nan if value is None else value
    return latest


def put_environment(
    conn: sa.Connection, env_hash: str, packages: Mapping[str, str]
) -> None:
    """Store a cleaned lock under its hash unless one is there already."""
    row = {
        "hash": env_hash,
        "packages": dump_json(dict(packages), "packages"),
        "created_at": time.time(),
    }
    conn.execute(insert_ignore(conn, environments), row)


def get_environment(conn: sa.Connection, env_hash: str) -> dict[str, str]:
    """Return the lock stored under the hash, or raise EnvironmentNotFoundError."""
    text = conn.execute(_GET_ENV, {"h": env_hash}).scalar()
    if text is None:
        raise c.environment_not_found(env_hash)
    return dict(load_json(text))


def _existing(conn: sa.Connection, table: sa.Table, ids: set[str]) -> set[str]:
    query = sa.select(table.c.id).where(table.c.id.in_(sorted(ids)))
    return set(conn.execute(query).scalars())
