"""``InMemoryCatalogRecords``: the catalog protocol in dicts, for tests.

A mixin of ``InMemoryMetadataStore``: it shares the store's lock, runs, step
runs and artifacts, and keeps the same checks, errors and orderings as the
SQL backend.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from rung._internal.timeutil import now
from rung.metadata import _common as c
from rung.metadata import catalog as k

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from rung.metadata.base import ArtifactRecord, RunRecord, StepRunRecord
    from rung.metadata.catalog import (
        DatasetReadRecord,
        DatasetRecord,
        DatasetVersionRecord,
    )

__all__ = ["InMemoryCatalogRecords"]


@dataclass
class _Catalog:
    datasets: dict[str, DatasetRecord] = field(default_factory=dict)
    versions: dict[str, DatasetVersionRecord] = field(default_factory=dict)
    reads: list[DatasetReadRecord] = field(default_factory=list)


class InMemoryCatalogRecords:
    """Datasets, versions and reads in memory."""

    _lock: threading.RLock
    _runs: dict[str, RunRecord]
    _steps: dict[str, StepRunRecord]
    _artifacts: dict[str, ArtifactRecord]

    @property
    def _catalog(self) -> _Catalog:
        with self._lock:
            found = self.__dict__.get("_catalog_state")
            if found is None:
                found = self.__dict__["_catalog_state"] = _Catalog()
            return found

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
        with self._lock:
            catalog = self._catalog
            if dataset.name in catalog.datasets:
                raise k.already_registered(dataset.name)
            self._check_snapshot(clean, new_artifacts)
            for artifact in new_artifacts:
                self._artifacts.setdefault(artifact.id, artifact)
            catalog.datasets[dataset.name] = first
            catalog.versions[clean.id] = clean
            return copy.deepcopy(first)

    def update_dataset(self, name: str, changes: Mapping[str, Any]) -> DatasetRecord:
        """Apply ``changes`` (column notes merge) atomically."""
        with self._lock:
            current = self._dataset(name)
            stamped = dict(changes)
            if set(changes) - {"last_refreshed_at"}:
                stamped.setdefault("updated_at", now())
            new = k.apply_dataset_changes(current, stamped)
            self._catalog.datasets[name] = new
            return copy.deepcopy(new)

    def get_dataset(self, name: str) -> DatasetRecord:
        """Return a dataset by name; raises DatasetNotFoundError."""
        with self._lock:
            return copy.deepcopy(self._dataset(name))

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
        with self._lock:
            found = [
                d
                for _, d in sorted(self._catalog.datasets.items())
                if k.matches(d, name_contains, owner, tag, column)
            ]
            return copy.deepcopy(found[:limit])

    def add_dataset_version(
        self, version: DatasetVersionRecord, artifacts: Sequence[ArtifactRecord] = ()
    ) -> DatasetRecord:
        """Insert the next version (and its snapshot artifact) atomically."""
        clean = k.clean_version(version)
        new_artifacts = [c.clean_artifact(a) for a in artifacts]
        with self._lock:
            current = next(
                (
                    d
                    for d in self._catalog.datasets.values()
                    if d.id == version.dataset_id
                ),
                None,
            )
            if current is None:
                raise k.dataset_not_found(version.dataset)
            if version.version != current.latest_version + 1:
                raise k.version_conflict(
                    current.name, version.version, current.latest_version
                )
            self._check_snapshot(clean, new_artifacts)
            for artifact in new_artifacts:
                self._artifacts.setdefault(artifact.id, artifact)
            new = replace(
                current,
                latest_version=version.version,
                columns=k.merge_columns(current.columns, clean.columns),
                updated_at=version.created_at,
                last_refreshed_at=version.created_at,
            )
            self._catalog.versions[clean.id] = replace(clean, dataset=current.name)
            self._catalog.datasets[current.name] = new
            return copy.deepcopy(new)

    def get_dataset_version(
        self, name: str, version: int | None = None
    ) -> DatasetVersionRecord:
        """Return a version by number (None: the latest)."""
        with self._lock:
            current = self._dataset(name)
            number = current.latest_version if version is None else version
            for found in self._catalog.versions.values():
                if found.dataset_id == current.id and found.version == number:
                    return copy.deepcopy(found)
            raise k.version_not_found(name, number, current.latest_version)

    def find_dataset_version(self, version_id: str) -> DatasetVersionRecord:
        """Return a version by id or unique id prefix (>= 4 characters)."""
        with self._lock:
            versions = self._catalog.versions
            found = versions.get(version_id)
            if found is None:
                matches = (
                    [v for v in versions if v.startswith(version_id)]
                    if len(version_id) >= k.MIN_PREFIX
                    else []
                )
                if len(matches) > 1:
                    from rung.errors import AmbiguousIdError

                    raise AmbiguousIdError(
                        f"The dataset version id prefix {version_id!r} matches "
                        f"several versions: {', '.join(sorted(matches)[:10])}. "
                        "Type more characters of the id."
                    )
                if not matches:
                    raise k.version_id_not_found(version_id)
                found = versions[matches[0]]
            return copy.deepcopy(found)

    def list_dataset_versions(self, name: str) -> list[DatasetVersionRecord]:
        """Return a dataset's versions, oldest first."""
        with self._lock:
            current = self._dataset(name)
            found = [
                v for v in self._catalog.versions.values() if v.dataset_id == current.id
            ]
            return copy.deepcopy(sorted(found, key=lambda v: v.version))

    def record_dataset_read(self, read: DatasetReadRecord) -> None:
        """Insert a read; raises LookupError subclasses for unknown ids."""
        with self._lock:
            version = self._catalog.versions.get(read.dataset_version_id)
            if version is None:
                raise k.version_id_not_found(read.dataset_version_id)
            if read.run_id not in self._runs:
                raise c.run_not_found(read.run_id)
            if read.step_run_id is not None and read.step_run_id not in self._steps:
                raise c.step_run_not_found(read.step_run_id)
            self._catalog.reads.append(
                replace(
                    read,
                    read_at=float(read.read_at),
                    dataset=version.dataset,
                    version=version.version,
                )
            )

    def list_dataset_reads(
        self,
        *,
        dataset_version_id: str | None = None,
        run_id: str | None = None,
        step_run_id: str | None = None,
    ) -> list[DatasetReadRecord]:
        """Return reads matching every given id, oldest first."""
        with self._lock:
            found = [
                r
                for r in self._catalog.reads
                if dataset_version_id in (None, r.dataset_version_id)
                and run_id in (None, r.run_id)
                and step_run_id in (None, r.step_run_id)
            ]
            return sorted(found, key=lambda r: r.read_at)

    def _dataset(self, name: str) -> DatasetRecord:
        found = self._catalog.datasets.get(name)
        if found is None:
            raise k.dataset_not_found(name)
        return found

    def _check_snapshot(
        self, version: DatasetVersionRecord, artifacts: Sequence[ArtifactRecord]
    ) -> None:
        wanted = version.snapshot_artifact_id
        known = {a.id for a in artifacts} | self._artifacts.keys()
        if wanted is not None and wanted not in known:
            raise c.artifacts_not_found([wanted])
