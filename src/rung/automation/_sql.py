"""Triggers, the dispatch ledger, leases and the champion/challenger records on
SQL (SQLite or PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from rung._internal.timeutil import now
from rung.automation._schema import (
    challenger_comparisons,
    challenger_events,
    leases,
    promotion_watches,
    trigger_dispatches,
    triggers,
)
from rung.automation.records import (
    ChallengerComparison,
    ChallengerEventRecord,
    DispatchRecord,
    LeaseRecord,
    TriggerRecord,
    WatchRecord,
)
from rung.automation.store import (
    clean_challenger_event,
    clean_comparison,
    clean_dispatch,
    clean_trigger,
    clean_trigger_changes,
    clean_watch,
    clean_watch_changes,
    comparison_not_found,
    dispatch_not_found,
    trigger_not_found,
    watch_not_found,
)
from rung.errors import InvalidRecordError
from rung.store import (
    MAX_CANDIDATES,
    MIN_PREFIX,
    already_exists,
    check_changeable,
    dump_json,
    load_json,
    refuse_ambiguous,
)
from rung.store.sql import insert_ignore

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from rung.store.sql import Database

__all__ = ["SqlTriggerStore"]

_JSON = ("spec", "params", "policy", "cursor")
_CLAIMING = frozenset({"fired", "queued", "awaiting_approval"})
_DISPATCH_CHANGEABLE = frozenset({"outcome", "reason", "run_id", "holder", "params"})
_COMPARISON_JSON = (
    "window",
    "champion_metrics",
    "challenger_metrics",
    "slices",
    "latency",
    "holdout",
    "checks",
    "gates",
    "settings",
    "notes",
)
_TUPLES = ("slices", "checks", "gates", "notes")


class SqlTriggerStore:
    """The ``TriggerStore`` protocol on SQL (SQLite or PostgreSQL).

    Built by the workspace's :class:`~rung.store.sql.Database` (the
    ``triggers`` entry of the ``rung.sql_stores`` entry-point group).

    Args:
        database: the workspace's database.
    """

    def __init__(self, database: Database) -> None:
        self._db = database

    # -- triggers ----------------------------------------------------------------------

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
        check_changeable(changes, _DISPATCH_CHANGEABLE, "a dispatch")

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

    # -- champion/challenger comparisons -----------------------------------------------

    def add_comparison(self, comparison: ChallengerComparison) -> None:
        """Insert a comparison; InvalidRecordError when its id is taken."""
        row = _comparison_row(clean_comparison(comparison))
        self._insert_new(challenger_comparisons, row, "Comparison")

    def get_comparison(self, project: str, comparison_id: str) -> ChallengerComparison:
        """Return one by id or unique prefix; ComparisonNotFoundError if none."""
        row = self._db.read(
            lambda conn: _by_id(conn, challenger_comparisons, project, comparison_id)
        )
        if row is None:
            raise comparison_not_found(project, comparison_id)
        return _comparison(row)

    def list_comparisons(
        self,
        project: str,
        *,
        model: str | None = None,
        version: int | None = None,
        limit: int | None = 100,
    ) -> list[ChallengerComparison]:
        """Return comparisons newest first; ``version`` in either role."""
        t = challenger_comparisons
        query = sa.select(t).where(t.c.project == project)
        if model is not None:
            query = query.where(t.c.model == model)
        if version is not None:
            query = query.where(
                (t.c.champion_version == version) | (t.c.challenger_version == version)
            )
        query = query.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
        return self._db.read(
            lambda conn: [_comparison(r) for r in conn.execute(query).mappings()]
        )

    # -- promotion watches -------------------------------------------------------------

    def add_watch(self, watch: WatchRecord) -> None:
        """Insert a watch; InvalidRecordError when its id is taken."""
        clean = clean_watch(watch)
        row = {col.name: getattr(clean, col.name) for col in promotion_watches.c}
        row["thresholds"] = dump_json(clean.thresholds, "thresholds")
        row["evidence"] = dump_json(clean.evidence, "evidence")
        self._insert_new(promotion_watches, row, "Watch")

    def get_watch(self, project: str, watch_id: str) -> WatchRecord:
        """Return one by id or unique prefix; WatchNotFoundError if none."""
        row = self._db.read(
            lambda conn: _by_id(conn, promotion_watches, project, watch_id)
        )
        if row is None:
            raise watch_not_found(project, watch_id)
        return _watch(row)

    def list_watches(
        self,
        project: str,
        *,
        model: str | None = None,
        alias: str | None = None,
        states: Sequence[str] | None = None,
        limit: int | None = 100,
    ) -> list[WatchRecord]:
        """Return watches newest first, filtered."""
        t = promotion_watches
        query = sa.select(t).where(t.c.project == project)
        if model is not None:
            query = query.where(t.c.model == model)
        if alias is not None:
            query = query.where(t.c.alias == alias)
        if states is not None:
            query = query.where(t.c.state.in_(list(states)))
        query = query.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
        return self._db.read(
            lambda conn: [_watch(r) for r in conn.execute(query).mappings()]
        )

    def update_watch(
        self, project: str, watch_id: str, changes: Mapping[str, Any]
    ) -> WatchRecord:
        """Change a watch's state, last check, evidence, end and reason."""
        clean = clean_watch_changes(changes)
        t = promotion_watches

        def write(conn: sa.Connection) -> WatchRecord:
            row = (
                conn.execute(
                    sa.select(t).where((t.c.project == project) & (t.c.id == watch_id))
                )
                .mappings()
                .first()
            )
            if row is None:
                raise watch_not_found(project, watch_id)
            values = dict(clean)
            if "evidence" in values:
                values["evidence"] = dump_json(values["evidence"], "evidence")
            conn.execute(sa.update(t).where(t.c.id == watch_id).values(**values))
            return replace(_watch(row), **clean)

        return self._db.write(write)

    # -- the champion/challenger ledger ------------------------------------------------

    def add_challenger_event(
        self, event: ChallengerEventRecord
    ) -> ChallengerEventRecord:
        """Append an entry; return it with its ``id``."""
        clean = clean_challenger_event(event)
        row = {
            col.name: getattr(clean, col.name)
            for col in challenger_events.c
            if col.name != "id"
        }
        row["evidence"] = dump_json(clean.evidence, "evidence")

        def write(conn: sa.Connection) -> ChallengerEventRecord:
            statement = sa.insert(challenger_events).values(**row)
            new_id = conn.execute(statement.returning(challenger_events.c.id)).scalar()
            return replace(clean, id=int(new_id or 0))

        return self._db.write(write)

    def get_challenger_event(
        self, project: str, event_id: int
    ) -> ChallengerEventRecord | None:
        """Return one entry, or None."""
        t = challenger_events
        query = sa.select(t).where((t.c.project == project) & (t.c.id == event_id))
        row = self._db.read(lambda conn: conn.execute(query).mappings().first())
        return None if row is None else _event(row)

    def list_challenger_events(
        self,
        project: str,
        *,
        model: str | None = None,
        comparison_id: str | None = None,
        watch_id: str | None = None,
        actions: Sequence[str] | None = None,
        limit: int | None = 100,
    ) -> list[ChallengerEventRecord]:
        """Return entries newest first, filtered."""
        t = challenger_events
        query = sa.select(t).where(t.c.project == project)
        for column, value in (
            (t.c.model, model),
            (t.c.comparison_id, comparison_id),
            (t.c.watch_id, watch_id),
        ):
            if value is not None:
                query = query.where(column == value)
        if actions is not None:
            query = query.where(t.c.action.in_(list(actions)))
        query = query.order_by(t.c.id.desc()).limit(limit)
        return self._db.read(
            lambda conn: [_event(r) for r in conn.execute(query).mappings()]
        )

    def _insert_new(self, table: sa.Table, row: dict[str, Any], kind: str) -> None:
        def write(conn: sa.Connection) -> None:
            statement = insert_ignore(conn, table).values(**row)
            if conn.execute(statement.returning(table.c.id)).first() is None:
                raise already_exists(kind, str(row["id"]))

        self._db.write(write)


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


def _by_id(conn: sa.Connection, table: sa.Table, project: str, given: str) -> Any:
    """The row with id ``given``, or the one row whose id starts with it."""
    mine = table.c.project == project
    row = conn.execute(sa.select(table).where(mine & (table.c.id == given))).first()
    if row is not None or len(given) < MIN_PREFIX:
        return None if row is None else row._mapping
    prefix = sa.func.substr(table.c.id, 1, len(given)) == given
    found = list(
        conn.execute(
            sa.select(table).where(mine & prefix).limit(MAX_CANDIDATES)
        ).mappings()
    )
    kind = "comparison" if table is challenger_comparisons else "watch"
    refuse_ambiguous(kind, given, [r["id"] for r in found])
    return found[0] if found else None


def _comparison_row(comparison: ChallengerComparison) -> dict[str, Any]:
    row = {col.name: getattr(comparison, col.name) for col in challenger_comparisons.c}
    for key in _COMPARISON_JSON:
        value = getattr(comparison, key)
        row[key] = dump_json(list(value) if key in _TUPLES else value, key)
    return row


def _comparison(row: Any) -> ChallengerComparison:
    values = dict(row)
    for key in _COMPARISON_JSON:
        values[key] = load_json(values[key])
        if key in _TUPLES:
            values[key] = tuple(values[key])
    return ChallengerComparison(**values)


def _watch(row: Any) -> WatchRecord:
    values = dict(row)
    values["thresholds"] = load_json(values["thresholds"])
    values["evidence"] = load_json(values["evidence"])
    return WatchRecord(**values)


def _event(row: Any) -> ChallengerEventRecord:
    values = dict(row)
    values["evidence"] = load_json(values["evidence"])
    values["id"] = int(values["id"])
    return ChallengerEventRecord(**values)
