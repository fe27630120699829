"""``SqlDatasetStore``: the catalog protocol on SQLite or PostgreSQL.

Built over the workspace's shared ``Database``. Each write is
one transaction: a dataset with its first version and snapshot artifact; a
version with its artifact and the dataset's new latest version and columns.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from rung._internal.timeutil import now
from rung.catalog import store as k
from rung.catalog._schema import dataset_reads, dataset_versions, datasets
from rung.catalog.records import DatasetReadRecord, DatasetRecord, DatasetVersionRecord
from rung.metadata import _rules as c
from rung.metadata._schema import step_runs
from rung.metadata._sql import _steps
from rung.metadata._sql._runs import require_run
from rung.store.sql import id_candidates

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from rung.metadata import ArtifactRecord
    from rung.store.sql import Database

__all__ = ["SqlDatasetStore"]

_JSON_FIELDS = ("stats", "schema_changes")
_BY_NAME = sa.select(datasets).where(datasets.c.name == sa.bindparam("name"))
_BY_ID = sa.select(datasets).where(datasets.c.id == sa.bindparam("id"))
_VERSIONS = sa.select(dataset_versions, datasets.c.name.label("dataset")).join_from(
    dataset_versions, datasets
)
_SNAPSHOTS = _VERSIONS.where(
    dataset_versions.c.snapshot_artifact_id == sa.bindparam("artifact_id")
).order_by(datasets.c.name, dataset_versions.c.version)
_READS = sa.select(
    dataset_reads.c.dataset_version_id,
    dataset_reads.c.run_id,
    dataset_reads.c.read_at,
    dataset_reads.c.step_run_id,
    dataset_reads.c.step_name,
    datasets.c.name,
    dataset_versions.c.version,
).select_from(dataset_reads.join(dataset_versions).join(datasets))


class SqlDatasetStore:
    """The ``DatasetStore`` protocol on SQL (SQLite or PostgreSQL).

    Built by the workspace's :class:`~rung.store.sql.Database` (the
    ``datasets`` entry of the ``rung.sql_stores`` entry-point group); it shares
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

    def create_dataset(
        self,
        dataset: DatasetRecord,
        version: DatasetVersionRecord,
        artifacts: Sequence[ArtifactRecord] = (),
    ) -> DatasetRecord:
        """Insert a dataset with its first version (and snapshot) atomically."""
        stamp = version.created_at
        first = replace(
            k.clean_dataset(dataset),
            latest_version=version.version,
            updated_at=stamp,
            last_refreshed_at=stamp,
        )
        clean = k.clean_version(version)
        new_artifacts = [c.clean_artifact(a) for a in artifacts]

        def write(conn: sa.Connection) -> DatasetRecord:
            if conn.execute(_BY_NAME, {"name": dataset.name}).first() is not None:
                raise k.already_registered(dataset.name)
            conn.execute(datasets.insert(), _dataset_row(first))
            _steps.add_artifacts(conn, new_artifacts)
            conn.execute(dataset_versions.insert(), _version_row(clean))
            return first

        def diagnose(conn: sa.Connection) -> None:
            self._diagnose_name(conn, dataset)
            _diagnose_snapshot(conn, clean, new_artifacts)

        return self._db.write(write, diagnose)

    def update_dataset(self, name: str, changes: Mapping[str, Any]) -> DatasetRecord:
        """Apply ``changes`` (column notes merge) in one transaction."""

        def write(conn: sa.Connection) -> DatasetRecord:
            current = _load(conn, _BY_NAME.with_for_update(), {"name": name})
            if current is None:
                raise k.dataset_not_found(name)
            stamped = dict(changes)
            if set(changes) - {"last_refreshed_at"}:
                stamped.setdefault("updated_at", now())
            new = k.apply_dataset_changes(current, stamped)
            conn.execute(
                datasets.update().where(datasets.c.id == current.id),
                _dataset_row(new),
            )
            return new

        return self._db.write(write)

    def get_dataset(self, name: str) -> DatasetRecord:
        """Return a dataset by name; raises DatasetNotFoundError."""
        found = self._db.read(lambda conn: _load(conn, _BY_NAME, {"name": name}))
        if found is None:
            raise k.dataset_not_found(name)
        return found

    def list_datasets(
        self,
        *,
        name_contains: str | None = None,
        owner: str | None = None,
        tag: str | None = None,
        column: str | None = None,
        limit: int | None = None,
    ) -> list[DatasetRecord]:
        """Return datasets by name, keeping those that match every filter."""
        query = sa.select(datasets).order_by(datasets.c.name)
        if owner is not None:
            query = query.where(datasets.c.owner == owner)
        rows = self._db.read(lambda conn: list(conn.execute(query).mappings()))
        found = [
            d
            for d in map(_dataset_from_row, rows)
            if k.matches(d, name_contains, None, tag, column)
        ]
        return found[:limit]

    def add_dataset_version(
        self, version: DatasetVersionRecord, artifacts: Sequence[ArtifactRecord] = ()
    ) -> DatasetRecord:
        """Insert the next version (and its snapshot artifact) atomically."""
        clean = k.clean_version(version)
        new_artifacts = [c.clean_artifact(a) for a in artifacts]

        def write(conn: sa.Connection) -> DatasetRecord:
            current = _load(conn, _BY_ID.with_for_update(), {"id": version.dataset_id})
            if current is None:
                raise k.dataset_not_found(version.dataset)
            if version.version != current.latest_version + 1:
                raise k.version_conflict(
                    current.name, version.version, current.latest_version
                )
            _steps.add_artifacts(conn, new_artifacts)
            conn.execute(dataset_versions.insert(), _version_row(clean))
            new = replace(
                current,
                latest_version=version.version,
                columns=k.merge_columns(current.columns, clean.columns),
                updated_at=version.created_at,
                last_refreshed_at=version.created_at,
            )
            conn.execute(
                datasets.update().where(datasets.c.id == current.id),
                _dataset_row(new),
            )
            return new

        return self._db.write(
            write, lambda conn: _diagnose_snapshot(conn, clean, new_artifacts)
        )

    def get_dataset_version(
        self, name: str, version: int | None = None
    ) -> DatasetVersionRecord:
        """Return a version by number (None: the latest)."""

        def read(conn: sa.Connection) -> DatasetVersionRecord:
            current = _load(conn, _BY_NAME, {"name": name})
            if current is None:
                raise k.dataset_not_found(name)
            number = current.latest_version if version is None else version
            query = _VERSIONS.where(
                dataset_versions.c.dataset_id == current.id,
                dataset_versions.c.version == number,
            )
            row = conn.execute(query).mappings().first()
            if row is None:
                raise k.version_not_found(name, number, current.latest_version)
            return _version_from_row(row)

        return self._db.read(read)

    def find_dataset_version(self, version_id: str) -> DatasetVersionRecord:
        """Return a version by id or unique id prefix (>= 4 characters)."""

        def read(conn: sa.Connection) -> DatasetVersionRecord:
            query = _VERSIONS.where(dataset_versions.c.id == sa.bindparam("id"))
            row = conn.execute(query, {"id": version_id}).mappings().first()
            if row is None:
                matches = id_candidates(conn, dataset_versions.c.id, version_id)
                found = _choose(version_id, matches)
                row = conn.execute(query, {"id": found}).mappings().one()
            return _version_from_row(row)

        return self._db.read(read)

    def list_dataset_versions(self, name: str) -> list[DatasetVersionRecord]:
        """Return a dataset's versions, oldest first."""

        def read(conn: sa.Connection) -> list[DatasetVersionRecord]:
            current = _load(conn, _BY_NAME, {"name": name})
            if current is None:
                raise k.dataset_not_found(name)
            query = _VERSIONS.where(dataset_versions.c.dataset_id == current.id)
            rows = conn.execute(query.order_by(dataset_versions.c.version)).mappings()
            return [_version_from_row(row) for row in rows]

        return self._db.read(read)

    def find_snapshot_versions(self, artifact_id: str) -> list[DatasetVersionRecord]:
        """Return the versions (any dataset) whose snapshot is this exact artifact."""

        def read(conn: sa.Connection) -> list[DatasetVersionRecord]:
            rows = conn.execute(_SNAPSHOTS, {"artifact_id": artifact_id}).mappings()
            return [_version_from_row(row) for row in rows]

        return self._db.read(read)

    def record_dataset_read(self, read: DatasetReadRecord) -> None:
        """Insert a read; raises LookupError subclasses for unknown ids."""
        row = {
            "dataset_version_id": read.dataset_version_id,
            "run_id": read.run_id,
            "step_run_id": read.step_run_id,
            "step_name": read.step_name,
            "read_at": float(read.read_at),
        }
        self._db.write(
            lambda conn: conn.execute(dataset_reads.insert(), row),
            lambda conn: _diagnose_read(conn, read),
        )

    def list_dataset_reads(
        self,
        *,
        dataset_version_id: str | None = None,
        run_id: str | None = None,
        step_run_id: str | None = None,
    ) -> list[DatasetReadRecord]:
        """Return reads matching every given id, oldest first."""
        query = _READS.order_by(dataset_reads.c.read_at, dataset_reads.c.id)
        for column, value in (
            (dataset_reads.c.dataset_version_id, dataset_version_id),
            (dataset_reads.c.run_id, run_id),
            (dataset_reads.c.step_run_id, step_run_id),
        ):
            if value is not None:
                query = query.where(column == value)
        rows = self._db.read(lambda conn: list(conn.execute(query)))
        return [DatasetReadRecord(*row) for row in rows]

    def _diagnose_name(self, conn: sa.Connection, dataset: DatasetRecord) -> None:
        if conn.execute(_BY_NAME, {"name": dataset.name}).first() is not None:
            raise k.already_registered(dataset.name)


def _load(
    conn: sa.Connection, query: Any, bind: Mapping[str, Any]
) -> DatasetRecord | None:
    row = conn.execute(query, bind).mappings().first()
    return None if row is None else _dataset_from_row(row)


def _choose(given: str, matches: list[str]) -> str:
    if len(matches) == 1 and len(given) >= k.MIN_PREFIX:
        return matches[0]
    if len(matches) <= 1:
        raise k.version_id_not_found(given)
    from rung.errors import AmbiguousIdError

    raise AmbiguousIdError(
        f"The dataset version id prefix {given!r} matches several versions: "
        f"{', '.join(sorted(matches)[:10])}. Type more characters of the id."
    )


def _diagnose_snapshot(
    conn: sa.Connection,
    version: DatasetVersionRecord,
    artifacts: Sequence[ArtifactRecord],
) -> None:
    wanted = {version.snapshot_artifact_id} - {None} - {a.id for a in artifacts}
    _steps.diagnose_links(conn, {w for w in wanted if w is not None})


def _diagnose_read(conn: sa.Connection, read: DatasetReadRecord) -> None:
    exists = sa.select(dataset_versions.c.id).where(
        dataset_versions.c.id == read.dataset_version_id
    )
    if conn.execute(exists).first() is None:
        raise k.version_id_not_found(read.dataset_version_id)
    require_run(conn, read.run_id)
    if read.step_run_id is not None:
        step = sa.select(step_runs.c.id).where(step_runs.c.id == read.step_run_id)
        if conn.execute(step).first() is None:
            raise c.step_run_not_found(read.step_run_id)


def _dataset_row(dataset: DatasetRecord) -> dict[str, Any]:
    row = {col.name: getattr(dataset, col.name) for col in datasets.c}
    row["tags"] = k.dump_json(list(dataset.tags))
    row["columns"] = k.columns_to_json(dataset.columns)
    return row


def _dataset_from_row(row: sa.RowMapping) -> DatasetRecord:
    values = dict(row)
    values["tags"] = tuple(json.loads(values["tags"]))
    values["columns"] = k.columns_from_json(values["columns"])
    return DatasetRecord(**values)


def _version_row(version: DatasetVersionRecord) -> dict[str, Any]:
    row = {col.name: getattr(version, col.name) for col in dataset_versions.c}
    row["columns"] = k.columns_to_json(version.columns)
    for name in _JSON_FIELDS:
        row[name] = k.dump_json(getattr(version, name))
    return row


def _version_from_row(row: sa.RowMapping) -> DatasetVersionRecord:
    values = dict(row)
    values["columns"] = k.columns_from_json(values["columns"])
    for name in _JSON_FIELDS:
        values[name] = json.loads(values[name])
    return DatasetVersionRecord(**values)
