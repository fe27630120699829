"""Monitors, evaluations and alerts of ``SqlRunStore`` (a mixin)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from rung.errors import InvalidRecordError
from rung.monitoring._schema import (
    alert_from_row,
    alert_row,
    evaluation_from_row,
    evaluation_row,
    monitor_alerts,
    monitor_evaluations,
    monitor_from_row,
    monitor_row,
    monitor_values,
    monitors,
    value_from_row,
    value_row,
)
from rung.monitoring.store import (
    check_monitor_changes,
    clean_evaluation,
    clean_monitor,
    clean_value,
    monitor_not_found,
    plan_alerts,
)
from rung.store import already_exists

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from rung.monitoring.records import (
        AlertChanges,
        AlertRecord,
        CheckValueRecord,
        EvaluationRecord,
        MonitorRecord,
    )
    from rung.store.sql import Database

__all__ = ["SqlMonitorStore"]

# Two evaluations that race to open the same alert: the loser retries and
# then finds the alert open (the unique open_key refused the second insert).
_ATTEMPTS = 3


class SqlMonitorStore:
    """The ``MonitorStore`` protocol on SQL (SQLite or PostgreSQL).

    Built by the workspace's :class:`~rung.store.sql.Database` (the
    ``monitors`` entry of the ``rung.sql_stores`` entry-point group); it shares
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

    def add_monitor(self, monitor: MonitorRecord) -> None:
        """Insert a monitor; raises InvalidRecordError if the name is taken."""
        row = monitor_row(clean_monitor(monitor))

        def diagnose(conn: sa.Connection) -> None:
            if _select_monitor(conn, monitor.project, monitor.name) is not None:
                raise already_exists("Monitor", monitor.name)

        self._db.write(lambda conn: conn.execute(monitors.insert(), row), diagnose)

    def update_monitor(
        self, project: str, name: str, changes: Mapping[str, Any]
    ) -> MonitorRecord:
        """Change fields (not name or project); raises MonitorNotFoundError."""
        check_monitor_changes(changes)

        def write(conn: sa.Connection) -> MonitorRecord:
            known = _require(conn, project, name, lock=True)
            new = clean_monitor(replace(known, **changes))
            conn.execute(
                monitors.update()
                .where(monitors.c.project == project, monitors.c.name == name)
                .values(monitor_row(new))
            )
            return new

        return self._db.write(write)

    def get_monitor(self, project: str, name: str) -> MonitorRecord:
        """Return one monitor; raises MonitorNotFoundError."""
        return self._db.read(lambda conn: _require(conn, project, name))

    def list_monitors(self, project: str) -> list[MonitorRecord]:
        """Return the project's monitors by name."""
        query = (
            sa.select(monitors)
            .where(monitors.c.project == project)
            .order_by(monitors.c.name)
        )
        rows = self._db.read(lambda conn: conn.execute(query).mappings().all())
        return [monitor_from_row(row) for row in rows]

    def delete_monitor(self, project: str, name: str) -> None:
        """Delete a monitor with its evaluations, values and alerts."""

        def write(conn: sa.Connection) -> None:
            _require(conn, project, name)
            evaluations = sa.select(monitor_evaluations.c.id).where(
                monitor_evaluations.c.project == project,
                monitor_evaluations.c.monitor == name,
            )
            # Explicit deletes: SQLite cascades only with foreign_keys=ON.
            conn.execute(
                monitor_values.delete().where(
                    monitor_values.c.evaluation_id.in_(evaluations)
                )
            )
            for table in (monitor_alerts, monitor_evaluations):
                conn.execute(
                    table.delete().where(
                        table.c.project == project, table.c.monitor == name
                    )
                )
            conn.execute(
                monitors.delete().where(
                    monitors.c.project == project, monitors.c.name == name
                )
            )

        self._db.write(write)

    def record_evaluation(
        self,
        evaluation: EvaluationRecord,
        values: Sequence[CheckValueRecord],
        breaches: Sequence[AlertRecord],
        passed: Sequence[str],
    ) -> AlertChanges:
        """Store an evaluation, its values and alert changes atomically."""
        clean, drafts = clean_evaluation(evaluation, breaches)
        rows = [value_row(clean_value(v, clean)) for v in values]

        def write(conn: sa.Connection) -> AlertChanges:
            _require(conn, clean.project, clean.monitor, lock=True)
            changes = plan_alerts(_open_alerts(conn, clean), clean, drafts, passed)
            conn.execute(monitor_evaluations.insert(), evaluation_row(clean))
            if rows:
                conn.execute(monitor_values.insert(), rows)
            _write_alerts(conn, changes)
            conn.execute(
                monitors.update()
                .where(
                    monitors.c.project == clean.project,
                    monitors.c.name == clean.monitor,
                )
                .values(last_evaluated_at=clean.evaluated_at)
            )
            return changes

        def diagnose(conn: sa.Connection) -> None:
            found = conn.execute(
                sa.select(monitor_evaluations.c.id).where(
                    monitor_evaluations.c.id == clean.id
                )
            ).first()
            if found is not None:
                raise already_exists("Evaluation", clean.id)

        for attempt in range(_ATTEMPTS):
            try:
                return self._db.write(write, diagnose)
            except InvalidRecordError as exc:
                if attempt + 1 == _ATTEMPTS or "already exists" in str(exc):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def list_evaluations(
        self,
        project: str,
        monitor: str,
        *,
        since: float | None = None,
        limit: int | None = 100,
    ) -> list[EvaluationRecord]:
        """Return a monitor's evaluations, newest first."""
        table = monitor_evaluations
        query = sa.select(table).where(
            table.c.project == project, table.c.monitor == monitor
        )
        if since is not None:
            query = query.where(table.c.evaluated_at >= since)
        query = query.order_by(table.c.evaluated_at.desc()).limit(limit)
        rows = self._db.read(lambda conn: conn.execute(query).mappings().all())
        return [evaluation_from_row(row) for row in rows]

    def list_check_values(
        self,
        project: str,
        monitor: str,
        *,
        check: str | None = None,
        feature: str | None = None,
        metric: str | None = None,
        since: float | None = None,
    ) -> list[CheckValueRecord]:
        """Return values in time order (then insertion order), filtered."""
        table = monitor_values
        query = sa.select(table).where(
            table.c.project == project, table.c.monitor == monitor
        )
        for column, value in (
            (table.c.check_name, check),
            (table.c.feature, feature),
            (table.c.metric, metric),
        ):
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(table.c.evaluated_at >= since)
        query = query.order_by(table.c.evaluated_at, table.c.id)
        rows = self._db.read(lambda conn: conn.execute(query).mappings().all())
        return [value_from_row(row) for row in rows]

    def list_alerts(
        self,
        project: str,
        *,
        monitor: str | None = None,
        status: str | None = None,
        since: float | None = None,
        limit: int | None = 100,
    ) -> list[AlertRecord]:
        """Return alerts updated at or after ``since``, newest first."""
        table = monitor_alerts
        query = sa.select(table).where(table.c.project == project)
        for column, value in ((table.c.monitor, monitor), (table.c.status, status)):
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(table.c.updated_at >= since)
        order = (table.c.updated_at.desc(), table.c.opened_at.desc(), table.c.id.desc())
        query = query.order_by(*order).limit(limit)
        rows = self._db.read(lambda conn: conn.execute(query).mappings().all())
        return [alert_from_row(row) for row in rows]


def _select_monitor(
    conn: sa.Connection, project: str, name: str, *, lock: bool = False
) -> MonitorRecord | None:
    query = sa.select(monitors).where(
        monitors.c.project == project, monitors.c.name == name
    )
    if lock:  # PostgreSQL: evaluations of one monitor queue here (SQLite: no-op)
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return None if row is None else monitor_from_row(row)


def _require(
    conn: sa.Connection, project: str, name: str, *, lock: bool = False
) -> MonitorRecord:
    found = _select_monitor(conn, project, name, lock=lock)
    if found is None:
        raise monitor_not_found(project, name)
    return found


def _open_alerts(
    conn: sa.Connection, evaluation: EvaluationRecord
) -> dict[str, AlertRecord]:
    query = sa.select(monitor_alerts).where(
        monitor_alerts.c.project == evaluation.project,
        monitor_alerts.c.monitor == evaluation.monitor,
        monitor_alerts.c.status == "open",
    )
    alerts = [alert_from_row(row) for row in conn.execute(query).mappings()]
    return {a.check: a for a in alerts}


def _write_alerts(conn: sa.Connection, changes: AlertChanges) -> None:
    if changes.opened:
        conn.execute(monitor_alerts.insert(), [alert_row(a) for a in changes.opened])
    for alert in (*changes.continued, *changes.resolved):
        row = alert_row(alert)
        del row["id"]
        conn.execute(
            monitor_alerts.update().where(monitor_alerts.c.id == alert.id).values(row)
        )
