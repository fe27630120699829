"""Triggers, the dispatch ledger and leases on SQL (SQLite or PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from rung._internal.timeutil import now
from rung.automation._schema import leases, trigger_dispatches, triggers
from rung.automation.records import DispatchRecord, LeaseRecord, TriggerRecord
from rung.automation.store import (
    clean_dispatch,
    clean_trigger,
    clean_trigger_changes,
    dispatch_not_found,
    trigger_not_found,
)
from rung.errors import InvalidRecordError
from rung.store import already_exists, dump_json, load_json
from rung.store.sql import insert_ignore

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from rung.store.sql import Database

__all__ = ["SqlTriggerStore"]

_JSON = ("spec", "params", "policy", "cursor")
_CLAIMING = frozenset({"fired", "queued", "awaiting_approval"})
_DISPATCH_CHANGEABLE = frozenset({"outcome", "reason", "run_id", "holder", "params"})


class SqlTriggerStore:
    """The ``TriggerStore`` protocol on SQL (SQLite or PostgreSQL).

    Built by the workspace's :class:`~rung.store.sql.Database` (the
    ``triggers`` entry of the ``rung.sql_stores`` entry-point group).

    Args:
        database: the workspace's database.
    """

    def __init__(self, database: Database) -> None:
        self._db = database

    # -- triggers ---------------------------------------------------------------------

    def add_trigger(self, trigger: TriggerRecord) -> None:
        """Insert a trigger; InvalidRecordError when the name is taken."""
        clean = clean_trigger(trigger)
        row = {**_trigger_row(clean)}

        def write(conn: sa.Connection) -> None:
            # RETURNING, not rowcount: psycopg reports no rowcount for
            # INSERT ... ON CONFLICT DO NOTHING.
            statement = insert_ignore(conn, triggers).values(**row)
            done = conn.execute(statement.returning(triggers.c.id)).first()
            if done is None:
                raise already_exists("Trigger", f"{clean.project}/{clean.name}")

        self._db.write(write)

    def get_trigger(self, project: str, name: str) -> TriggerRecord:
        """Return a trigger; TriggerNotFoundError if none."""
        found = self._db.read(lambda conn: _select_trigger(conn, project, name))
        if found is None:
            raise trigger_not_found(project, name)
        return found

    def list_triggers(self, project: str) -> list[TriggerRecord]:
        """Return the project's triggers, by name."""
        query = (
            sa.select(triggers)
            .where(triggers.c.project == project)
            .order_by(triggers.c.name)
        )
        return self._db.read(
            lambda conn: [_trigger(row) for row in conn.execute(query).mappings()]
        )

    def update_trigger(
        self, project: str, name: str, changes: Mapping[str, Any]
    ) -> TriggerRecord:
        """Change fields in one transaction; return the new record."""
        clean = clean_trigger_changes(changes)

        def write(conn: sa.Connection) -> TriggerRecord:
            current = _select_trigger(conn, project, name)
            if current is None:
                raise trigger_not_found(project, name)
            updated = replace(current, **clean, updated_at=now())
            values = {k: v for k, v in _trigger_row(updated).items() if k != "id"}
            conn.execute(
                sa.update(triggers).where(triggers.c.id == current.id).values(**values)
            )
            return updated

        return self._db.write(write)

    def delete_trigger(self, project: str, name: str) -> None:
        """Delete a trigger (its ledger stays)."""

        def write(conn: sa.Connection) -> None:
            gone = conn.execute(
                sa.delete(triggers).where(
                    (triggers.c.project == project) & (triggers.c.name == name)
                )
            )
            if gone.rowcount == 0:
                raise trigger_not_found(project, name)

        self._db.write(write)

    # -- the ledger --------------------------------------------------------------------

    def add_dispatch(self, dispatch: DispatchRecord) -> DispatchRecord | None:
        """Append an entry; None when its event was claimed already."""
        clean = clean_dispatch(dispatch)
        row = _dispatch_row(clean)

        def write(conn: sa.Connection) -> DispatchRecord | None:
            statement = insert_ignore(conn, trigger_dispatches).values(**row)
            new_id = conn.execute(
                statement.returning(trigger_dispatches.c.id)
            ).scalar_one_or_none()
            return None if new_id is None else replace(clean, id=int(new_id))

        return self._db.write(write)

    def update_dispatch(
        self, dispatch_id: int, changes: Mapping[str, Any]
    ) -> DispatchRecord:
        """Change an entry's outcome, reason, run, holder or parameters."""
        unknown = sorted(set(changes) - _DISPATCH_CHANGEABLE)
        if unknown:
            raise InvalidRecordError(
                f"Cannot change {', '.join(map(repr, unknown))} of a dispatch. "
                f"Changeable: {', '.join(sorted(_DISPATCH_CHANGEABLE))}."
            )

        def write(conn: sa.Connection) -> DispatchRecord:
            row = (
                conn.execute(
                    sa.select(trigger_dispatches).where(
                        trigger_dispatches.c.id == dispatch_id
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                raise InvalidRecordError(f"No dispatch {dispatch_id} in the ledger.")
            updated = clean_dispatch(replace(_dispatch(row), **changes))
            values = _dispatch_row(updated)
            values["updated_at"] = now()
            values.pop("id", None)
            conn.execute(
                sa.update(trigger_dispatches)
                .where(trigger_dispatches.c.id == dispatch_id)
                .values(**values)
            )
            return replace(updated, updated_at=values["updated_at"])

        return self._db.write(write)

    def get_dispatch(self, project: str, dispatch_id: int) -> DispatchRecord:
        """Return one entry; DispatchNotFoundError if none."""
        t = trigger_dispatches
        query = sa.select(t).where((t.c.project == project) & (t.c.id == dispatch_id))
        row = self._db.read(lambda conn: conn.execute(query).mappings().first())
        if row is None:
            raise dispatch_not_found(project, dispatch_id)
        return _dispatch(row)

    def list_dispatches(
        self,
        project: str,
        *,
        trigger: str | None = None,
        outcomes: Sequence[str] | None = None,
        since: float | None = None,
        limit: int | None = 100,
    ) -> list[DispatchRecord]:
        """Return entries newest first, filtered."""
        t = trigger_dispatches
        query = sa.select(t).where(t.c.project == project)
        if trigger is not None:
            query = query.where(t.c.trigger == trigger)
        if outcomes is not None:
            query = query.where(t.c.outcome.in_(list(outcomes)))
        if since is not None:
            query = query.where(t.c.evaluated_at >= since)
        query = query.order_by(t.c.id.desc()).limit(limit)
        return self._db.read(
            lambda conn: [_dispatch(row) for row in conn.execute(query).mappings()]
        )

    # -- the lease ---------------------------------------------------------------------

    def acquire_lease(
        self, name: str, holder: str, ttl: float, now: float
    ) -> LeaseRecord | None:
        """Take or renew the lease; None while another holder's is valid."""

        def write(conn: sa.Connection) -> LeaseRecord | None:
            current = (
                conn.execute(sa.select(leases).where(leases.c.name == name))
                .mappings()
                .first()
            )
            if current is None:
                lease = LeaseRecord(name, holder, now + ttl, now)
                row = {
                    "name": name,
                    "holder": holder,
                    "acquired_at": now,
                    "expires_at": now + ttl,
                }
                statement = insert_ignore(conn, leases).values(**row)
                taken = conn.execute(statement.returning(leases.c.name)).first()
                return lease if taken is not None else None
            mine = current["holder"] == holder
            if not mine and current["expires_at"] > now:
                return None
            acquired = current["acquired_at"] if mine else now
            changed = conn.execute(
                sa.update(leases)
                .where(
                    (leases.c.name == name)
                    & (leases.c.holder == current["holder"])
                    & (leases.c.expires_at == current["expires_at"])
                )
                .values(holder=holder, acquired_at=acquired, expires_at=now + ttl)
            )
            if changed.rowcount == 0:
                return None
            return LeaseRecord(name, holder, now + ttl, acquired)

        return self._db.write(write)

    def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up (only its holder can)."""
        self._db.write(
            lambda conn: conn.execute(
                sa.delete(leases).where(
                    (leases.c.name == name) & (leases.c.holder == holder)
                )
            )
        )


def _trigger_row(trigger: TriggerRecord) -> dict[str, Any]:
    row = {col.name: getattr(trigger, col.name) for col in triggers.c}
    for key in _JSON:
        row[key] = dump_json(getattr(trigger, key), key)
    return row


def _trigger(row: Any) -> TriggerRecord:
    values = dict(row)
    for key in _JSON:
        values[key] = load_json(values[key])
    return TriggerRecord(**values)


def _select_trigger(
    conn: sa.Connection, project: str, name: str
) -> TriggerRecord | None:
    row = (
        conn.execute(
            sa.select(triggers).where(
                (triggers.c.project == project) & (triggers.c.name == name)
            )
        )
        .mappings()
        .first()
    )
    return None if row is None else _trigger(row)


def _dispatch_row(dispatch: DispatchRecord) -> dict[str, Any]:
    claims = dispatch.event_key is not None and dispatch.outcome in _CLAIMING
    row: dict[str, Any] = {
        "project": dispatch.project,
        "trigger": dispatch.trigger,
        "evaluated_at": dispatch.evaluated_at,
        "updated_at": dispatch.updated_at,
        "outcome": dispatch.outcome,
        "reason": dispatch.reason,
        "event_key": dispatch.event_key,
        "claim_key": (
            f"{dispatch.project}/{dispatch.trigger}/{dispatch.event_key}"
            if claims
            else None
        ),
        "evidence": dump_json(dispatch.evidence, "evidence"),
        "params": dump_json(dispatch.params, "params"),
        "run_id": dispatch.run_id,
        "holder": dispatch.holder,
    }
    if dispatch.id:
        row["id"] = dispatch.id
    return row


def _dispatch(row: Any) -> DispatchRecord:
    values = {k: v for k, v in dict(row).items() if k != "claim_key"}
    values["evidence"] = load_json(values["evidence"])
    values["params"] = load_json(values["params"])
    values["id"] = int(values["id"])
    return DispatchRecord(**values)
