"""Registering datasets and refreshing them into new versions.

A refresh reads the source once, fingerprints it, and stops there when the
content is unchanged. Otherwise it profiles the table, diffs the schema
against the previous version, writes the snapshot artifact's bytes, and
records the version (with the snapshot's record) in one transaction.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from rung._internal.ids import new_id
from rung._internal.timeutil import now
from rung.catalog import _profile, _sources
from rung.catalog._schedule import check_schedule
from rung.catalog.records import (
    DEFAULT_SNAPSHOT_MAX_BYTES,
    DatasetRecord,
    DatasetVersionRecord,
)
from rung.catalog.store import annotate_columns
from rung.errors import DatasetNotFoundError, InvalidDatasetError, SchemaChangeError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import pyarrow as pa

    from rung.metadata import ArtifactRecord
    from rung.workspace import Workspace

__all__ = ["RefreshResult", "refresh_dataset", "register_dataset", "spec_of"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
SNAPSHOT_MODES = ("auto", "always", "never")


@dataclass(frozen=True, slots=True)
class RefreshResult:
    """What a registration or refresh did.

    Attributes:
        dataset: the dataset after the refresh.
        version: the new version, or the latest one when unchanged.
        status: ``created`` (first version), ``changed`` or ``unchanged``.
        schema_changes: added, removed and retyped columns vs the previous version.
        seconds: how long it took.
    """

    dataset: DatasetRecord
    version: DatasetVersionRecord
    status: Literal["created", "changed", "unchanged"]
    schema_changes: Mapping[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def register_dataset(
    workspace: Workspace,
    name: str,
    uri: str,
    *,
    owner: str | None = None,
    description: str = "",
    tags: Iterable[str] = (),
    region: str | None = None,
    format: str | None = None,
    query: str | None = None,
    column_tags: Mapping[str, Iterable[str]] | None = None,
    column_descriptions: Mapping[str, str] | None = None,
    schedule: str | None = None,
    fail_on_schema_change: bool = False,
    snapshot: str = "auto",
    snapshot_max_bytes: int = DEFAULT_SNAPSHOT_MAX_BYTES,
) -> RefreshResult:
    """Add a data source to the catalog and record its first version.

    Nothing is recorded unless the source can be read and every option is
    valid.

    Args:
        workspace: where to record it.
        name: a unique name (letters, digits, ``.``, ``_``, ``-``).
        uri: a file or folder path, an fsspec URL (``s3://b/claims.parquet``)
            or a SQLAlchemy URL (``sqlite:///x.db?table=claims``).
        owner: who answers for it (default: the workspace's user).
        description: free text.
        tags: classification tags (``pii``, ``health``).
        region: residency region of the data (``CA``).
        format: ``csv``, ``parquet`` or ``jsonl`` (default: from extensions).
        query: a SQL query, with a SQLAlchemy URL.
        column_tags: column -> tags (``{"email": ["pii"]}``).
        column_descriptions: column -> description.
        schedule: a cron expression for ``rung datasets refresh --due``.
        fail_on_schema_change: make refreshes that change the schema fail.
        snapshot: ``auto`` (sources up to ``snapshot_max_bytes``), ``always``
            or ``never``: keep a Parquet snapshot of each version.
        snapshot_max_bytes: the size limit of ``auto``.

    Returns:
        The result, with status ``created``.

    Raises:
        InvalidDatasetError: bad name, format, schedule, snapshot mode or column.
        DataSourceError: the source cannot be reached or read.
        CatalogError: the name is taken.

    Example:
        >>> register_dataset(ws, "claims", "claims.csv", tags=["pii"])  # doctest: +SKIP
    """
    started = time.perf_counter()
    _check_options(name, schedule, snapshot)
    try:
        workspace.datasets.get_dataset(name)
    except DatasetNotFoundError:
        pass
    else:
        from rung.catalog.store import already_registered

        raise already_registered(name)
    spec = _sources.resolve_source(uri, format=format, query=query)
    dataset = DatasetRecord(
        id=new_id(),
        name=name,
        uri=spec.uri,
        project=workspace.project,
        owner=owner or workspace.user,
        created_at=now(),
        kind=spec.kind,
        format=spec.format,
        query=spec.query,
        description=description,
        tags=_unique(tags),
        region=region,
        schedule=schedule,
        fail_on_schema_change=fail_on_schema_change,
        snapshot=snapshot,
        snapshot_max_bytes=snapshot_max_bytes,
    )
    fetched = _sources.fetch(spec)
    table = _sources.to_table(spec, fetched)
    version, artifacts = _new_version(workspace, dataset, fetched, table, None)
    notes = _column_notes(column_tags, column_descriptions)
    dataset = replace(dataset, columns=version.columns)
    dataset = replace(dataset, columns=annotate_columns(dataset, notes))
    stored = workspace.datasets.create_dataset(dataset, version, artifacts)
    return RefreshResult(stored, version, "created", {}, time.perf_counter() - started)


def refresh_dataset(
    workspace: Workspace, name: str, *, fail_on_schema_change: bool | None = None
) -> RefreshResult:
    """Read the source again; record a new version when its content changed.

    Args:
        workspace: the workspace.
        name: the dataset.
        fail_on_schema_change: refuse a schema change (None: the dataset's
            own setting).

    Returns:
        The result: ``changed`` with the new version, or ``unchanged``.

    Raises:
        DatasetNotFoundError: unknown dataset.
        DataSourceError: the source cannot be reached or read.
        SchemaChangeError: the schema changed and that is refused; nothing
            is recorded.

    Example:
        >>> refresh_dataset(ws, "claims").status  # doctest: +SKIP
        'unchanged'
    """
    started = time.perf_counter()
    dataset = workspace.datasets.get_dataset(name)
    spec = spec_of(dataset)
    fetched = _sources.fetch(spec)
    latest = workspace.datasets.get_dataset_version(name)
    if fetched.fingerprint == latest.fingerprint:
        stamp = {"last_refreshed_at": now()}
        updated = workspace.datasets.update_dataset(name, stamp)
        seconds = time.perf_counter() - started
        return RefreshResult(updated, latest, "unchanged", {}, seconds)
    table = _sources.to_table(spec, fetched)
    version, artifacts = _new_version(workspace, dataset, fetched, table, latest)
    refuse = (
        dataset.fail_on_schema_change
        if fail_on_schema_change is None
        else fail_on_schema_change
    )
    if refuse and _profile.has_changes(version.schema_changes):
        raise SchemaChangeError(
            f"Refreshing dataset {name!r} found schema changes "
            f"({_profile.describe_changes(version.schema_changes)}) and the dataset "
            "refuses them; nothing was recorded. Fix the source, or refresh without "
            "--fail-on-schema-change (and unset the dataset's setting) to accept them."
        )
    updated = workspace.datasets.add_dataset_version(version, artifacts)
    seconds = time.perf_counter() - started
    return RefreshResult(updated, version, "changed", version.schema_changes, seconds)


def spec_of(dataset: DatasetRecord, uri: str | None = None) -> _sources.SourceSpec:
    """The source description stored with a dataset (or one of its versions)."""
    return _sources.SourceSpec(
        dataset.kind, uri or dataset.uri, dataset.format, dataset.query
    )


def _new_version(
    workspace: Workspace,
    dataset: DatasetRecord,
    fetched: _sources.Fetched,
    table: pa.Table,
    previous: DatasetVersionRecord | None,
) -> tuple[DatasetVersionRecord, list[ArtifactRecord]]:
    columns, stats = _profile.profile(table)
    diff = _profile.diff_schema(previous.columns, columns) if previous else {}
    artifacts = []
    if _wants_snapshot(dataset, fetched.size_bytes):
        # Bytes first: the metadata row that points at them comes after.
        artifacts.append(workspace.store_value(table))
    version = DatasetVersionRecord(
        id=new_id(),
        dataset_id=dataset.id,
        dataset=dataset.name,
        version=previous.version + 1 if previous else 1,
        fingerprint=fetched.fingerprint,
        created_at=now(),
        columns=columns,
        stats=stats,
        row_count=int(table.num_rows),
        size_bytes=fetched.size_bytes,
        snapshot_artifact_id=artifacts[0].id if artifacts else None,
        schema_changes=diff if _profile.has_changes(diff) else {},
        user=workspace.user,
        uri=dataset.uri,
    )
    return version, artifacts


def _wants_snapshot(dataset: DatasetRecord, size: int) -> bool:
    if dataset.snapshot == "always":
        return True
    return dataset.snapshot == "auto" and size <= dataset.snapshot_max_bytes


def _check_options(name: str, schedule: str | None, snapshot: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidDatasetError(
            f"Invalid dataset name {name!r}. Use letters, digits, '.', '_' and '-' "
            "(starting with a letter or digit, at most 128 characters)."
        )
    if schedule is not None:
        check_schedule(schedule)
    if snapshot not in SNAPSHOT_MODES:
        raise InvalidDatasetError(
            f"Invalid snapshot mode {snapshot!r}. Use one of: "
            f"{', '.join(SNAPSHOT_MODES)}."
        )


def _column_notes(
    column_tags: Mapping[str, Iterable[str]] | None,
    column_descriptions: Mapping[str, str] | None,
) -> dict[str, dict[str, Any]]:
    notes: dict[str, dict[str, Any]] = {}
    for column, tags in (column_tags or {}).items():
        notes.setdefault(column, {})["tags"] = list(_unique(tags))
    for column, text in (column_descriptions or {}).items():
        notes.setdefault(column, {})["description"] = text
    return notes


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    cleaned = (v.strip() for v in values)
    return tuple(dict.fromkeys(v for v in cleaned if v))
