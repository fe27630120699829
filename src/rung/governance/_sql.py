"""``SqlPolicyStore``: policy sets and the decision audit on SQL."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from rung.errors import InvalidRecordError
from rung.governance._schema import policy_decisions, policy_sets
from rung.governance.records import PolicyDecisionRecord, PolicySetRecord
from rung.governance.store import clean_decision, new_policy_set, policy_set_not_found
from rung.store import already_exists, dump_json, load_json

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from rung.store.sql import Database, SqlConnection

__all__ = ["SqlPolicyStore"]

# Two writers on PostgreSQL may pick the same next version; the loser retries.
_VERSION_ATTEMPTS = 5
_SET_COLUMNS = tuple(col.name for col in policy_sets.c)
_DECISION_COLUMNS = tuple(col.name for col in policy_decisions.c if col.name != "seq")


class SqlPolicyStore:
    """The ``PolicyStore`` protocol on SQL (SQLite or PostgreSQL).

    Built by the workspace's :class:`~rung.store.sql.Database` (the
    ``policies`` entry of the ``rung.sql_stores`` entry-point group); it shares
    the database's connections with every other domain store.

    Args:
        database: the workspace's database.
    """

    def __init__(self, database: Database) -> None:
        self._db = database

    @property
    def url(self) -> str:
        """The database URL."""
        return self._db.url

    def add_policy_set(
        self,
        project: str,
        document: Mapping[str, Any],
        *,
        user: str,
        created_at: float,
        source: str = "",
    ) -> PolicySetRecord:
        """Store ``document`` as the project's next policy set version."""
        draft = new_policy_set(
            project, 0, document, user=user, created_at=created_at, source=source
        )
        for attempt in range(_VERSION_ATTEMPTS):
            try:
                return self._db.write(lambda conn: _insert_policy_set(conn, draft))
            except InvalidRecordError:
                if attempt + 1 == _VERSION_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def get_policy_set(
        self, project: str, version: int | None = None
    ) -> PolicySetRecord:
        """Return one version (default: the newest)."""
        found = self._db.read(lambda conn: _select_sets(conn, project, version, 1))
        if not found:
            raise policy_set_not_found(project, version)
        return found[0]

    def list_policy_sets(
        self, project: str, *, limit: int | None = 100
    ) -> list[PolicySetRecord]:
        """Return the project's policy sets, newest first."""
        if limit == 1:  # the set in force, read by every pipeline run
            return self._db.read_direct(lambda conn: _in_force(conn, project))
        return self._db.read(lambda conn: _select_sets(conn, project, None, limit))

    def add_policy_decisions(self, decisions: Sequence[PolicyDecisionRecord]) -> None:
        """Append decisions to the audit log in one transaction."""
        rows = [_decision_row(clean_decision(d)) for d in decisions]
        if rows:
            self._db.write(
                lambda conn: conn.execute(policy_decisions.insert(), rows),
                lambda conn: _diagnose_decisions(conn, [r["id"] for r in rows]),
            )

    def list_policy_decisions(
        self,
        *,
        project: str | None = None,
        run_id: str | None = None,
        verdict: str | None = None,
        limit: int | None = 100,
    ) -> list[PolicyDecisionRecord]:
        """Return audited decisions, newest first, filtered by the given fields."""
        query = sa.select(*[policy_decisions.c[n] for n in _DECISION_COLUMNS])
        for column, value in (
            (policy_decisions.c.project, project),
            (policy_decisions.c.run_id, run_id),
            (policy_decisions.c.verdict, verdict),
        ):
            if value is not None:
                query = query.where(column == value)
        query = query.order_by(policy_decisions.c.seq.desc()).limit(limit)
        rows = self._db.read(lambda conn: conn.execute(query).mappings().all())
        return [_decision_from_row(row) for row in rows]


def _insert_policy_set(conn: sa.Connection, draft: PolicySetRecord) -> PolicySetRecord:
    if conn.dialect.name == "postgresql":
        # Concurrent applies to one project number their versions one after the
        # other (SQLite writers are serialised by BEGIN IMMEDIATE already).
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"rung.policy_sets.{draft.project}"},
        )
    newest = conn.execute(
        sa.select(sa.func.max(policy_sets.c.version)).where(
            policy_sets.c.project == draft.project
        )
    ).scalar()
    record = replace(draft, version=(newest or 0) + 1)
    row = {name: getattr(record, name) for name in _SET_COLUMNS}
    row["document"] = dump_json(record.document, "policy set document")
    conn.execute(policy_sets.insert(), row)
    return record


# The set in force, built once: every pipeline run asks for it.
_IN_FORCE = (
    sa.select(policy_sets)
    .where(policy_sets.c.project == sa.bindparam("project"))
    .order_by(policy_sets.c.version.desc())
    .limit(1)
)


def _select_sets(
    conn: sa.Connection, project: str, version: int | None, limit: int | None
) -> list[PolicySetRecord]:
    if version is None and limit == 1:
        return _in_force(conn, project)
    query = sa.select(policy_sets).where(policy_sets.c.project == project)
    if version is not None:
        query = query.where(policy_sets.c.version == version)
    query = query.order_by(policy_sets.c.version.desc()).limit(limit)
    return _records(conn.execute(query).mappings())


def _in_force(conn: SqlConnection, project: str) -> list[PolicySetRecord]:
    return _records(conn.execute(_IN_FORCE, {"project": project}).mappings())


def _records(rows: Iterable[Mapping[Any, Any]]) -> list[PolicySetRecord]:
    return [
        PolicySetRecord(**{**row, "document": load_json(row["document"])})
        for row in rows
    ]


def _diagnose_decisions(conn: sa.Connection, ids: list[str]) -> None:
    stored = set(
        conn.execute(
            sa.select(policy_decisions.c.id).where(policy_decisions.c.id.in_(ids))
        ).scalars()
    )
    seen: set[str] = set()
    for decision_id in ids:
        if decision_id in stored or decision_id in seen:
            raise already_exists("Decision", decision_id)
        seen.add(decision_id)


def _decision_row(decision: PolicyDecisionRecord) -> dict[str, Any]:
    row = {name: getattr(decision, name) for name in _DECISION_COLUMNS}
    row["details"] = dump_json(decision.details, "decision details")
    return row


def _decision_from_row(row: sa.RowMapping) -> PolicyDecisionRecord:
    return PolicyDecisionRecord(**{**row, "details": load_json(row["details"])})
