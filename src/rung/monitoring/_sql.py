"""``SqlMonitorStore``: monitors, evaluations, alerts and the alert outbox on SQL."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from rung.errors import InvalidRecordError
from rung.monitoring._schema import (
    alert_from_row,
    alert_row,
    delivery_from_row,
    delivery_row,
    evaluation_from_row,
    evaluation_row,
    monitor_alerts,
    monitor_deliveries,
    monitor_evaluations,
    monitor_from_row,
    monitor_row,
    monitor_values,
    monitors,
    value_from_row,
    value_row,
)
from rung.monitoring.store import (
    check_delivery_outcome,
    check_monitor_changes,
    clean_evaluation,
    clean_monitor,
    clean_value,
    monitor_not_found,
    plan_alerts,
    plan_deliveries,
)
from rung.store import already_exists

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from rung.monitoring.records import (
        AlertChanges,
        AlertRecord,
        CheckValueRecord,
        DeliveryRecord,
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
            for table in (monitor_deliveries, monitor_alerts, monitor_evaluations):
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
        *,
        extra_sinks: Sequence[Mapping[str, Any]] = (),
    ) -> AlertChanges:
        """Store an evaluation, its values, alert changes and their deliveries
        atomically."""
        clean, drafts = clean_evaluation(evaluation, breaches)
        rows = [value_row(clean_value(v, clean)) for v in values]

        def write(conn: sa.Connection) -> AlertChanges:
            known = _require(conn, clean.project, clean.monitor, lock=True)
            changes = plan_alerts(_open_alerts(conn, clean), clean, drafts, passed)
            conn.execute(monitor_evaluations.insert(), evaluation_row(clean))
            if rows:
                conn.execute(monitor_values.insert(), rows)
            _write_alerts(conn, changes)
            sinks = [*known.sinks, *extra_sinks]
            outbox = plan_deliveries(changes, sinks, clean.evaluated_at)
            if outbox:
                conn.execute(
                    monitor_deliveries.insert(), [delivery_row(d) for d in outbox]
                )
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

    def claim_deliveries(
        self,
        project: str,
        *,
        sender: str,
        now: float,
        lease_s: float,
        monitor: str | None = None,
        include_waiting: bool = False,
        limit: int | None = 100,
    ) -> list[DeliveryRecord]:
        """Claim pending deliveries for ``sender`` (see ``AlertDeliveries``)."""
        claimable = _claimable(project, sender, now, monitor, include_waiting)
        table = monitor_deliveries
        until = now + lease_s

        def write(conn: sa.Connection) -> list[DeliveryRecord]:
            query = (
                sa.select(table.c.seq)
                .where(*claimable)
                .order_by(table.c.next_attempt_at, table.c.seq)
                .limit(limit)
            )
            if conn.dialect.name == "postgresql":
                # Concurrent senders skip rows another one is claiming.
                query = query.with_for_update(skip_locked=True)
            seqs = list(conn.execute(query).scalars())
            if not seqs:
                return []
            conn.execute(
                table.update()
                .where(table.c.seq.in_(seqs), *claimable)
                .values(sender=sender, lease_until=until)
            )
            claimed = (
                sa.select(table)
                .where(
                    table.c.seq.in_(seqs),
                    table.c.sender == sender,
                    table.c.lease_until == until,
                )
                .order_by(table.c.next_attempt_at, table.c.seq)
            )
            return [delivery_from_row(r) for r in conn.execute(claimed).mappings()]

        return self._db.write(write)

    def finish_delivery(self, delivery: DeliveryRecord, sender: str) -> bool:
        """Store an attempt's outcome and release the lease, if still held."""
        check_delivery_outcome(delivery)
        table = monitor_deliveries
        statement = (
            table.update()
            .where(
                table.c.id == delivery.id,
                table.c.sender == sender,
                table.c.status == "pending",
            )
            .values(
                status=delivery.status,
                attempts=delivery.attempts,
                next_attempt_at=delivery.next_attempt_at,
                delivered_at=delivery.delivered_at,
                last_error=delivery.last_error,
                updated_at=delivery.updated_at,
                lease_until=delivery.updated_at,
            )
        )
        done = self._db.write(lambda conn: conn.execute(statement).rowcount)
        return bool(done == 1)

    def list_deliveries(
        self,
        project: str,
        *,
        monitor: str | None = None,
        alert_ids: Sequence[str] | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[DeliveryRecord]:
        """Return deliveries in the order they were enqueued, filtered."""
        table = monitor_deliveries
        query = sa.select(table).where(table.c.project == project)
        for column, value in ((table.c.monitor, monitor), (table.c.status, status)):
            if value is not None:
                query = query.where(column == value)
        if alert_ids is not None:
            query = query.where(table.c.alert_id.in_(list(alert_ids)))
        query = query.order_by(table.c.seq).limit(limit)
        rows = self._db.read(lambda conn: conn.execute(query).mappings().all())
        return [delivery_from_row(row) for row in rows]


def _claimable(
    project: str,
    sender: str,
    now: float,
    monitor: str | None,
    include_waiting: bool,
) -> list[sa.ColumnElement[bool]]:
    """Who may claim which delivery (the rules of ``claim_deliveries``)."""
    table = monitor_deliveries
    opened = monitor_deliveries.alias("opened")
    opened_pending = (
        sa.select(opened.c.seq)
        .where(
            opened.c.alert_id == table.c.alert_id,
            opened.c.sink == table.c.sink,
            opened.c.event == "opened",
            opened.c.status == "pending",
        )
        .exists()
    )
    conditions = [
        table.c.project == project,
        table.c.status == "pending",
        sa.or_(
            table.c.sender.is_(None),
            sa.and_(table.c.sender != sender, table.c.lease_until <= now),
        ),
        sa.not_(sa.and_(table.c.event == "resolved", opened_pending)),
    ]
    if not include_waiting:
        conditions.append(table.c.next_attempt_at <= now)
    if monitor is not None:
        conditions.append(table.c.monitor == monitor)
    return conditions


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
