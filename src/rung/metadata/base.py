"""Metadata records and the ``MetadataStore`` protocol.

Records are plain frozen dataclasses: a store takes and returns them, never
ORM objects, so a REST backend can implement the same protocol. Times are
POSIX seconds (UTC floats).

The store is one seam, but it is wide: runs, step runs, artifacts and metrics
are four families of records. It is therefore split into four small protocols
(each three to six methods) that ``MetadataStore`` combines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from rung.metadata.catalog import CatalogRecords
from rung.metadata.governance import GovernanceRecords
from rung.metadata.monitoring import MonitoringRecords
from rung.metadata.registry import ModelRecords
from rung.metadata.serving import ServingRecords

__all__ = [
    "RUN_STATUSES",
    "STEP_STATUSES",
    "ArtifactRecord",
    "ArtifactRecords",
    "LineageEdge",
    "MetadataStore",
    "MetricRecord",
    "MetricRecords",
    "PipelineSummary",
    "RunRecord",
    "RunRecords",
    "RunStatus",
    "StepRunRecord",
    "StepRunRecords",
    "StepStatus",
]

RunStatus = Literal["running", "completed", "failed", "cancelled"]
StepStatus = Literal["running", "completed", "cached", "failed", "skipped"]
RUN_STATUSES: tuple[str, ...] = ("running", "completed", "failed", "cancelled")
STEP_STATUSES: tuple[str, ...] = ("running", "completed", "cached", "failed", "skipped")


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One execution of a pipeline, or an ad-hoc tracked run (``pipeline=None``).

    Attributes:
        id: 32-hex id.
        name: human name, e.g. ``training-7f3a``.
        pipeline: the pipeline's name, or None for an ad-hoc run.
        project: the project every record belongs to.
        user: who started it.
        status: running, completed, failed or cancelled.
        started_at / ended_at / heartbeat_at: POSIX seconds.
        params: parameters (pipeline parameters and ``log_params`` values).
        tags: free-form string tags.
        source: how to find the pipeline again (``path/file.py:name``).
        config: the resolved run configuration, kept so a run can be resumed.
        git_commit / git_dirty: the code version, when in a git checkout.
        source_hash: SHA-256 over the sources of the pipeline's steps.
        environment_hash: key of the installed-packages lock (see environments).
        host / pid: where the run's process lives (for liveness checks).
        orchestrator: ``local``, ``ray``, ...
        trigger: what started it (``manual``, ``schedule``, ...).
        error: a one-line reason when failed or cancelled.
        attempt: 1, then +1 on every resume.
    """

    id: str
    name: str
    project: str
    user: str
    status: str
    started_at: float
    pipeline: str | None = None
    ended_at: float | None = None
    heartbeat_at: float | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    source: str | None = None
    config: Mapping[str, Any] = field(default_factory=dict)
    git_commit: str | None = None
    git_dirty: bool | None = None
    source_hash: str | None = None
    environment_hash: str | None = None
    host: str = ""
    pid: int = 0
    orchestrator: str = "local"
    trigger: str = "manual"
    error: str | None = None
    attempt: int = 1


@dataclass(frozen=True, slots=True)
class StepRunRecord:
    """One execution (or cache hit) of a step inside a run.

    Attributes:
        id: 32-hex id.
        run_id: the run it belongs to.
        name: the step's name in the pipeline (unique per run).
        status: running, completed, cached, failed or skipped.
        attempt: the run attempt this step run belongs to.
        cache_key: SHA-256 over source, inputs, parameters and materializers.
        cached_from: the step run whose outputs were reused, when cached.
        source_hash: SHA-256 of the step function's source.
        params: constant (non-artifact) arguments.
        inputs / outputs: argument or output name -> artifact id.
        cpu_seconds / peak_memory_bytes: resource use, for costs.
        stdout / stderr: what the step printed (truncated when huge).
        error / traceback: why it failed.
    """

    id: str
    run_id: str
    name: str
    status: str
    started_at: float
    attempt: int = 1
    ended_at: float | None = None
    cache_key: str | None = None
    cached_from: str | None = None
    source_hash: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    inputs: Mapping[str, str] = field(default_factory=dict)
    outputs: Mapping[str, str] = field(default_factory=dict)
    cpu_seconds: float | None = None
    peak_memory_bytes: int | None = None
    stdout: str = ""
    stderr: str = ""
    error: str | None = None
    traceback: str | None = None

    @property
    def duration(self) -> float | None:
        """Wall-clock seconds, or None while running."""
        return None if self.ended_at is None else self.ended_at - self.started_at


@dataclass(frozen=True, slots=True)
class ArtifactRecord:
    """An immutable, content-addressed value in the artifact store.

    Attributes:
        id: SHA-256 over the type, the materializer and the stored bytes.
        type: the value's Python type, ``module.QualName``.
        materializer: the name of the materializer that wrote it.
        uri: where its content lives in the artifact store (a key).
        size_bytes: stored size.
        metadata: shape, schema, dtype... (materializer-specific).
        is_pickled: True when loading it would unpickle (needs an opt-in).
        created_at: when it was first stored.
    """

    id: str
    type: str
    materializer: str
    uri: str
    size_bytes: int
    created_at: float
    metadata: Mapping[str, Any] = field(default_factory=dict)
    is_pickled: bool = False


@dataclass(frozen=True, slots=True)
class MetricRecord:
    """One logged metric value.

    Attributes:
        run_id: the run.
        key: the metric's name.
        value: the value.
        timestamp: when it was logged.
        step: an optional iteration number (epoch, batch...).
        step_run_id: the step run that logged it, if inside a pipeline step.
    """

    run_id: str
    key: str
    value: float
    timestamp: float
    step: int | None = None
    step_run_id: str | None = None


@dataclass(frozen=True, slots=True)
class LineageEdge:
    """An artifact consumed or produced by a step run.

    Attributes:
        step_run_id: the step run.
        run_id: the run of that step run.
        step_name: the step's name.
        artifact_id: the artifact.
        direction: ``input`` (consumed) or ``output`` (produced).
        name: the argument or output name.
    """

    step_run_id: str
    run_id: str
    step_name: str
    artifact_id: str
    direction: Literal["input", "output"]
    name: str


@dataclass(frozen=True, slots=True)
class PipelineSummary:
    """What the workspace knows about one pipeline, derived from its runs."""

    name: str
    project: str
    runs: int
    last_run_id: str
    last_status: str
    last_started_at: float
    source: str | None


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

    def record_cache_hits(self, step_runs: Sequence[StepRunRecord]) -> None:
        """In one transaction, for each finished ``cached`` step run: insert it
        (its inputs and outputs become lineage edges) and copy into its run the
        metrics its source (``cached_from``) logged."""
        ...

    def list_step_runs(self, run_id: str) -> list[StepRunRecord]:
        """Return a run's step runs in start order (all attempts)."""
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
class MetadataStore(
    RunRecords,
    StepRunRecords,
    ArtifactRecords,
    MetricRecords,
    ModelRecords,
    GovernanceRecords,
    CatalogRecords,
    ServingRecords,
    MonitoringRecords,
    Protocol,
):
    """Everything Rung records about runs, steps, artifacts and metrics.

    Implementations: ``SqlMetadataStore`` (SQLite, PostgreSQL) and
    ``InMemoryMetadataStore`` (tests). Constructors store their arguments and
    do no I/O; the first call opens the connection (and migrates the schema).
    """

    url: str

    def close(self) -> None:
        """Release connections. Calling it twice is harmless."""
        ...
