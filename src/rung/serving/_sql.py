"""``SqlDeploymentStore``: deployments and the prediction-batch index on SQL."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from rung.serving._schema import deployments, prediction_batches
from rung.serving.records import DeploymentRecord, PredictionBatchRecord
from rung.serving.store import (
    apply_deployment_changes,
    choose_deployment,
    clean_batch,
    clean_deployment,
    deployment_not_found,
)
from rung.store import already_exists, dump_json, load_json
from rung.store.sql import id_candidates

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from rung.store.sql import Database

__all__ = ["SqlDeploymentStore"]

_DEPLOYMENT_COLUMNS = tuple(col.name for col in deployments.c)
_BATCH_COLUMNS = tuple(col.name for col in prediction_batches.c)


class SqlDeploymentStore:
    """The ``DeploymentStore`` protocol on SQL (SQLite or PostgreSQL).

    Built by the workspace's :class:`~rung.store.sql.Database` (the
    ``deployments`` entry of the ``rung.sql_stores`` entry-point group); it shares
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

    def add_deployment(self, deployment: DeploymentRecord) -> None:
        """Insert a new deployment; raises InvalidRecordError for a taken id."""
        row = _deployment_row(clean_deployment(deployment))
        self._db.write(
            lambda conn: conn.execute(deployments.insert(), row),
            lambda conn: _diagnose_deployment(conn, deployment.id),
        )

    def update_deployment(
        self, deployment_id: str, changes: Mapping[str, Any]
    ) -> DeploymentRecord:
        """Apply ``changes``; a new version joins ``served_versions``."""

        def write(conn: sa.Connection) -> DeploymentRecord:
            current = _select_deployment(conn, deployment_id, lock=True)
            new = apply_deployment_changes(current, changes)
            row = _deployment_row(new)
            conn.execute(
                deployments.update().where(deployments.c.id == deployment_id), row
            )
            return new

        return self._db.write(write)

    def get_deployment(self, deployment_id: str) -> DeploymentRecord:
        """Return a deployment by id or unique prefix (>= 4 characters)."""

        def read(conn: sa.Connection) -> DeploymentRecord:
            try:
                return _select_deployment(conn, deployment_id)
            except LookupError:
                found = id_candidates(conn, deployments.c.id, deployment_id)
                return _select_deployment(conn, choose_deployment(deployment_id, found))

        return self._db.read(read)

    def list_deployments(
        self,
        *,
        project: str | None = None,
        model: str | None = None,
        status: str | None = None,
        limit: int | None = 100,
    ) -> list[DeploymentRecord]:
        """Return deployments, newest first, filtered by the given fields."""
        query = sa.select(deployments)
        for column, value in (
            (deployments.c.project, project),
            (deployments.c.model, model),
            (deployments.c.status, status),
        ):
            if value is not None:
                query = query.where(column == value)
        query = query.order_by(
            deployments.c.started_at.desc(), deployments.c.id.desc()
        ).limit(limit)
        rows = self._db.read(lambda conn: conn.execute(query).mappings().all())
        return [_deployment_from_row(row) for row in rows]

    def add_prediction_batches(self, batches: Sequence[PredictionBatchRecord]) -> None:
        """Insert batch records in one transaction."""
        rows = [_batch_row(clean_batch(b)) for b in batches]
        if rows:
            self._db.write(
                lambda conn: conn.execute(prediction_batches.insert(), rows),
                lambda conn: _diagnose_batches(conn, [r["id"] for r in rows]),
            )

    def list_prediction_batches(
        self,
        *,
        project: str | None = None,
        kind: str = "predictions",
        model: str | None = None,
        version: int | None = None,
        deployment_id: str | None = None,
        step_run_id: str | None = None,
        since: float | None = None,
        until: float | None = None,
        batch_id: str | None = None,
        limit: int | None = None,
    ) -> list[PredictionBatchRecord]:
        """Return batches, oldest first, filtered by the given fields."""
        t = prediction_batches.c
        query = sa.select(prediction_batches).where(t.kind == kind)
        for column, value in (
            (t.project, project),
            (t.model, model),
            (t.version, version),
            (t.deployment_id, deployment_id),
            (t.step_run_id, step_run_id),
        ):
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(t.last_at >= since)
        if until is not None:
            query = query.where(t.first_at <= until)
        if batch_id is not None:
            query = query.where(_id_matches(t.id, batch_id))
        order = (t.first_at, t.created_at, t.id)
        if limit is not None:
            query = query.order_by(*(c.desc() for c in order)).limit(max(limit, 0))
        else:
            query = query.order_by(*order)
        rows = self._db.read(lambda conn: conn.execute(query).mappings().all())
        found = [PredictionBatchRecord(**row) for row in rows]
        return found[::-1] if limit is not None else found


def _id_matches(column: sa.Column[str], given: str) -> sa.ColumnElement[bool]:
    from rung.store import MIN_PREFIX

    if len(given) < MIN_PREFIX:
        return column == given
    return sa.func.substr(column, 1, len(given)) == given


def _select_deployment(
    conn: sa.Connection, deployment_id: str, *, lock: bool = False
) -> DeploymentRecord:
    query = sa.select(deployments).where(deployments.c.id == deployment_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        raise deployment_not_found(deployment_id)
    return _deployment_from_row(row)


def _deployment_row(deployment: DeploymentRecord) -> dict[str, Any]:
    row = {name: getattr(deployment, name) for name in _DEPLOYMENT_COLUMNS}
    row["served_versions"] = json.dumps(list(deployment.served_versions))
    row["config"] = dump_json(deployment.config, "deployment config")
    return row


def _deployment_from_row(row: sa.RowMapping) -> DeploymentRecord:
    values = dict(row)
    values["served_versions"] = tuple(json.loads(values["served_versions"]))
    values["config"] = load_json(values["config"])
    return DeploymentRecord(**values)


def _batch_row(batch: PredictionBatchRecord) -> dict[str, Any]:
    return {name: getattr(batch, name) for name in _BATCH_COLUMNS}


def _diagnose_deployment(conn: sa.Connection, deployment_id: str) -> None:
    found = conn.execute(
        sa.select(deployments.c.id).where(deployments.c.id == deployment_id)
    ).first()
    if found is not None:
        raise already_exists("Deployment", deployment_id)


def _diagnose_batches(conn: sa.Connection, ids: list[str]) -> None:
    t = prediction_batches.c
    stored = set(conn.execute(sa.select(t.id).where(t.id.in_(ids))).scalars())
    seen: set[str] = set()
    for batch_id in ids:
        if batch_id in stored or batch_id in seen:
            raise already_exists("Prediction batch", batch_id)
        seen.add(batch_id)
