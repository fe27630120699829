"""Catalog records (datasets, versions, reads) and the ``DatasetStore`` protocol.

A dataset is a named data source with an owner, classification tags, a
residency region and annotated columns. Each refresh that finds new content
adds a :class:`DatasetVersionRecord` (fingerprint, schema, statistics, an
optional snapshot artifact). A :class:`DatasetReadRecord` says which step run
read which version: the first link of end-to-end lineage.

The helpers at the end are shared by every backend, so that they accept,
refuse and return exactly the same values."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from rung.errors import CatalogError, DatasetNotFoundError, InvalidDatasetError

if TYPE_CHECKING:
    from rung.metadata import ArtifactRecord

from rung.catalog.records import (
    ColumnRecord,
    DatasetReadRecord,
    DatasetRecord,
    DatasetVersionRecord,
)

__all__ = [
    "DATASET_CHANGEABLE",
    "MIN_PREFIX",
    "DatasetRecords",
    "DatasetStore",
    "DatasetVersionRecords",
    "already_registered",
    "annotate_columns",
    "apply_dataset_changes",
    "clean_column",
    "clean_dataset",
    "clean_version",
    "columns_from_json",
    "columns_to_json",
    "dataset_not_found",
    "dump_json",
    "matches",
    "merge_columns",
    "version_conflict",
    "version_id_not_found",
    "version_not_found",
]


DATASET_CHANGEABLE = frozenset(
    {
        "owner",
        "description",
        "tags",
        "region",
        "uri",
        "query",
        "format",
        "schedule",
        "fail_on_schema_change",
        "snapshot",
        "snapshot_max_bytes",
        "last_refreshed_at",
        "updated_at",
        "column_notes",
    }
)

MIN_PREFIX = 4


@runtime_checkable
class DatasetRecords(Protocol):
    """Dataset entries."""

    def create_dataset(
        self,
        dataset: DatasetRecord,
        version: DatasetVersionRecord,
        artifacts: Sequence[ArtifactRecord] = (),
    ) -> DatasetRecord:
        """Insert a dataset with its first version (and snapshot) atomically.

        Raises CatalogError when the name is taken.
        """
        ...

    def update_dataset(self, name: str, changes: Mapping[str, Any]) -> DatasetRecord:
        """Apply ``changes`` (see ``DATASET_CHANGEABLE``) in one transaction.

        ``changes["column_notes"]`` maps a column to ``{"description": str,
        "tags": [...]}`` (either key optional) and merges into ``columns``.
        """
        ...

    def get_dataset(self, name: str) -> DatasetRecord:
        """Return a dataset by name; raises DatasetNotFoundError."""
        ...

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
        ...


@runtime_checkable
class DatasetVersionRecords(Protocol):
    """Dataset versions and the reads of them."""

    def add_dataset_version(
        self, version: DatasetVersionRecord, artifacts: Sequence[ArtifactRecord] = ()
    ) -> DatasetRecord:
        """Insert the next version (and its snapshot artifact) atomically.

        ``version.version`` must be the dataset's latest version + 1, else
        CatalogError (another refresh won). Returns the updated dataset.
        """
        ...

    def get_dataset_version(
        self, name: str, version: int | None = None
    ) -> DatasetVersionRecord:
        """Return a version by number (None: the latest); DatasetNotFoundError."""
        ...

    def find_dataset_version(self, version_id: str) -> DatasetVersionRecord:
        """Return a version by id or unique id prefix (>= 4 characters)."""
        ...

    def list_dataset_versions(self, name: str) -> list[DatasetVersionRecord]:
        """Return a dataset's versions, oldest first."""
        ...

    def find_snapshot_versions(self, artifact_id: str) -> list[DatasetVersionRecord]:
        """Return the versions (any dataset) whose snapshot is this exact artifact."""
        ...

    def record_dataset_read(self, read: DatasetReadRecord) -> None:
        """Insert a read; raises LookupError subclasses for unknown ids."""
        ...

    def list_dataset_reads(
        self,
        *,
        dataset_version_id: str | None = None,
        run_id: str | None = None,
        step_run_id: str | None = None,
    ) -> list[DatasetReadRecord]:
        """Return reads matching every given id, oldest first."""
        ...


@runtime_checkable
class DatasetStore(DatasetRecords, DatasetVersionRecords, Protocol):
    """Everything the data catalog records."""


def clean_dataset(dataset: DatasetRecord) -> DatasetRecord:
    """Return ``dataset`` with tuples where lists may have been given."""
    return replace(
        dataset,
        tags=tuple(dataset.tags),
        columns=tuple(clean_column(c) for c in dataset.columns),
    )


def clean_column(column: ColumnRecord) -> ColumnRecord:
    """Return ``column`` with its tags as a tuple."""
    return replace(column, tags=tuple(column.tags))


def clean_version(version: DatasetVersionRecord) -> DatasetVersionRecord:
    """Return ``version`` with its mappings JSON round-tripped (as stored)."""
    return replace(
        version,
        columns=tuple(clean_column(c) for c in version.columns),
        stats=json.loads(dump_json(version.stats)),
        schema_changes=json.loads(dump_json(version.schema_changes)),
    )


def dump_json(value: Any) -> str:
    """Encode ``value`` as compact JSON (NaN refused: stats must be finite)."""
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise CatalogError(f"Cannot store catalog value as JSON: {exc}.") from exc


def columns_to_json(columns: Sequence[ColumnRecord]) -> str:
    """Encode columns as JSON text."""
    return dump_json([asdict(c) for c in columns])


def columns_from_json(text: str) -> tuple[ColumnRecord, ...]:
    """Decode columns written by :func:`columns_to_json`."""
    return tuple(
        ColumnRecord(**{**item, "tags": tuple(item.get("tags", ()))})
        for item in json.loads(text)
    )


def apply_dataset_changes(
    dataset: DatasetRecord, changes: Mapping[str, Any]
) -> DatasetRecord:
    """Return ``dataset`` with checked ``changes`` (column notes merged)."""
    unknown = sorted(set(changes) - DATASET_CHANGEABLE)
    if unknown:
        raise InvalidDatasetError(
            f"Cannot change {', '.join(map(repr, unknown))} of dataset "
            f"{dataset.name!r}. Changeable: {', '.join(sorted(DATASET_CHANGEABLE))}."
        )
    values = {k: v for k, v in changes.items() if k != "column_notes"}
    if "tags" in values:
        values["tags"] = tuple(values["tags"])
    new = replace(dataset, **values)
    notes = changes.get("column_notes")
    if notes:
        new = replace(new, columns=annotate_columns(new, notes))
    return new


def annotate_columns(
    dataset: DatasetRecord, notes: Mapping[str, Mapping[str, Any]]
) -> tuple[ColumnRecord, ...]:
    """Return the dataset's columns with descriptions and tags from ``notes``."""
    known = {c.name for c in dataset.columns}
    missing = sorted(set(notes) - known)
    if missing:
        raise CatalogError(
            f"Dataset {dataset.name!r} has no column {', '.join(map(repr, missing))}. "
            f"Its columns are: {', '.join(sorted(known)) or '(none)'}."
        )
    out = []
    for column in dataset.columns:
        note = notes.get(column.name, {})
        out.append(
            replace(
                column,
                description=note.get("description", column.description),
                tags=tuple(note.get("tags", column.tags)),
            )
        )
    return tuple(out)


def merge_columns(
    annotated: Sequence[ColumnRecord], schema: Sequence[ColumnRecord]
) -> tuple[ColumnRecord, ...]:
    """Return ``schema`` keeping descriptions and tags of columns still there."""
    notes = {c.name: c for c in annotated}
    return tuple(
        replace(c, description=notes[c.name].description, tags=notes[c.name].tags)
        if c.name in notes
        else c
        for c in schema
    )


def matches(
    dataset: DatasetRecord,
    name_contains: str | None,
    owner: str | None,
    tag: str | None,
    column: str | None,
) -> bool:
    """True when ``dataset`` passes every filter that is not None."""
    names = {c.name.lower() for c in dataset.columns}
    column_tags = {t for c in dataset.columns for t in c.tags}
    return (
        (name_contains is None or name_contains.lower() in dataset.name.lower())
        and (owner is None or owner == dataset.owner)
        and (tag is None or tag in dataset.tags or tag in column_tags)
        and (column is None or column.lower() in names)
    )


def dataset_not_found(name: str) -> DatasetNotFoundError:
    """Return the error for an unknown dataset name."""
    return DatasetNotFoundError(
        f"Dataset {name!r} is not in the catalog.",
        dataset=name,
        reason="unknown_dataset",
    )


def version_not_found(
    name: str, version: int | str, latest: int
) -> DatasetNotFoundError:
    """Return the error for an unknown version of a known dataset."""
    known = f"versions 1 to {latest}" if latest else "no versions yet"
    return DatasetNotFoundError(
        f"Dataset {name!r} has no version {version!r} (it has {known}).",
        dataset=name,
        version=version,
        reason="unknown_version",
    )


def version_id_not_found(given: str) -> DatasetNotFoundError:
    """Return the error for an unknown dataset version id."""
    short = (
        f" An id prefix needs at least {MIN_PREFIX} characters."
        if len(given) < MIN_PREFIX
        else ""
    )
    return DatasetNotFoundError(
        f"No dataset version has id {given!r}.{short}",
        version_id=given,
        reason="unknown_version_id",
    )


def already_registered(name: str) -> CatalogError:
    """Return the error for a dataset name that is taken."""
    return CatalogError(
        f"Dataset {name!r} is already registered.",
        dataset=name,
        reason="already_registered",
    )


def version_conflict(name: str, wanted: int, latest: int) -> CatalogError:
    """Return the error for a version number that is not latest + 1."""
    return CatalogError(
        f"Cannot add version {wanted} to dataset {name!r}: its latest version is "
        f"{latest}. Another refresh ran at the same time; refresh again."
    )
