"""The model registry on SQL: its store and queries.

Version numbers: the model row is locked (``FOR UPDATE`` on PostgreSQL; SQLite
writers are serialized by ``BEGIN IMMEDIATE``) before ``max(version) + 1`` is
read, ``(model_id, version)`` is the primary key, and a clash is retried.
Aliases move by compare-and-set: ``UPDATE ... WHERE version = :expected``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa

from rung._internal.ids import new_id
from rung.errors import InvalidRecordError
from rung.metadata._sql._steps import diagnose_links
from rung.registry import store as r
from rung.registry._schema import (
    model_aliases,
    model_approvals,
    model_versions,
    models,
    registry_events,
    registry_roles,
)
from rung.registry.records import (
    APPROVAL_DECISIONS,
    AliasRecord,
    ApprovalRecord,
    AuditNote,
    ModelRecord,
    ModelVersionRecord,
    RegistryEventRecord,
    RoleRecord,
)
from rung.store import dump_json, load_json
from rung.store.sql import insert_ignore

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from rung.store.sql import Database

__all__ = ["SqlModelStore"]

_T = TypeVar("_T")
_NUMBERING_ATTEMPTS = 5
_JSON_VERSION_FIELDS = ("metrics", "tags", "training_data", "card")
_VERSION_COLUMNS = tuple(
    col.name for col in model_versions.c if col.name not in ("model_id",)
)
_VERSIONS = sa.select(models.c.name, models.c.project, model_versions).join_from(
    model_versions, models
)
_VERSION_ORDER = (models.c.project, models.c.name, model_versions.c.version)


class SqlModelStore:
    """The ``ModelStore`` protocol on SQL (SQLite or PostgreSQL).

    Built by the workspace's :class:`~rung.store.sql.Database` (the
    ``models`` entry of the ``rung.sql_stores`` entry-point group); it shares
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

    # -- versions -------------------------------------------------------------------

    def add_model_version(
        self, version: ModelVersionRecord, note: AuditNote
    ) -> ModelVersionRecord:
        """Create the model if new; add the version with the next number."""
        clean, audit = r._clean_version(version), r._clean_note(note)
        return self._write_retrying(
            lambda conn: _add_version(conn, clean, audit),
            lambda conn: diagnose_links(conn, {clean.artifact_id}),
        )

    def get_model(self, project: str, name: str) -> ModelRecord:
        """Return a model; raises ModelNotFoundError."""
        return self._db.read(lambda conn: _get_model(conn, project, name))

    def list_models(self, project: str | None = None) -> list[ModelRecord]:
        """Return models ordered by name (then project)."""
        return self._db.read(lambda conn: _list_models(conn, project))

    def get_model_version(
        self, project: str, name: str, version: int
    ) -> ModelVersionRecord:
        """Return one version of a model."""
        return self._db.read(lambda conn: _get_version(conn, project, name, version))

    def list_model_versions(self, project: str, name: str) -> list[ModelVersionRecord]:
        """Return a model's versions, oldest first."""

        def query(conn: sa.Connection) -> list[ModelVersionRecord]:
            model_id = _model_id(conn, project, name)
            where = model_versions.c.model_id == model_id
            rows = conn.execute(_VERSIONS.where(where).order_by(*_VERSION_ORDER))
            return [_version_from_row(row) for row in rows.mappings()]

        return self._db.read(query)

    def find_model_versions(self, artifact_id: str) -> list[ModelVersionRecord]:
        """Return every version made from this exact artifact."""
        where = model_versions.c.artifact_id == artifact_id
        query = _VERSIONS.where(where).order_by(*_VERSION_ORDER)
        return self._db.read(
            lambda conn: [_version_from_row(x) for x in conn.execute(query).mappings()]
        )

    # -- state and aliases ----------------------------------------------------------

    def update_model(
        self, project: str, name: str, changes: Mapping[str, Any], note: AuditNote
    ) -> ModelRecord:
        """Change a model's description, tags (merged) or gates (replaced)."""
        clean = r._clean_changes(changes, version=False)
        audit = r._clean_note(note)
        return self._db.write(
            lambda conn: _update_model(conn, project, name, clean, audit)
        )

    def update_model_version(
        self,
        project: str,
        name: str,
        version: int,
        changes: Mapping[str, Any],
        note: AuditNote,
    ) -> ModelVersionRecord:
        """Change a version's state, description or tags (merged)."""
        clean = r._clean_changes(changes, version=True)
        audit = r._clean_note(note)
        return self._db.write(
            lambda conn: _update_version(conn, (project, name, version), clean, audit)
        )

    def move_alias(
        self,
        project: str,
        name: str,
        alias: str,
        version: int,
        *,
        expected: int | None,
        note: AuditNote,
    ) -> AliasRecord:
        """Point ``alias`` at ``version`` if it still points at ``expected``."""
        audit = r._clean_note(note)
        key = (project, name, alias)

        def diagnose(conn: sa.Connection) -> None:
            actual = _alias_version(conn, _model_id(conn, project, name), alias)
            if actual != expected:
                raise r._alias_conflict(name, alias, expected, actual)

        return self._db.write(
            lambda conn: _move_alias(conn, key, version, expected, audit), diagnose
        )

    def list_aliases(self, project: str, name: str) -> list[AliasRecord]:
        """Return a model's aliases ordered by name."""

        def query(conn: sa.Connection) -> list[AliasRecord]:
            where = model_aliases.c.model_id == _model_id(conn, project, name)
            rows = conn.execute(
                sa.select(model_aliases).where(where).order_by(model_aliases.c.alias)
            )
            return [
                AliasRecord(name, x.alias, x.version, project, x.user, x.updated_at)
                for x in rows
            ]

        return self._db.read(query)

    # -- reviews, roles, events -----------------------------------------------------

    def add_approval(self, approval: ApprovalRecord) -> ApprovalRecord:
        """Record an approval or rejection and its event."""
        r._check_choice(approval.decision, APPROVAL_DECISIONS, "decision")
        return self._db.write(lambda conn: _add_approval(conn, approval))

    def list_approvals(
        self,
        project: str,
        name: str,
        *,
        version: int | None = None,
        alias: str | None = None,
    ) -> list[ApprovalRecord]:
        """Return decisions on a model, oldest first."""

        def query(conn: sa.Connection) -> list[ApprovalRecord]:
            t = model_approvals
            filters = [t.c.model_id == _model_id(conn, project, name)]
            if version is not None:
                filters.append(t.c.version == version)
            if alias is not None:
                filters.append(t.c.alias == alias)
            rows = conn.execute(sa.select(t).where(*filters).order_by(t.c.id))
            return [
                ApprovalRecord(
                    name,
                    x.version,
                    x.alias,
                    project,
                    x.user,
                    x.decision,
                    x.created_at,
                    x.comment,
                    x.id,
                )
                for x in rows
            ]

        return self._db.read(query)

    def set_role(
        self, project: str, user: str, role: str, *, granted: bool, note: AuditNote
    ) -> None:
        """Grant (idempotent) or revoke a role."""
        audit = r._clean_note(note)
        grant = (project, user, role)
        self._db.write(lambda conn: _set_role(conn, grant, granted, audit))

    def list_roles(self, project: str, *, user: str | None = None) -> list[RoleRecord]:
        """Return role grants ordered by user, then role."""
        t = registry_roles
        filters = [t.c.project == project]
        if user is not None:
            filters.append(t.c.user == user)
        query = sa.select(t).where(*filters).order_by(t.c.user, t.c.role)
        return self._db.read(lambda conn: [RoleRecord(*x) for x in conn.execute(query)])

    def add_registry_event(
        self,
        project: str,
        name: str,
        note: AuditNote,
        *,
        version: int | None = None,
        alias: str | None = None,
    ) -> None:
        """Record an event that changes nothing else (e.g. a refused promotion)."""
        audit = r._clean_note(note)

        def write(conn: sa.Connection) -> None:
            _model_id(conn, project, name)
            _log(conn, project, name, audit, version=version, alias=alias)

        self._db.write(write)

    def list_registry_events(
        self,
        project: str,
        *,
        model: str | None = None,
        alias: str | None = None,
        limit: int | None = None,
    ) -> list[RegistryEventRecord]:
        """Return events oldest first; ``limit`` keeps the newest ones."""
        t = registry_events
        filters = [t.c.project == project]
        if model is not None:
            filters.append(t.c.model == model)
        if alias is not None:
            filters.append(t.c.alias == alias)
        query = sa.select(t).where(*filters).order_by(t.c.id.desc()).limit(limit)

        def read(conn: sa.Connection) -> list[RegistryEventRecord]:
            rows = list(conn.execute(query).mappings())
            return [_event_from_row(row) for row in reversed(rows)]

        return self._db.read(read)

    def _write_retrying(
        self,
        fn: Callable[[sa.Connection], _T],
        diagnose: Callable[[sa.Connection], None],
    ) -> _T:
        # Two writers that read the same max(version) clash on the primary key
        # (PostgreSQL without the row lock, e.g. the model's first version):
        # the loser's transaction rolled back, so running it again is safe.
        for attempt in range(_NUMBERING_ATTEMPTS):
            try:
                return self._db.write(fn, diagnose)
            except InvalidRecordError as error:
                clash = isinstance(error.__cause__, sa.exc.IntegrityError)
                if not clash or attempt + 1 == _NUMBERING_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover


# -- queries ------------------------------------------------------------------------


def _model_id(
    conn: sa.Connection, project: str, name: str, *, lock: bool = False
) -> str:
    query = sa.select(models.c.id).where(
        models.c.project == project, models.c.name == name
    )
    found = conn.execute(query.with_for_update() if lock else query).scalar()
    if found is None:
        raise r._model_not_found(project, name)
    return str(found)


def _add_version(
    conn: sa.Connection, version: ModelVersionRecord, note: AuditNote
) -> ModelVersionRecord:
    project, name = version.project, version.model
    conn.execute(
        insert_ignore(conn, models),
        {
            "id": new_id(),
            "project": project,
            "name": name,
            "user": version.user,
            "created_at": note.at,
            "updated_at": note.at,
            "description": version.description,
            "tags": "{}",
            "gates": "{}",
        },
    )
    model_id = _model_id(conn, project, name, lock=True)
    latest = sa.select(sa.func.max(model_versions.c.version)).where(
        model_versions.c.model_id == model_id
    )
    new = replace(version, version=(conn.execute(latest).scalar() or 0) + 1)
    conn.execute(model_versions.insert(), _version_row(model_id, new))
    _touch(conn, model_id, note.at)
    _log(conn, project, name, note, version=new.version)
    return new


def _get_model(conn: sa.Connection, project: str, name: str) -> ModelRecord:
    query = sa.select(models).where(models.c.project == project, models.c.name == name)
    row = conn.execute(query).mappings().first()
    if row is None:
        raise r._model_not_found(project, name)
    return _assemble_models(conn, [row])[0]


def _list_models(conn: sa.Connection, project: str | None) -> list[ModelRecord]:
    query = sa.select(models).order_by(models.c.name, models.c.project)
    if project is not None:
        query = query.where(models.c.project == project)
    return _assemble_models(conn, list(conn.execute(query).mappings()))


def _assemble_models(
    conn: sa.Connection, rows: list[sa.RowMapping]
) -> list[ModelRecord]:
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    latest_query = (
        sa.select(model_versions.c.model_id, sa.func.max(model_versions.c.version))
        .where(model_versions.c.model_id.in_(ids))
        .group_by(model_versions.c.model_id)
    )
    latest = {model_id: top for model_id, top in conn.execute(latest_query)}
    aliases: dict[str, dict[str, int]] = {model_id: {} for model_id in ids}
    alias_query = (
        sa.select(
            model_aliases.c.model_id, model_aliases.c.alias, model_aliases.c.version
        )
        .where(model_aliases.c.model_id.in_(ids))
        .order_by(model_aliases.c.alias)
    )
    for model_id, alias, number in conn.execute(alias_query):
        aliases[model_id][alias] = number
    return [
        ModelRecord(
            name=row["name"],
            project=row["project"],
            user=row["user"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            description=row["description"],
            tags=load_json(row["tags"]),
            gates=load_json(row["gates"]),
            latest_version=latest.get(row["id"], 0),
            aliases=aliases[row["id"]],
        )
        for row in rows
    ]


def _get_version(
    conn: sa.Connection, project: str, name: str, version: int
) -> ModelVersionRecord:
    return _find_version(conn, project, name, version, lock=False)[1]


def _lock_version(
    conn: sa.Connection, project: str, name: str, version: int
) -> tuple[str, ModelVersionRecord]:
    """Return (model id, version), locking the version's row until commit."""
    return _find_version(conn, project, name, version, lock=True)


def _find_version(
    conn: sa.Connection, project: str, name: str, version: int, *, lock: bool
) -> tuple[str, ModelVersionRecord]:
    model_id = _model_id(conn, project, name)
    where = (model_versions.c.model_id == model_id, model_versions.c.version == version)
    query = _VERSIONS.where(*where)
    row = conn.execute(query.with_for_update() if lock else query).mappings().first()
    if row is None:
        known = sa.select(model_versions.c.version).where(
            model_versions.c.model_id == model_id
        )
        numbers = sorted(conn.execute(known).scalars())
        raise r._version_not_found(name, version, numbers)
    return model_id, _version_from_row(row)


def _update_model(
    conn: sa.Connection,
    project: str,
    name: str,
    changes: Mapping[str, Any],
    note: AuditNote,
) -> ModelRecord:
    model_id = _model_id(conn, project, name, lock=True)
    current = _get_model(conn, project, name)
    values: dict[str, Any] = {"updated_at": note.at}
    if "description" in changes:
        values["description"] = changes["description"]
    if "tags" in changes:
        values["tags"] = dump_json({**current.tags, **changes["tags"]}, "tags")
    if "gates" in changes:
        values["gates"] = dump_json(changes["gates"], "gates")
    conn.execute(models.update().where(models.c.id == model_id).values(**values))
    _log(conn, project, name, note)
    return _get_model(conn, project, name)


def _update_version(
    conn: sa.Connection,
    key: tuple[str, str, int],
    changes: Mapping[str, Any],
    note: AuditNote,
) -> ModelVersionRecord:
    project, name, version = key
    model_id, current = _lock_version(conn, project, name, version)
    if changes.get("state") == "archived":
        query = sa.select(model_aliases.c.alias).where(
            model_aliases.c.model_id == model_id, model_aliases.c.version == version
        )
        aliases = sorted(conn.execute(query).scalars())
        if aliases:
            raise r._alias_in_use(name, version, aliases)
    new = replace(current, **changes)
    if "tags" in changes:
        new = replace(new, tags={**current.tags, **changes["tags"]})
    values = {k: v for k, v in _version_row(model_id, new).items() if k in changes}
    conn.execute(
        model_versions.update()
        .where(model_versions.c.model_id == model_id)
        .where(model_versions.c.version == version)
        .values(**values)
    )
    _touch(conn, model_id, note.at)
    _log(conn, project, name, note, version=version)
    return new


def _alias_version(conn: sa.Connection, model_id: str, alias: str) -> int | None:
    query = sa.select(model_aliases.c.version).where(
        model_aliases.c.model_id == model_id, model_aliases.c.alias == alias
    )
    found = conn.execute(query).scalar()
    return None if found is None else int(found)


def _move_alias(
    conn: sa.Connection,
    key: tuple[str, str, str],
    version: int,
    expected: int | None,
    note: AuditNote,
) -> AliasRecord:
    project, name, alias = key
    model_id, target = _lock_version(conn, project, name, version)
    if target.is_archived:
        raise r._archived_refused(name, version, alias)
    values = {"version": version, "user": note.user, "updated_at": note.at}
    if expected is None:
        actual = _alias_version(conn, model_id, alias)
        if actual is not None:
            raise r._alias_conflict(name, alias, expected, actual)
        conn.execute(
            model_aliases.insert(), {"model_id": model_id, "alias": alias, **values}
        )
    else:
        moved = conn.execute(
            model_aliases.update()
            .where(model_aliases.c.model_id == model_id)
            .where(model_aliases.c.alias == alias)
            .where(model_aliases.c.version == expected)
            .values(**values)
        )
        if moved.rowcount != 1:
            actual = _alias_version(conn, model_id, alias)
            raise r._alias_conflict(name, alias, expected, actual)
    _touch(conn, model_id, note.at)
    _log(conn, project, name, note, alias=alias, moved=(expected, version))
    return AliasRecord(name, alias, version, project, note.user, note.at)


def _add_approval(conn: sa.Connection, approval: ApprovalRecord) -> ApprovalRecord:
    project, name = approval.project, approval.model
    model_id, _record = _lock_version(conn, project, name, approval.version)
    inserted = conn.execute(
        model_approvals.insert(),
        {
            "model_id": model_id,
            "version": approval.version,
            "alias": approval.alias,
            "user": approval.user,
            "decision": approval.decision,
            "comment": approval.comment,
            "created_at": approval.created_at,
        },
    )
    note = AuditNote(
        approval.decision, approval.user, approval.created_at, approval.comment
    )
    _log(conn, project, name, note, version=approval.version, alias=approval.alias)
    key = inserted.inserted_primary_key
    return replace(approval, id=int(key[0]) if key else 0)


def _set_role(
    conn: sa.Connection, grant: tuple[str, str, str], granted: bool, note: AuditNote
) -> None:
    project, user, role = grant
    key = {"project": project, "user": user, "role": role}
    if granted:
        row = {**key, "granted_by": note.user, "granted_at": note.at}
        conn.execute(insert_ignore(conn, registry_roles), row)
    else:
        t = registry_roles
        deleted = conn.execute(
            t.delete().where(t.c.project == project, t.c.user == user, t.c.role == role)
        )
        if deleted.rowcount == 0:
            raise r._role_not_held(user, role)
    details = {**note.details, "subject": user, "role": role}
    _log(conn, project, None, replace(note, details=details))


def _touch(conn: sa.Connection, model_id: str, at: float) -> None:
    conn.execute(models.update().where(models.c.id == model_id).values(updated_at=at))


def _log(
    conn: sa.Connection,
    project: str,
    model: str | None,
    note: AuditNote,
    *,
    version: int | None = None,
    alias: str | None = None,
    moved: tuple[int | None, int] | None = None,
) -> None:
    from_version, to_version = moved if moved is not None else (None, None)
    conn.execute(
        registry_events.insert(),
        {
            "project": project,
            "action": note.action,
            "user": note.user,
            "created_at": note.at,
            "model": model,
            "version": to_version if moved is not None else version,
            "alias": alias,
            "from_version": from_version,
            "to_version": to_version,
            "comment": note.comment,
            "details": dump_json(note.details, "event details"),
        },
    )


# -- rows -------------------------------------------------------------------------


def _version_row(model_id: str, version: ModelVersionRecord) -> dict[str, Any]:
    row: dict[str, Any] = {"model_id": model_id}
    for name in _VERSION_COLUMNS:
        row[name] = getattr(version, name)
    for name in _JSON_VERSION_FIELDS:
        row[name] = dump_json(row[name], name)
    signature = r._signature_to_json(version.signature)
    row["signature"] = None if signature is None else dump_json(signature, "sig")
    return row


def _version_from_row(row: sa.RowMapping) -> ModelVersionRecord:
    values = {name: row[name] for name in _VERSION_COLUMNS}
    for name in _JSON_VERSION_FIELDS:
        values[name] = load_json(values[name])
    text = values.pop("signature")
    signature = r._signature_from_json(None if text is None else load_json(text))
    return ModelVersionRecord(
        model=row["name"], project=row["project"], signature=signature, **values
    )


def _event_from_row(row: sa.RowMapping) -> RegistryEventRecord:
    values = dict(row)
    values["details"] = load_json(values["details"])
    return RegistryEventRecord(**values)
