"""Reading dataset versions: read checks, ``load_dataset``, ``dataset()`` inputs.

Every read runs the registered read checks first (governance plugs its
policies in here), loads the version (from its snapshot artifact, or from the
source after checking the content still matches), and, inside a run, records
the read so lineage can follow the data. A step that loads a snapshot
artifact directly (``rung.load_artifact``) has that read recorded too
(:func:`record_snapshot_read`, an artifact read hook).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rung._internal.hooks import HookList
from rung._internal.timeutil import now
from rung.catalog._api import parse_version
from rung.catalog.records import DatasetReadRecord
from rung.errors import StaleDatasetVersionError
from rung.tracking import RunScope, current_scope

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from rung.catalog.records import DatasetRecord, DatasetVersionRecord
    from rung.metadata import ArtifactRecord
    from rung.pipelines import StepContext
    from rung.workspace import ArtifactRead, Workspace

__all__ = [
    "DatasetInput",
    "ReadCheck",
    "add_read_check",
    "dataset",
    "load_dataset",
    "read_checks",
    "read_table",
    "record_snapshot_read",
    "remove_read_check",
]

ReadCheck = Callable[
    ["Workspace", "DatasetRecord", "DatasetVersionRecord", "RunScope | None"], None
]
"""``check(workspace, dataset, version, scope)``; raise a RungError to refuse."""

_checks: HookList[ReadCheck] = HookList("rung.read_checks")


def add_read_check(check: ReadCheck | str) -> None:
    """Run ``check`` before every dataset read; adding it twice has no effect.

    Args:
        check: a callable ``check(workspace, dataset, version, scope)``, or a
            ``"module:function"`` string imported on first use. It raises a
            ``RungError`` to refuse the read.

    Example:
        >>> def no_pii(ws, dataset, version, scope):
        ...     if "pii" in dataset.tags:
        ...         raise PolicyViolationError("no PII here")
        >>> add_read_check(no_pii)  # doctest: +SKIP
    """
    _checks.add(check)


def remove_read_check(check: ReadCheck | str) -> None:
    """Stop running ``check`` (unknown checks are ignored)."""
    _checks.remove(check)


def read_checks() -> list[ReadCheck]:
    """The registered read checks, imported."""
    return _checks.resolved()


def load_dataset(
    workspace: Workspace, name: str, version: int | str | None = None
) -> pd.DataFrame:
    """Load a dataset version as a pandas DataFrame (None: the latest).

    Inside a run of this workspace (a pipeline step, ``rung.start_run()``) the
    read is recorded in lineage. ``rung.load_dataset(name)`` does the same in
    the default workspace (inside a run: the run's).

    Args:
        workspace: where the dataset is registered.
        name: the dataset.
        version: a version number, or None / ``"latest"``.

    Raises:
        DatasetNotFoundError: unknown dataset or version.
        StaleDatasetVersionError: the version has no snapshot and its source
            changed since.
        RungError: a read check refused the read.

    Example:
        >>> df = load_dataset(ws, "claims")  # doctest: +SKIP
    """
    return _read(workspace, name, version, current_scope()).to_pandas()


def _read(
    workspace: Workspace, name: str, version: int | str | None, scope: RunScope | None
) -> pa.Table:
    record = workspace.datasets.get_dataset(name)
    found = workspace.datasets.get_dataset_version(name, parse_version(version))
    return _read_version(workspace, record, found, scope)


def _read_version(
    workspace: Workspace,
    record: DatasetRecord,
    version: DatasetVersionRecord,
    scope: RunScope | None,
) -> pa.Table:
    for check in read_checks():
        check(workspace, record, version, scope)
    table = _table(workspace, record, version)
    if scope is not None and scope.workspace is workspace:
        _record_read(workspace, version.id, scope)
    return table


def _record_read(workspace: Workspace, version_id: str, scope: RunScope) -> None:
    workspace.datasets.record_dataset_read(
        DatasetReadRecord(
            version_id, scope.run_id, now(), scope.step_run_id, scope.step
        )
    )


def read_table(
    workspace: Workspace, record: DatasetRecord, version: DatasetVersionRecord
) -> pa.Table:
    """Return a version's rows as an Arrow table.

    The read is checked and, inside a run, recorded, as by
    :func:`load_dataset`.

    Raises:
        StaleDatasetVersionError: no snapshot, and the source changed since.
        RungError: a read check refused the read.
    """
    return _read_version(workspace, record, version, current_scope())


def _table(
    workspace: Workspace, record: DatasetRecord, version: DatasetVersionRecord
) -> pa.Table:
    if version.snapshot_artifact_id is not None:
        from rung.workspace import ArtifactRead

        return workspace.load_artifact(
            version.snapshot_artifact_id, read=ArtifactRead("dataset")
        )
    from rung.catalog import _sources
    from rung.catalog._refresh import spec_of

    spec = spec_of(record, version.uri or None)
    fetched = _sources.fetch(spec)
    if fetched.fingerprint != version.fingerprint:
        raise StaleDatasetVersionError(
            f"Dataset {record.name!r} version {version.version} has no snapshot and "
            "its source changed since it was recorded "
            f"({version.fingerprint[:19]} -> {fetched.fingerprint[:19]}).",
            dataset=record.name,
            version=version.version,
        )
    return _sources.to_table(spec, fetched)


# Reads another hook already handles: dataset reads are recorded by
# ``_read_version``; step inputs and Rung's own metadata reads are no reads by
# a step's code.
_NOT_RECORDED = frozenset({"dataset", "step_input", "inspect"})


def record_snapshot_read(
    workspace: Workspace, artifact: ArtifactRecord, read: ArtifactRead
) -> None:
    """Artifact read hook: a step that loads a snapshot has read its dataset.

    ``rung.load_artifact(snapshot_id)`` inside a step is recorded in lineage
    as a read of every dataset version kept in that snapshot, as
    ``rung.load_dataset`` would be, so the step's outputs carry the data's
    classification. Outside a run nothing is recorded.
    """
    if read.path in _NOT_RECORDED:
        return
    scope = current_scope()
    if scope is None or scope.workspace is not workspace:
        return
    for version in workspace.datasets.find_snapshot_versions(artifact.id):
        _record_read(workspace, version.id, scope)


class DatasetInput:
    """A dataset version passed to a step inside a ``@pipeline`` body.

    The version is chosen once per run (the latest, unless pinned), so the
    step's cache key changes with every new version, and the step receives a
    pandas DataFrame. See :func:`dataset`.
    """

    def __init__(self, name: str, version: int | str | None = None) -> None:
        self.name = name
        self.version = parse_version(version)
        self._chosen: dict[str, str] = {}
        self._lock = threading.Lock()

    def rung_fingerprint(self, context: StepContext) -> str:
        """The id of the version this run reads (changes with every version)."""
        with self._lock:
            chosen = self._chosen.get(context.run_id)
        if chosen is None:
            found = context.workspace.datasets.get_dataset_version(
                self.name, self.version
            )
            with self._lock:
                chosen = self._chosen.setdefault(context.run_id, found.id)
        return chosen

    def rung_resolve(self, context: StepContext) -> Any:
        """Check, load and record the read of the chosen version."""
        workspace = context.workspace
        version = workspace.datasets.find_dataset_version(
            self.rung_fingerprint(context)
        )
        record = workspace.datasets.get_dataset(self.name)
        scope = RunScope(
            workspace, context.run_id, context.step_run_id, context.step, context.labels
        )
        return _read_version(workspace, record, version, scope).to_pandas()

    def rung_describe(self) -> dict[str, Any]:
        """``{"kind": "dataset", "name": ..., "version": ...}`` (None: latest)."""
        return {"kind": "dataset", "name": self.name, "version": self.version}

    def __repr__(self) -> str:
        return f"dataset({self.name!r}, version={self.version!r})"


def dataset(name: str, version: int | str | None = None) -> DatasetInput:
    """Refer to a dataset version as a step input inside a ``@pipeline`` body.

    Example:
        >>> from rung import pipeline, step
        >>> from rung.catalog import dataset
        >>> @step
        ... def count(df: pd.DataFrame) -> int:
        ...     return len(df)
        >>> @pipeline
        ... def report() -> None:
        ...     count(dataset("claims"))
    """
    return DatasetInput(name, version)
