"""Dialect-specific inserts and id-prefix lookups, for every domain's SQL."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from rung.store._rules import MAX_CANDIDATES, MIN_PREFIX

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rung.store.sql._direct import SqlConnection

__all__ = ["id_candidates", "insert_ignore", "upsert"]


def id_candidates(conn: SqlConnection, column: sa.Column[str], given: str) -> list[str]:
    """Return up to ``MAX_CANDIDATES`` ids starting with ``given`` (if long enough).

    ``substr`` equality, unlike ``LIKE``, is case-sensitive on both SQLite and
    PostgreSQL and needs no escaping.
    """
    if len(given) < MIN_PREFIX:
        return []
    matches = sa.func.substr(column, 1, len(given)) == given
    query = sa.select(column).where(matches).limit(MAX_CANDIDATES)
    return list(conn.execute(query).scalars())


def insert_ignore(conn: SqlConnection, table: sa.Table) -> Any:
    """Return ``INSERT ... ON CONFLICT DO NOTHING`` for the connection's dialect."""
    return _insert_ignore(conn.dialect.name, table)


def upsert(conn: SqlConnection, table: sa.Table, keys: Iterable[str]) -> Any:
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
