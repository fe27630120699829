"""Serving records: deployments and the index of prediction-log batches.

Frozen dataclasses, taken and returned by every ``DeploymentStore`` backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ACTIVE_ROLLOUT_STAGES",
    "BATCH_KINDS",
    "DEPLOYMENT_STATUSES",
    "ROLLOUT_ARMS",
    "ROLLOUT_STAGES",
    "DeploymentRecord",
    "PredictionBatchRecord",
    "RolloutRecord",
    "RolloutStatRecord",
]


DEPLOYMENT_STATUSES: tuple[str, ...] = ("running", "stopped", "failed")


BATCH_KINDS: tuple[str, ...] = ("predictions", "feedback", "quarantine", "shadow")
"""``shadow``: a challenger's predictions of mirrored requests, never answered
(same prediction ids as the champion's rows they mirror)."""

ROLLOUT_STAGES: tuple[str, ...] = (
    "shadow",
    "canary",
    "promoted",
    "rolled_back",
    "aborted",
    "refused",
)
"""``shadow``: the challenger scores mirrored traffic; ``canary``: it answers
a share of live traffic; ``promoted``: the alias moved to it; ``rolled_back``:
a breach sent all traffic back to the champion; ``aborted``: stopped by hand;
``refused``: the registry's gates or approvals refused the promotion."""
ACTIVE_ROLLOUT_STAGES: tuple[str, ...] = ("shadow", "canary")
ROLLOUT_ARMS: tuple[str, ...] = ("champion", "canary", "shadow")


@dataclass(frozen=True, slots=True)
class DeploymentRecord:
    """One serving endpoint bound to a model URI.

    Attributes:
        id / project / name: 32-hex id, the model's project, a name for people.
        model / alias: the model, and the alias it follows (None: ``name/N``).
        version: the version served now.
        host / port / workers / pid: where it listens, processes, process id.
        status: ``running``, ``stopped`` or ``failed``; ``user``: who started it.
        started_at / updated_at / stopped_at: POSIX seconds.
        served_versions: every version it served, in order (hot swaps append).
        config: JSON-able serving options (poll interval, NaN policy...).
    """

    id: str
    project: str
    name: str
    model: str
    alias: str | None
    version: int
    host: str
    port: int
    status: str
    user: str
    started_at: float
    updated_at: float
    stopped_at: float | None = None
    workers: int = 1
    served_versions: tuple[int, ...] = ()
    pid: int = 0
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PredictionBatchRecord:
    """One Parquet file of the prediction log (or of the feedback log).

    Attributes:
        id / project / kind: 32-hex id, project, ``predictions``, ``feedback``
            or ``quarantine`` (rows the log could not store, with why).
        model / version: who predicted (``version`` is None for feedback).
        uri: the key of the batch folder in the artifact store.
        row_count / size_bytes: rows in the file, and its size.
        first_at / last_at / created_at: oldest and newest row, write time.
        deployment_id: the deployment that logged it (None for batch scoring).
        run_id / step_run_id: the run and step that logged it, if any.
    """

    id: str
    project: str
    kind: str
    model: str
    version: int | None
    uri: str
    row_count: int
    first_at: float
    last_at: float
    created_at: float
    size_bytes: int = 0
    deployment_id: str | None = None
    run_id: str | None = None
    step_run_id: str | None = None


@dataclass(frozen=True, slots=True)
class RolloutRecord:
    """A challenger rolled out behind an alias: shadow, canary, then promotion.

    Model servers that follow ``model@alias`` read the active rollout of their
    alias and route by it; the agent moves it from stage to stage.

    Attributes:
        id / project: 32-hex id and project.
        model / alias: the alias whose traffic is rolled out.
        champion_version / challenger_version: the two versions.
        stage: one of :data:`ROLLOUT_STAGES`.
        share: the canary's share of live traffic (0 < share <= 1).
        shadow_s / bake_s: seconds of shadow and of canary (0: skip shadow).
        thresholds: ``metric``, ``min_metric``, ``max_error_rate``,
            ``max_latency_ms``, ``min_rows``, ``min_requests``, and ``watch``
            (the post-promotion watch's settings, or None).
        created_at / user: when and by whom.
        stage_started_at: when the current stage began.
        updated_at: the last change; ``generation`` counts changes (servers
            compare it to see a change cheaply).
        comparison_id: the challenger comparison behind it, if any.
        ended_at / reason: when and why it ended.
        stages: every stage entered, in order: ``stage``, ``at``, ``reason``.
        evidence: the last numbers measured (per arm), for status.
    """

    id: str
    project: str
    model: str
    alias: str
    champion_version: int
    challenger_version: int
    stage: str
    created_at: float
    user: str
    stage_started_at: float
    updated_at: float
    share: float = 0.1
    shadow_s: float = 0.0
    bake_s: float = 3600.0
    thresholds: Mapping[str, Any] = field(default_factory=dict)
    generation: int = 1
    comparison_id: str | None = None
    ended_at: float | None = None
    reason: str = ""
    stages: tuple[Mapping[str, Any], ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_active(self) -> bool:
        """True while servers route by it (shadow or canary)."""
        return self.stage in ACTIVE_ROLLOUT_STAGES

    @property
    def stage_ends_at(self) -> float | None:
        """When the current stage's time is up (None once it ended)."""
        if self.stage == "shadow":
            return self.stage_started_at + self.shadow_s
        if self.stage == "canary":
            return self.stage_started_at + self.bake_s
        return None


@dataclass(frozen=True, slots=True)
class RolloutStatRecord:
    """One server process's counters for one arm of a rollout.

    Counters are cumulative since the process started routing by the rollout;
    each process writes its own row again and again (so a lost write is made
    good by the next one).

    Attributes:
        rollout_id / worker / arm: the key: ``arm`` is ``champion``,
            ``canary`` or ``shadow``; ``worker`` names the process.
        version: the version that arm ran.
        requests / errors / rows: requests answered (or mirrored), requests
            the version failed, rows predicted.
        latency_ms_sum: total milliseconds spent predicting.
        latency_buckets: request counts per latency bucket (see
            ``rung.serving.LATENCY_BOUNDS_MS``).
        updated_at: when the process last wrote it.
    """

    rollout_id: str
    worker: str
    arm: str
    version: int
    requests: int = 0
    errors: int = 0
    rows: int = 0
    latency_ms_sum: float = 0.0
    latency_buckets: tuple[int, ...] = ()
    updated_at: float = 0.0
