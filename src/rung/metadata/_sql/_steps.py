"""Queries on step runs, artifacts and the lineage edges between them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from rung.metadata import ArtifactRecord, LineageEdge, StepRunRecord
from rung.metadata import _rules as c
from rung.metadata._schema import artifacts, step_run_artifacts, step_runs
from rung.metadata._sql._rows import (
    artifact_from_row,
    artifact_to_row,
    edge_rows,
    step_from_row,
    step_to_row,
)
from rung.metadata._sql._runs import require_run
from rung.store import already_exists, dump_json
from rung.store.sql import id_candidates, insert_ignore, upsert

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping, Sequence

    from rung.store.sql import SqlConnection

__all__ = [
    "add_artifacts",
    "advance_step_runs",
    "diagnose_links",
    "diagnose_new_step_run",
    "find_artifact",
    "find_cached_step_run",
    "finish_step_run",
    "insert_step_run",
    "insert_step_runs",
    "lineage",
    "list_artifacts",
    "list_step_runs",
    "step_run_edges",
]

_ID: sa.BindParameter[str] = sa.bindparam("id")
_INSERT_STEP = step_runs.insert()
_STEP_COLUMN_NAMES = frozenset(col.name for col in step_runs.c) - {"id"}
_INSERT_EDGE = step_run_artifacts.insert()
_EDGE_KEYS = ("step_run_id", "direction", "name")
_STEP_EXISTS = sa.select(step_runs.c.id).where(step_runs.c.id == _ID)
_UPDATE = step_runs.update().where(step_runs.c.id == sa.bindparam("step_run_id_"))
_LINKS = sa.select(
    step_run_artifacts.c.step_run_id,
    step_run_artifacts.c.direction,
    step_run_artifacts.c.name,
    step_run_artifacts.c.artifact_id,
)
_RUN_LINKS = _LINKS.where(
    step_run_artifacts.c.step_run_id.in_(
        sa.select(step_runs.c.id).where(step_runs.c.run_id == _ID).scalar_subquery()
    )
)
_GET_ARTIFACT = sa.select(artifacts).where(artifacts.c.id == _ID)
_EDGES = sa.select(
    step_run_artifacts.c.step_run_id,
    step_runs.c.run_id,
    step_runs.c.name,
    step_run_artifacts.c.artifact_id,
    step_run_artifacts.c.direction,
    step_run_artifacts.c.name,
).join_from(step_run_artifacts, step_runs)
_EDGE_ORDER = (
    step_runs.c.started_at,
    step_runs.c.id,
    step_run_artifacts.c.direction,
    step_run_artifacts.c.name,
)


# -- step runs ------------------------------------------------------------------------


def insert_step_run(conn: SqlConnection, step_run: StepRunRecord) -> None:
    """Insert a cleaned step run; its inputs and outputs become edges."""
    conn.execute(_INSERT_STEP, step_to_row(step_run))
    _put_edges(conn, step_run, insert=True)


def insert_step_runs(conn: SqlConnection, records: Sequence[StepRunRecord]) -> None:
    """Insert cleaned step runs and their edges: two statements for them all."""
    if not records:
        return
    conn.execute(_INSERT_STEP, [step_to_row(step_run) for step_run in records])
    edges = _new_edges(records)
    if edges:
        conn.execute(_INSERT_EDGE, edges)


def diagnose_new_step_run(
    conn: sa.Connection, step_run: StepRunRecord, known: Collection[str] = ()
) -> None:
    """Raise the error that explains why inserting a step run failed.

    ``known``: artifact ids written in the same (rolled back) transaction.
    """
    require_run(conn, step_run.run_id)
    if conn.execute(_STEP_EXISTS, {"id": step_run.id}).first() is not None:
        raise already_exists("Step run", step_run.id)
    links = {*step_run.inputs.values(), *step_run.outputs.values()}
    diagnose_links(conn, links - set(known))


def diagnose_links(conn: sa.Connection, artifact_ids: Collection[str]) -> None:
    """Raise ArtifactNotFoundError for the ids that no stored artifact has."""
    missing = set(artifact_ids) - _known_artifacts(conn, artifact_ids)
    if missing:
        raise c.artifacts_not_found(sorted(missing))


def finish_step_run(
    conn: SqlConnection,
    step_run_id: str,
    changes: Mapping[str, Any],
    new_artifacts: Sequence[ArtifactRecord],
) -> StepRunRecord:
    """Add artifacts, apply cleaned changes, store new edges; return the record."""
    new = c.apply_step_changes(_load_step_run(conn, step_run_id), changes)
    add_artifacts(conn, new_artifacts)
    _put_edges(conn, new, insert=False, only=changes)
    fields = {k: v for k, v in step_to_row(new).items() if k in changes}
    if fields:
        conn.execute(_UPDATE, {"step_run_id_": step_run_id, **fields})
    return new


def advance_step_runs(
    conn: SqlConnection,
    ends: Sequence[tuple[str, Mapping[str, Any], Sequence[ArtifactRecord]]],
    starts: Sequence[StepRunRecord],
) -> None:
    """End step runs (id, cleaned changes, new artifacts) and insert new ones.

    The rows of ``finish_step_run`` and ``insert_step_runs``, with every new
    edge of both in one last statement (an upsert: a new step run has no
    edge yet), once the step runs they name are stored.
    """
    edges: list[dict[str, Any]] = []
    for step_run_id, changes, new_artifacts in ends:
        edges += _end_step_run(conn, step_run_id, changes, new_artifacts)
    if starts:
        conn.execute(_INSERT_STEP, [step_to_row(step_run) for step_run in starts])
        edges += _new_edges(starts)
    if edges:
        conn.execute(upsert(conn, step_run_artifacts, _EDGE_KEYS), edges)


def _end_step_run(
    conn: SqlConnection,
    step_run_id: str,
    changes: Mapping[str, Any],
    new_artifacts: Sequence[ArtifactRecord],
) -> list[dict[str, Any]]:
    """``finish_step_run`` that loads nothing first and leaves the edges to
    the caller: changed columns updated, new artifacts added; returns the new
    edges to upsert (the step run's other edges are already stored)."""
    fields = {k: v for k, v in changes.items() if k in _STEP_COLUMN_NAMES}
    if "params" in fields:
        fields["params"] = dump_json(fields["params"], "params")
    if fields:
        done = conn.execute(_UPDATE, {"step_run_id_": step_run_id, **fields})
        if done.rowcount == 0:
            raise c.step_run_not_found(step_run_id)
    elif conn.execute(_STEP_EXISTS, {"id": step_run_id}).first() is None:
        raise c.step_run_not_found(step_run_id)
    add_artifacts(conn, new_artifacts)
    return [
        *edge_rows(step_run_id, "input", changes.get("inputs", {})),
        *edge_rows(step_run_id, "output", changes.get("outputs", {})),
    ]


def _new_edges(records: Sequence[StepRunRecord]) -> list[dict[str, Any]]:
    return [
        edge
        for step_run in records
        for edge in (
            *edge_rows(step_run.id, "input", step_run.inputs),
            *edge_rows(step_run.id, "output", step_run.outputs),
        )
    ]


def list_step_runs(
    conn: SqlConnection, run_id: str, status: str | None = None
) -> list[StepRunRecord]:
    """Return a run's step runs in start order (only ``status`` ones, if
    given); raise if the run is unknown."""
    if status is None:
        rows = list(conn.execute(_RUN_STEPS, {"id": run_id}).mappings())
    else:
        rows = list(
            conn.execute(_RUN_STEPS_IN, {"id": run_id, "status": status}).mappings()
        )
    if not rows:
        require_run(conn, run_id)
        return []
    if status is None:
        return _with_edges(conn, rows, _RUN_LINKS, run_id)
    return [
        _from_joined_rows(
            conn.execute(_STEP_WITH_EDGES, {"id": row["id"]}).mappings().all()
        )
        for row in rows
    ]


_RUN_STEPS = (
    sa.select(step_runs)
    .where(step_runs.c.run_id == _ID)
    .order_by(step_runs.c.started_at, step_runs.c.id)
)
_RUN_STEPS_IN = _RUN_STEPS.where(step_runs.c.status == sa.bindparam("status"))


# The newest completed step run with a cache key, with its lineage edges, in
# one statement built once (cache lookups run for every step of every run).
_NEWEST_COMPLETED = (
    sa.select(step_runs.c.id)
    # A literal, not a parameter: the partial index (status = 'completed')
    # serves only a query whose condition implies it as written.
    .where(step_runs.c.cache_key == _ID, sa.text("step_runs.status = 'completed'"))
    .order_by(step_runs.c.started_at.desc(), step_runs.c.id.desc())
    .limit(1)
    .scalar_subquery()
)
_CACHED = (
    sa.select(
        step_runs,
        step_run_artifacts.c.direction.label("edge_direction"),
        step_run_artifacts.c.name.label("edge_name"),
        step_run_artifacts.c.artifact_id.label("edge_artifact"),
    )
    .outerjoin(step_run_artifacts, step_run_artifacts.c.step_run_id == step_runs.c.id)
    .where(step_runs.c.id == _NEWEST_COMPLETED)
)


# A step run with its edges (one row per edge); locked for the update that
# follows in finish_step_run.
_STEP_WITH_EDGES = (
    sa.select(
        step_runs,
        step_run_artifacts.c.direction.label("edge_direction"),
        step_run_artifacts.c.name.label("edge_name"),
        step_run_artifacts.c.artifact_id.label("edge_artifact"),
    )
    .outerjoin(step_run_artifacts, step_run_artifacts.c.step_run_id == step_runs.c.id)
    .where(step_runs.c.id == _ID)
)
_GET_STEP = _STEP_WITH_EDGES.with_for_update(of=step_runs)


def find_cached_step_run(conn: SqlConnection, cache_key: str) -> StepRunRecord | None:
    """Return the newest completed step run with this cache key, if any."""
    rows = conn.execute(_CACHED, {"id": cache_key}).mappings().all()
    if not rows:
        return None
    return _from_joined_rows(rows)


def _load_step_run(conn: SqlConnection, step_run_id: str) -> StepRunRecord:
    rows = conn.execute(_GET_STEP, {"id": step_run_id}).mappings().all()
    if not rows:
        raise c.step_run_not_found(step_run_id)
    return _from_joined_rows(rows)


def _from_joined_rows(rows: Sequence[Mapping[str, Any]]) -> StepRunRecord:
    """One step run from its rows joined with its edges (one row per edge)."""
    edges: dict[str, dict[str, str]] = {"input": {}, "output": {}}
    for row in rows:
        if row["edge_direction"] is not None:
            edges[row["edge_direction"]][row["edge_name"]] = row["edge_artifact"]
    record = {k: v for k, v in rows[0].items() if not k.startswith("edge_")}
    return step_from_row(record, edges["input"], edges["output"])


def _with_edges(
    conn: SqlConnection, rows: list[Mapping[str, Any]], links_query: Any, bind: str
) -> list[StepRunRecord]:
    links: dict[str, dict[str, dict[str, str]]] = {
        row["id"]: {"input": {}, "output": {}} for row in rows
    }
    for step_run_id, direction, name, artifact_id in conn.execute(
        links_query, {"id": bind}
    ):
        links[step_run_id][direction][name] = artifact_id
    return [
        step_from_row(row, links[row["id"]]["input"], links[row["id"]]["output"])
        for row in rows
    ]


def _put_edges(
    conn: SqlConnection,
    step_run: StepRunRecord,
    *,
    insert: bool,
    only: Collection[str] = ("inputs", "outputs"),
) -> None:
    rows = []
    if "inputs" in only:
        rows += edge_rows(step_run.id, "input", step_run.inputs)
    if "outputs" in only:
        rows += edge_rows(step_run.id, "output", step_run.outputs)
    if rows:
        stmt = _INSERT_EDGE if insert else upsert(conn, step_run_artifacts, _EDGE_KEYS)
        conn.execute(stmt, rows)


# -- artifacts and lineage ------------------------------------------------------------


def add_artifacts(conn: SqlConnection, records: Sequence[ArtifactRecord]) -> None:
    """Insert cleaned artifacts; known ids are left unchanged."""
    rows: dict[str, dict[str, Any]] = {}
    for record in records:  # the first of several records with one id wins
        rows.setdefault(record.id, artifact_to_row(record))
    if rows:
        conn.execute(insert_ignore(conn, artifacts), list(rows.values()))


def find_artifact(conn: sa.Connection, given: str) -> ArtifactRecord:
    """Return the artifact with this id or unique id prefix."""
    row = conn.execute(_GET_ARTIFACT, {"id": given}).mappings().first()
    if row is None:
        candidates = id_candidates(conn, artifacts.c.id, given)
        found = c.choose_one("artifact", given, candidates)
        row = conn.execute(_GET_ARTIFACT, {"id": found}).mappings().one()
    return artifact_from_row(row)


def list_artifacts(
    conn: sa.Connection,
    run_id: str | None,
    type_contains: str | None,
    limit: int | None,
) -> list[ArtifactRecord]:
    """Return artifacts newest first, optionally only one run's outputs."""
    query = sa.select(artifacts)
    if run_id is not None:
        outputs = (
            sa.select(step_run_artifacts.c.artifact_id)
            .join_from(step_run_artifacts, step_runs)
            .where(step_runs.c.run_id == run_id)
            .where(step_run_artifacts.c.direction == "output")
        )
        query = query.where(artifacts.c.id.in_(outputs.scalar_subquery()))
    if type_contains is not None:
        needle = sa.func.lower(artifacts.c.type)
        query = query.where(needle.contains(type_contains.lower(), autoescape=True))
    query = query.order_by(artifacts.c.created_at.desc(), artifacts.c.id.desc())
    return [
        artifact_from_row(row) for row in conn.execute(query.limit(limit)).mappings()
    ]


def lineage(conn: sa.Connection, artifact_id: str) -> list[LineageEdge]:
    """Return every edge that touches the artifact; raise if it is unknown."""
    query = _EDGES.where(step_run_artifacts.c.artifact_id == _ID).order_by(*_EDGE_ORDER)
    edges = [LineageEdge(*row) for row in conn.execute(query, {"id": artifact_id})]
    if not edges and conn.execute(_GET_ARTIFACT, {"id": artifact_id}).first() is None:
        raise c.artifact_not_found(artifact_id)
    return edges


def step_run_edges(conn: sa.Connection, step_run_id: str) -> list[LineageEdge]:
    """Return a step run's input and output edges; raise if it is unknown."""
    query = _EDGES.where(step_run_artifacts.c.step_run_id == _ID).order_by(*_EDGE_ORDER)
    edges = [LineageEdge(*row) for row in conn.execute(query, {"id": step_run_id})]
    if not edges and conn.execute(_STEP_EXISTS, {"id": step_run_id}).first() is None:
        raise c.step_run_not_found(step_run_id)
    return edges


def _known_artifacts(conn: sa.Connection, artifact_ids: Iterable[str]) -> set[str]:
    wanted = list(artifact_ids)
    if not wanted:
        return set()
    query = sa.select(artifacts.c.id).where(artifacts.c.id.in_(wanted))
    return set(conn.execute(query).scalars())
