"""Runs, step runs, artifacts, metrics and lineage edges: the records.

Frozen dataclasses; times are POSIX seconds (UTC floats).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "RUN_STATUSES",
    "STEP_STATUSES",
    "ArtifactRecord",
    "LineageEdge",
    "MetricBatch",
    "MetricRecord",
    "PipelineSummary",
    "RunRecord",
    "RunStatus",
    "StepFinish",
    "StepRunRecord",
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
class StepFinish:
    """The end of a step run, for ``advance_step_runs``.

    Attributes:
        step_run_id: the step run.
        changes: as for ``finish_step_run`` (status, ended_at, outputs...).
        artifacts: new artifacts the outputs point at, added first.
    """

    step_run_id: str
    changes: Mapping[str, Any]
    artifacts: tuple[ArtifactRecord, ...] = ()


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
class MetricBatch:
    """Metric values logged together: one run, one moment, one step, many keys.

    The way values travel from ``log_metrics`` to the store: one object per
    call instead of one :class:`MetricRecord` per value. Stored, each value is
    a row of its own (``get_metrics`` returns it as a ``MetricRecord``).

    Attributes:
        run_id: the run.
        values: metric name -> value, in logging order.
        timestamp: when they were logged.
        step: an optional iteration number (epoch, batch...).
        step_run_id: the step run that logged them, if inside a pipeline step.

    Example:
        >>> batch = MetricBatch("3f2a", {"loss": 0.25, "acc": 0.91}, 1700000000.0)
        >>> len(batch.values)
        2
    """

    run_id: str
    values: Mapping[str, float]
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
