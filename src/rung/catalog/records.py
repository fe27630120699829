"""Catalog records: datasets, their versions (snapshots), columns and reads.

Frozen dataclasses, taken and returned by every ``DatasetStore`` backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DEFAULT_SNAPSHOT_MAX_BYTES",
    "ColumnRecord",
    "DatasetReadRecord",
    "DatasetRecord",
    "DatasetVersionRecord",
]


DEFAULT_SNAPSHOT_MAX_BYTES = 100 * 1024 * 1024

"""Sources up to this size keep a Parquet snapshot per version by default."""


@dataclass(frozen=True, slots=True)
class ColumnRecord:
    """A column of a dataset: its schema and what people wrote about it.

    Attributes:
        name: the column's name.
        type: the Arrow type (``int64``, ``double``, ``string``...).
        nullable: True when the column holds at least one null.
        description: free text (``rung datasets describe-column``).
        tags: classification tags such as ``pii``.
    """

    name: str
    type: str
    nullable: bool = True
    description: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    """A catalog entry for a data source.

    Attributes:
        id: 32-hex id.
        name: unique name (``claims``).
        uri: a path, an fsspec URL or a SQLAlchemy URL.
        project: the project that registered it.
        owner: who answers for it.
        created_at: POSIX seconds.
        kind: ``file``, ``folder`` or ``sql``.
        format: ``csv``, ``parquet`` or ``jsonl`` (files and folders).
        query: the SQL query (SQL sources read with ``--query``).
        description: free text.
        tags: classification tags (``pii``, ``health``).
        region: residency region (``CA``, ``eu-west-1``), if known.
        columns: the latest schema with column descriptions and tags.
        schedule: a cron expression for scheduled refreshes.
        fail_on_schema_change: refuse refreshes that change the schema.
        snapshot: ``auto`` (up to ``snapshot_max_bytes``), ``always``, ``never``.
        snapshot_max_bytes: the size limit of ``auto`` snapshots.
        latest_version: the newest version number (0 before the first).
        updated_at: last change of the entry or its versions.
        last_refreshed_at: last refresh, even one that found no change.
    """

    id: str
    name: str
    uri: str
    project: str
    owner: str
    created_at: float
    kind: str = "file"
    format: str | None = None
    query: str | None = None
    description: str = ""
    tags: tuple[str, ...] = ()
    region: str | None = None
    columns: tuple[ColumnRecord, ...] = ()
    schedule: str | None = None
    fail_on_schema_change: bool = False
    snapshot: str = "auto"
    snapshot_max_bytes: int = DEFAULT_SNAPSHOT_MAX_BYTES
    latest_version: int = 0
    updated_at: float | None = None
    last_refreshed_at: float | None = None


@dataclass(frozen=True, slots=True)
class DatasetVersionRecord:
    """One version of a dataset: content that a refresh found new.

    Attributes:
        id: 32-hex id (what step caches and lineage refer to).
        dataset_id: the dataset's id.
        dataset: the dataset's name.
        version: 1, 2, ... per dataset.
        fingerprint: ``sha256:<hex>`` of the source's bytes (files) or of a
            canonical Arrow serialization of the result (SQL).
        created_at: POSIX seconds.
        columns: the schema (name, type, nullable).
        stats: ``{"row_count": n, "columns": {name: {"nulls": ...}}}``.
        row_count: rows in this version.
        size_bytes: bytes read from the source.
        snapshot_artifact_id: the Parquet snapshot artifact, if one was kept.
        schema_changes: ``{"added": [...], "removed": [...], "retyped": {...}}``
            against the previous version.
        user: who refreshed it.
        uri: the source it was read from.
    """

    id: str
    dataset_id: str
    dataset: str
    version: int
    fingerprint: str
    created_at: float
    columns: tuple[ColumnRecord, ...] = ()
    stats: Mapping[str, Any] = field(default_factory=dict)
    row_count: int | None = None
    size_bytes: int | None = None
    snapshot_artifact_id: str | None = None
    schema_changes: Mapping[str, Any] = field(default_factory=dict)
    user: str = "unknown"
    uri: str = ""


@dataclass(frozen=True, slots=True)
class DatasetReadRecord:
    """A dataset version read inside a run (and step run).

    Attributes:
        dataset_version_id: the version read.
        run_id: the run that read it.
        read_at: POSIX seconds.
        step_run_id: the step run, inside a pipeline step.
        step_name: the step's name, inside a pipeline step.
        dataset: the dataset's name (filled in by the store on reads).
        version: the version number (filled in by the store on reads).
    """

    dataset_version_id: str
    run_id: str
    read_at: float
    step_run_id: str | None = None
    step_name: str | None = None
    dataset: str = ""
    version: int = 0


"""Keys ``update_dataset`` accepts."""
