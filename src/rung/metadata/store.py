"""The ``RunStore`` protocol: what every backend of ``ws.runs`` provides.

Stores take and return the frozen records of :mod:`rung.metadata.records`,
never ORM objects, so a REST backend can implement the same protocol. The
store is one seam, but it is wide: runs, step runs, artifacts and metrics are
four families of records, so it is split into four small protocols (each
three to six methods) that ``RunStore`` combines. The rules every backend
keeps live in ``_rules``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from rung.metadata.records import (
        ArtifactRecord,
        LineageEdge,
        MetricBatch,
        MetricRecord,
        PipelineSummary,
        RunRecord,
        StepFinish,
        StepRunRecord,
    )

__all__ = [
    "ArtifactRecords",
    "MetricRecords",
    "RunRecords",
    "RunStore",
    "StepRunRecords",
]


@runtime_checkable
class RunRecords(Protocol):
    """Runs, their parameters and tags."""

    def create_run(self, run: RunRecord) -> None:
        """Insert a new run (with its params and tags)."""
        ...

    def update_run(self, run_id: str, changes: Mapping[str, Any]) -> RunRecord:
        """Change fields of a run in one transaction and return the new record.

        ``changes`` may name any RunRecord field except ``id``; ``params`` and
        ``tags`` are merged into the existing ones. Raises RunNotFoundError.
        """
        ...

    def get_run(self, run_id: str) -> RunRecord:
        """Return a run by id or unique id prefix (>= 4 characters).

        Raises RunNotFoundError, or AmbiguousIdError for a shared prefix.
        """
        ...

    def list_runs(
        self,
        *,
        project: str | None = None,
        pipeline: str | None = None,
        status: str | None = None,
        limit: int | None = 100,
    ) -> list[RunRecord]:
        """Return runs, newest first, filtered by the given fields."""
        ...

    def list_pipelines(self, *, project: str | None = None) -> list[PipelineSummary]:
        """Return one summary per pipeline name that has runs, by name."""
        ...


@runtime_checkable
class StepRunRecords(Protocol):
    """Step runs and the artifacts they consumed and produced."""

    def create_step_run(self, step_run: StepRunRecord) -> None:
        """Insert a step run; its ``inputs`` become lineage edges."""
        ...

    def finish_step_run(
        self,
        step_run_id: str,
        changes: Mapping[str, Any],
        artifacts: Sequence[ArtifactRecord] = (),
    ) -> StepRunRecord:
        """In one transaction: add ``artifacts`` (idempotent), apply ``changes``.

        ``changes["outputs"]`` (name -> artifact id), if given, become output
        lineage edges. Every output id must be in ``artifacts`` or already
        stored. Raises LookupError subclasses for unknown ids.
        """
        ...

    def advance_step_runs(
        self, finished: Sequence[StepFinish], started: Sequence[StepRunRecord]
    ) -> None:
        """In one transaction: finish each of ``finished`` as ``finish_step_run``
        would (its artifacts added first), then insert each of ``started`` as
        ``create_step_run`` would.

        The run engine's step in a pipeline: the steps that just completed
        and the ones they made ready, one write. All or nothing.
        """
        ...

    def record_cache_hits(self, step_runs: Sequence[StepRunRecord]) -> None:
        """In one transaction, for each finished ``cached`` step run: insert it
        (its inputs and outputs become lineage edges) and copy into its run the
        metrics its source (``cached_from``) logged."""
        ...

    def list_step_runs(
        self, run_id: str, *, status: str | None = None
    ) -> list[StepRunRecord]:
        """Return a run's step runs in start order (all attempts); with
        ``status``, only those in that status."""
        ...

    def find_cached_step_run(self, cache_key: str) -> StepRunRecord | None:
        """Return the newest completed (not cached) step run with this key."""
        ...


@runtime_checkable
class ArtifactRecords(Protocol):
    """The artifact index and lineage."""

    def add_artifacts(self, artifacts: Sequence[ArtifactRecord]) -> None:
        """Insert artifacts; ones already known are left unchanged."""
        ...

    def get_artifact(self, artifact_id: str) -> ArtifactRecord:
        """Return an artifact by id or unique prefix (>= 4 characters).

        Raises ArtifactNotFoundError or AmbiguousIdError.
        """
        ...

    def list_artifacts(
        self,
        *,
        run_id: str | None = None,
        type_contains: str | None = None,
        limit: int | None = 100,
    ) -> list[ArtifactRecord]:
        """Return artifacts, newest first; ``run_id`` keeps that run's outputs."""
        ...

    def lineage(self, artifact_id: str) -> list[LineageEdge]:
        """Return every edge that touches the artifact (producers, consumers)."""
        ...

    def step_run_edges(self, step_run_id: str) -> list[LineageEdge]:
        """Return the input and output edges of one step run."""
        ...


@runtime_checkable
class MetricRecords(Protocol):
    """Metrics and installed-package locks."""

    def log_metrics(self, metrics: Sequence[MetricRecord]) -> None:
        """Insert metric values in one transaction (a batch)."""
        ...

    def log_metric_batches(self, batches: Sequence[MetricBatch]) -> None:
        """Insert the values of ``batches`` in one transaction, in order.

        Stores each value as :meth:`log_metrics` would store the same
        ``MetricRecord``; this is the fast path of ``rung.log_metrics``.
        Raises InvalidRecordError for an empty or non-string key or a
        non-numeric value, LookupError subclasses for unknown ids.
        """
        ...

    def get_metrics(self, run_id: str, key: str | None = None) -> list[MetricRecord]:
        """Return a run's metric history in logging order."""
        ...

    def latest_metrics(self, run_ids: Sequence[str]) -> dict[str, dict[str, float]]:
        """Return, per run, the last value logged for each key."""
        ...

    def put_environment(self, env_hash: str, packages: Mapping[str, str]) -> None:
        """Store an installed-packages lock under its hash (idempotent)."""
        ...

    def get_environment(self, env_hash: str) -> dict[str, str]:
        """Return a stored lock; raises LookupError (MetadataError) if unknown."""
        ...


@runtime_checkable
class RunStore(RunRecords, StepRunRecords, ArtifactRecords, MetricRecords, Protocol):
    """Everything Rung records about runs, step runs, artifacts and metrics.

    ``ws.runs`` of a workspace. Implementations: ``SqlRunStore`` (SQLite file,
    SQLite in memory, PostgreSQL). Stores are built by their backend and do no
    I/O until their first call.
    """
