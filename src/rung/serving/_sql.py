"""SQL stores of serving: ``SqlDeploymentStore`` (deployments and the
prediction-batch index) and ``SqlRolloutStore`` (rollouts and the counters
servers report for them)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from rung._internal.timeutil import now
from rung.errors import RolloutConflictError
from rung.serving._schema import (
    deployments,
    prediction_batches,
    rollout_stats,
    rollouts,
)
from rung.serving.records import (
    DeploymentRecord,
    PredictionBatchRecord,
    RolloutRecord,
    RolloutStatRecord,
)
from rung.serving.store import (
    apply_deployment_changes,
    apply_rollout_changes,
    choose_deployment,
    clean_batch,
    clean_deployment,
    clean_rollout,
    clean_rollout_stat,
    deployment_not_found,
    rollout_not_found,
)
from rung.store import (
    MIN_PREFIX,
    already_exists,
    dump_json,
    load_json,
    refuse_ambiguous,
)
from rung.store.sql import id_candidates, upsert

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from rung.store.sql import Database

__all__ = ["SqlDeploymentStore", "SqlRolloutStore"]

_DEPLOYMENT_COLUMNS = tuple(col.name for col in deployments.c)
_BATCH_COLUMNS = tuple(col.name for col in prediction_batches.c)
_JSON = ("thresholds", "evidence")
_ROLLOUT_COLUMNS = tuple(c.name for c in rollouts.c if c.name != "active_key")


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


class SqlRolloutStore:
    """The ``RolloutStore`` protocol on SQL (SQLite or PostgreSQL).

    Args:
        database: the workspace's database.
    """

    def __init__(self, database: Database) -> None:
        self._db = database

    def add_rollout(self, rollout: RolloutRecord) -> None:
        """Insert a rollout (RolloutConflictError: the alias has an active one)."""
        clean = clean_rollout(rollout)
        row = _row(clean)

        def write(conn: sa.Connection) -> None:
            active = _active(conn, clean.project, clean.model, clean.alias)
            if active is not None:
                raise _busy(active)
            conn.execute(rollouts.insert(), row)

        def diagnose(conn: sa.Connection) -> None:
            active = _active(conn, clean.project, clean.model, clean.alias)
            if active is not None:
                raise _busy(active)
            raise already_exists("Rollout", clean.id)

        self._db.write(write, diagnose)

    def update_rollout(
        self,
        project: str,
        rollout_id: str,
        changes: Mapping[str, Any],
        *,
        expect_stage: str | None = None,
    ) -> RolloutRecord:
        """Change a rollout if its stage is still ``expect_stage`` (when given)."""

        def write(conn: sa.Connection) -> RolloutRecord:
            current = _select(conn, project, rollout_id, lock=True)
            if expect_stage is not None and current.stage != expect_stage:
                raise RolloutConflictError(
                    f"Rollout {current.id[:12]} is {current.stage} now, not "
                    f"{expect_stage}: it changed meanwhile. Look at its status again.",
                    rollout_id=current.id,
                    stage=current.stage,
                )
            new = apply_rollout_changes(current, changes, now())
            conn.execute(
                rollouts.update().where(rollouts.c.id == current.id), _row(new)
            )
            return new

        return self._db.write(write)

    def get_rollout(self, project: str, rollout_id: str) -> RolloutRecord:
        """Return a rollout by id or unique prefix (>= 4 characters)."""
        return self._db.read(lambda conn: _select(conn, project, rollout_id))

    def list_rollouts(
        self,
        project: str,
        *,
        model: str | None = None,
        alias: str | None = None,
        stages: Sequence[str] | None = None,
        limit: int | None = 100,
    ) -> list[RolloutRecord]:
        """Return rollouts, newest first, filtered by the given fields."""
        t = rollouts.c
        query = sa.select(rollouts).where(t.project == project)
        if model is not None:
            query = query.where(t.model == model)
        if alias is not None:
            query = query.where(t.alias == alias)
        if stages is not None:
            query = query.where(t.stage.in_(list(stages)))
        query = query.order_by(t.created_at.desc(), t.id.desc()).limit(limit)
        return self._db.read(
            lambda conn: [_record(r) for r in conn.execute(query).mappings()]
        )

    def active_rollout(
        self, project: str, model: str, alias: str
    ) -> RolloutRecord | None:
        """The alias's rollout in shadow or canary, if any (one indexed read)."""
        return self._db.read(lambda conn: _active(conn, project, model, alias))

    def put_rollout_stats(self, stats: Sequence[RolloutStatRecord]) -> None:
        """Insert or replace stat rows, in one transaction."""
        rows = [_stat_row(clean_rollout_stat(s)) for s in stats]
        if not rows:
            return

        def write(conn: sa.Connection) -> None:
            statement = upsert(conn, rollout_stats, ("rollout_id", "worker", "arm"))
            conn.execute(statement, rows)

        self._db.write(write)

    def list_rollout_stats(self, rollout_id: str) -> list[RolloutStatRecord]:
        """Every stat row of a rollout."""
        t = rollout_stats.c
        query = (
            sa.select(rollout_stats)
            .where(t.rollout_id == rollout_id)
            .order_by(t.arm, t.worker)
        )
        return self._db.read(
            lambda conn: [_stat(r) for r in conn.execute(query).mappings()]
        )


def _active_key(project: str, model: str, alias: str) -> str:
    return json.dumps([project, model, alias], separators=(",", ":"))


def _active(
    conn: sa.Connection, project: str, model: str, alias: str
) -> RolloutRecord | None:
    key = _active_key(project, model, alias)
    row = (
        conn.execute(sa.select(rollouts).where(rollouts.c.active_key == key))
        .mappings()
        .first()
    )
    return None if row is None else _record(row)


def _busy(active: RolloutRecord) -> RolloutConflictError:
    return RolloutConflictError(
        f"{active.model}@{active.alias} already has a rollout in {active.stage}: "
        f"{active.id[:12]} (v{active.challenger_version} against "
        f"v{active.champion_version}). Let it finish, or abort it first.",
        rollout_id=active.id,
        model=active.model,
        alias=active.alias,
        reason="rollout_running",
    )


def _select(
    conn: sa.Connection, project: str, rollout_id: str, *, lock: bool = False
) -> RolloutRecord:
    t = rollouts.c
    query = sa.select(rollouts).where((t.project == project) & (t.id == rollout_id))
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None and len(rollout_id) >= MIN_PREFIX:
        matches = sa.func.substr(t.id, 1, len(rollout_id)) == rollout_id
        found = list(
            conn.execute(
                sa.select(t.id).where((t.project == project) & matches).limit(11)
            ).scalars()
        )
        refuse_ambiguous("rollout", rollout_id, found)
        if found:
            return _select(conn, project, found[0], lock=lock)
    if row is None:
        raise rollout_not_found(project, rollout_id)
    return _record(row)


def _row(rollout: RolloutRecord) -> dict[str, Any]:
    row = {name: getattr(rollout, name) for name in _ROLLOUT_COLUMNS}
    for key in _JSON:
        row[key] = dump_json(getattr(rollout, key), f"rollout {key}")
    row["stages"] = json.dumps([dict(s) for s in rollout.stages], default=str)
    row["active_key"] = (
        _active_key(rollout.project, rollout.model, rollout.alias)
        if rollout.is_active
        else None
    )
    return row


def _record(row: Any) -> RolloutRecord:
    values = {name: row[name] for name in _ROLLOUT_COLUMNS}
    for key in _JSON:
        values[key] = load_json(values[key])
    values["stages"] = tuple(json.loads(values["stages"]))
    return RolloutRecord(**values)


def _stat_row(stat: RolloutStatRecord) -> dict[str, Any]:
    row = {c.name: getattr(stat, c.name) for c in rollout_stats.c}
    row["latency_buckets"] = json.dumps(list(stat.latency_buckets))
    return row


def _stat(row: Any) -> RolloutStatRecord:
    values = dict(row)
    values["latency_buckets"] = tuple(json.loads(values["latency_buckets"]))
    return RolloutStatRecord(**values)
