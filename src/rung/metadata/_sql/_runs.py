"""Queries on runs, their params and tags, and pipeline summaries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from rung.metadata import PipelineSummary, RunRecord
from rung.metadata import _rules as c
from rung.metadata._schema import run_params, run_tags, runs
from rung.metadata._sql._rows import run_from_row, run_to_row
from rung.store import already_exists, dump_json, load_json
from rung.store.sql import id_candidates, upsert

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from rung.store.sql import SqlConnection

__all__ = [
    "diagnose_new_run",
    "find_run",
    "insert_run",
    "list_pipelines",
    "list_runs",
    "load_run",
    "require_run",
    "update_run",
]

_ID: sa.BindParameter[str] = sa.bindparam("id")
_GET = sa.select(runs).where(runs.c.id == _ID)
# Row lock on PostgreSQL so concurrent updates of one run merge in turn
# (SQLite renders no FOR UPDATE: BEGIN IMMEDIATE already serializes writers).
_GET_FOR_UPDATE = _GET.with_for_update()
_EXISTS = sa.select(runs.c.id).where(runs.c.id == _ID)
_UPDATE = runs.update().where(runs.c.id == sa.bindparam("run_id_"))
_NEWEST_FIRST = (runs.c.started_at.desc(), runs.c.id.desc())
# Built once: the direct path compiles each statement object once.
_INSERT = runs.insert()
_INSERT_PARAMS = run_params.insert()
_INSERT_TAGS = run_tags.insert()


def _params_and_tags(where: Any) -> sa.CompoundSelect[Any]:
    # One query for both: each statement costs more in SQLAlchemy than in SQLite.
    def part(kind: str, table: sa.Table) -> sa.Select[Any]:
        columns = (table.c.run_id, table.c.key, table.c.value)
        return sa.select(sa.literal_column(f"'{kind}'"), *columns).where(where(table))

    return sa.union_all(part("p", run_params), part("t", run_tags))


_ONE_RUN_EXTRAS = _params_and_tags(lambda table: table.c.run_id == _ID)


def insert_run(conn: SqlConnection, run: RunRecord) -> None:
    """Insert a cleaned run with its params and tags."""
    conn.execute(_INSERT, run_to_row(run))
    _put_params(conn, run.id, run.params, insert=True)
    _put_tags(conn, run.id, run.tags, insert=True)


def diagnose_new_run(conn: sa.Connection, run_id: str) -> None:
    """Raise the error that explains why inserting the run failed."""
    if conn.execute(_EXISTS, {"id": run_id}).first() is not None:
        raise already_exists("Run", run_id)


def require_run(conn: SqlConnection, run_id: str) -> None:
    """Raise RunNotFoundError unless a run has exactly this id."""
    if conn.execute(_EXISTS, {"id": run_id}).first() is None:
        raise c.run_not_found(run_id)


def load_run(conn: SqlConnection, run_id: str, *, lock: bool = False) -> RunRecord:
    """Return the run with exactly this id, or raise RunNotFoundError."""
    row = (
        conn.execute(_GET_FOR_UPDATE if lock else _GET, {"id": run_id})
        .mappings()
        .first()
    )
    if row is None:
        raise c.run_not_found(run_id)
    return _assemble(conn, [row], _ONE_RUN_EXTRAS, {"id": run_id})[0]


def find_run(conn: SqlConnection, given: str) -> RunRecord:
    """Return the run with this id or unique id prefix."""
    if conn.execute(_EXISTS, {"id": given}).first() is None:
        given = c.choose_one("run", given, id_candidates(conn, runs.c.id, given))
    return load_run(conn, given)


def update_run(
    conn: SqlConnection, run_id: str, changes: Mapping[str, Any]
) -> RunRecord:
    """Apply cleaned changes (params and tags merge); return the new run."""
    new = c.apply_run_changes(load_run(conn, run_id, lock=True), changes)
    fields = {k: v for k, v in run_to_row(new).items() if k in changes}
    if fields:
        conn.execute(_UPDATE, {"run_id_": run_id, **fields})
    _put_params(conn, run_id, changes.get("params", {}), insert=False)
    _put_tags(conn, run_id, changes.get("tags", {}), insert=False)
    return new


def list_runs(
    conn: sa.Connection,
    project: str | None,
    pipeline: str | None,
    status: str | None,
    limit: int | None,
) -> list[RunRecord]:
    """Return runs, newest first, filtered by the fields that are not None."""
    filters = [
        col == value
        for col, value in ((runs.c.project, project), (runs.c.pipeline, pipeline))
        if value is not None
    ]
    if status is not None:
        filters.append(runs.c.status == status)
    query = sa.select(runs).where(*filters).order_by(*_NEWEST_FIRST).limit(limit)
    rows = list(conn.execute(query).mappings())
    if not rows:
        return []
    ids = sa.select(runs.c.id).where(*filters).order_by(*_NEWEST_FIRST).limit(limit)
    extras = _params_and_tags(lambda table: table.c.run_id.in_(ids.scalar_subquery()))
    return _assemble(conn, rows, extras, {})


def list_pipelines(conn: sa.Connection, project: str | None) -> list[PipelineSummary]:
    """Return one summary per (pipeline, project) with runs, ordered by name."""
    group = (runs.c.pipeline, runs.c.project)
    ranked = (
        sa.select(
            runs.c.pipeline,
            runs.c.project,
            sa.func.count().over(partition_by=group).label("runs"),
            runs.c.id,
            runs.c.status,
            runs.c.started_at,
            runs.c.source,
            sa.func.row_number()
            .over(partition_by=group, order_by=_NEWEST_FIRST)
            .label("rank"),
        )
        .where(runs.c.pipeline.is_not(None))
        .where(*([runs.c.project == project] if project is not None else []))
        .subquery()
    )
    query = (
        sa.select(ranked)
        .where(ranked.c.rank == 1)
        .order_by(ranked.c.pipeline, ranked.c.project)
    )
    return [PipelineSummary(*row[:7]) for row in conn.execute(query)]


def _assemble(
    conn: SqlConnection,
    rows: Sequence[Mapping[Any, Any]],
    extras: sa.CompoundSelect[Any],
    bind: dict[str, Any],
) -> list[RunRecord]:
    params: dict[str, dict[str, Any]] = {row["id"]: {} for row in rows}
    tags: dict[str, dict[str, str]] = {row["id"]: {} for row in rows}
    for kind, run_id, key, value in conn.execute(extras, bind):
        if kind == "p":
            params[run_id][key] = load_json(value)
        else:
            tags[run_id][key] = value
    return [run_from_row(row, params[row["id"]], tags[row["id"]]) for row in rows]


def _put_params(
    conn: SqlConnection, run_id: str, params: Mapping[str, Any], *, insert: bool
) -> None:
    rows = [
        {"run_id": run_id, "key": key, "value": dump_json(value, f"params[{key!r}]")}
        for key, value in params.items()
    ]
    if rows:
        stmt = _INSERT_PARAMS if insert else upsert(conn, run_params, ("run_id", "key"))
        conn.execute(stmt, rows)


def _put_tags(
    conn: SqlConnection, run_id: str, tags: Mapping[str, str], *, insert: bool
) -> None:
    rows = [
        {"run_id": run_id, "key": key, "value": value} for key, value in tags.items()
    ]
    if rows:
        stmt = _INSERT_TAGS if insert else upsert(conn, run_tags, ("run_id", "key"))
        conn.execute(stmt, rows)
