"""Conversions between records and table rows, and dialect-specific inserts."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa

from rung.metadata._common import MAX_CANDIDATES, MIN_PREFIX, dump_json, load_json
from rung.metadata.base import ArtifactRecord, RunRecord, StepRunRecord
from rung.metadata.sql.schema import artifacts, runs, step_runs

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "artifact_from_row",
    "artifact_to_row",
    "edge_rows",
    "id_candidates",
    "insert_ignore",
    "run_from_row",
    "run_to_row",
    "step_from_row",
    "step_to_row",
    "upsert",
]

Direction = Literal["input", "output"]
_RUN_COLUMNS = tuple(col.name for col in runs.c)
_STEP_COLUMNS = tuple(col.name for col in step_runs.c)
_ARTIFACT_COLUMNS = tuple(col.name for col in artifacts.c)


def run_to_row(run: RunRecord) -> dict[str, Any]:
    """Return the ``runs`` row of a cleaned run (params and tags not included)."""
    row = {name: getattr(run, name) for name in _RUN_COLUMNS}
    row["config"] = dump_json(run.config, "config")
    return row


def run_from_row(
    row: sa.RowMapping, params: dict[str, Any], tags: dict[str, str]
) -> RunRecord:
    """Return the run stored in a ``runs`` row."""
    values = dict(row)
    values["config"] = load_json(values["config"])
    return RunRecord(**values, params=params, tags=tags)


def step_to_row(step_run: StepRunRecord) -> dict[str, Any]:
    """Return the ``step_runs`` row of a cleaned step run (no edges)."""
    row = {name: getattr(step_run, name) for name in _STEP_COLUMNS}
    row["params"] = dump_json(step_run.params, "params")
    return row


def step_from_row(
    row: Mapping[Any, Any], inputs: dict[str, str], outputs: dict[str, str]
) -> StepRunRecord:
    """Return the step run stored in a ``step_runs`` row and its edges."""
    values = dict(row)
    values["params"] = load_json(values["params"])
    return StepRunRecord(**values, inputs=inputs, outputs=outputs)


def artifact_to_row(artifact: ArtifactRecord) -> dict[str, Any]:
    """Return the ``artifacts`` row of a cleaned artifact."""
    row = {name: getattr(artifact, name) for name in _ARTIFACT_COLUMNS}
    row["metadata"] = dump_json(artifact.metadata, "metadata")
    return row


def artifact_from_row(row: sa.RowMapping) -> ArtifactRecord:
    """Return the artifact stored in an ``artifacts`` row."""
    values = dict(row)
    values["metadata"] = load_json(values["metadata"])
    return ArtifactRecord(**values)


def edge_rows(
    step_run_id: str, direction: Direction, links: Mapping[str, str]
) -> list[dict[str, str]]:
    """Return ``step_run_artifacts`` rows for a name -> artifact id mapping."""
    return [
        {
            "step_run_id": step_run_id,
            "direction": direction,
            "name": name,
            "artifact_id": aid,
        }
        for name, aid in links.items()
    ]


def id_candidates(conn: sa.Connection, column: sa.Column[str], given: str) -> list[str]:
    """Return up to ``MAX_CANDIDATES`` ids starting with ``given`` (if long enough).

    ``substr`` equality, unlike ``LIKE``, is case-sensitive on both SQLite and
    PostgreSQL and needs no escaping.
    """
    if len(given) < MIN_PREFIX:
        return []
    matches = sa.func.substr(column, 1, len(given)) == given
    query = sa.select(column).where(matches).limit(MAX_CANDIDATES)
    return list(conn.execute(query).scalars())


def insert_ignore(conn: sa.Connection, table: sa.Table) -> Any:
    """Return ``INSERT ... ON CONFLICT DO NOTHING`` for the connection's dialect."""
    return _insert_ignore(conn.dialect.name, table)


def upsert(conn: sa.Connection, table: sa.Table, keys: Iterable[str]) -> Any:
    """Return an insert that updates the non-key columns of existing rows."""
    return _upsert(conn.dialect.name, table, tuple(keys))


@functools.cache
def _insert_ignore(dialect: str, table: sa.Table) -> Any:
    return _dialect_insert(dialect)(table).on_conflict_do_nothing()


@functools.cache
def _upsert(dialect: str, table: sa.Table, keys: tuple[str, ...]) -> Any:
    stmt = _dialect_insert(dialect)(table)
    values = {
        col.name: stmt.excluded[col.name] for col in table.c if col.name not in keys
    }
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=values)


def _dialect_insert(dialect: str) -> Any:
    # Both dialects spell upserts the same way, through different classes.
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert
