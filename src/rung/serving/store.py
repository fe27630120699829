"""Serving records: deployments and the index of prediction-log batches.

A *deployment* is one ``rung serve`` of a model URI: where it listens and
which versions it served. The prediction log is Parquet files in the artifact
store; the metadata store indexes them, one *prediction batch* per file
(model, version, time range, rows, key), so readers open only the files a
query needs. Feedback batches are indexed too (``kind="feedback"``).

Example:
    >>> from rung.metadata import open_metadata_store
    >>> store = open_metadata_store("memory://")
    >>> store.list_deployments()
    []"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol, runtime_checkable

from rung.errors import (
    DeploymentNotFoundError,
    InvalidRecordError,
    RolloutNotFoundError,
)
from rung.serving.records import (
    BATCH_KINDS,
    DEPLOYMENT_STATUSES,
    ROLLOUT_ARMS,
    ROLLOUT_STAGES,
    DeploymentRecord,
    PredictionBatchRecord,
    RolloutRecord,
    RolloutStatRecord,
)
from rung.store import MIN_PREFIX, check_changeable, clean_mapping

__all__ = [
    "DeploymentRecords",
    "DeploymentStore",
    "PredictionBatchRecords",
    "RolloutStore",
    "apply_deployment_changes",
    "apply_rollout_changes",
    "choose_deployment",
    "clean_batch",
    "clean_deployment",
    "clean_rollout",
    "clean_rollout_stat",
    "deployment_not_found",
    "rollout_not_found",
]


_CHANGEABLE = frozenset({"status", "version", "stopped_at", "updated_at", "config"})


@runtime_checkable
class DeploymentRecords(Protocol):
    """Deployments: where a model is served, and what it served."""

    def add_deployment(self, deployment: DeploymentRecord) -> None:
        """Insert a new deployment; raises InvalidRecordError for a taken id."""
        ...

    def update_deployment(
        self, deployment_id: str, changes: Mapping[str, Any]
    ) -> DeploymentRecord:
        """Change ``status``, ``version``, ``stopped_at``, ``updated_at``, ``config``.

        A new ``version`` joins ``served_versions``. Raises
        DeploymentNotFoundError.
        """
        ...

    def get_deployment(self, deployment_id: str) -> DeploymentRecord:
        """Return a deployment by id or unique prefix (>= 4 characters)."""
        ...

    def list_deployments(
        self,
        *,
        project: str | None = None,
        model: str | None = None,
        status: str | None = None,
        limit: int | None = 100,
    ) -> list[DeploymentRecord]:
        """Return deployments, newest first, filtered by the given fields."""
        ...


@runtime_checkable
class PredictionBatchRecords(Protocol):
    """The index of the prediction and feedback logs."""

    def add_prediction_batches(self, batches: Sequence[PredictionBatchRecord]) -> None:
        """Insert batch records in one transaction."""
        ...

    def list_prediction_batches(
        self,
        *,
        project: str | None = None,
        kind: str = "predictions",
        model: str | None = None,
        version: int | None = None,
        deployment_id: str | None = None,
        step_run_id: str | None = None,
        since: float | None = None,
        until: float | None = None,
        batch_id: str | None = None,
        limit: int | None = None,
    ) -> list[PredictionBatchRecord]:
        """Return batches, oldest first, filtered by the given fields.

        ``since``/``until`` keep the batches whose time range overlaps
        ``[since, until]``; ``batch_id`` is an id or a prefix (>= 4
        characters); ``limit`` keeps the newest ones.
        """
        ...


@runtime_checkable
class DeploymentStore(DeploymentRecords, PredictionBatchRecords, Protocol):
    """Everything the serving domain stores."""


@runtime_checkable
class RolloutStore(Protocol):
    """Rollouts and the counters servers report for them.

    Rules every backend keeps:

    - at most one active rollout (shadow or canary) per project, model and
      alias: :meth:`add_rollout` raises RolloutConflictError otherwise;
    - :meth:`update_rollout` changes a rollout only if its stage is still
      ``expect_stage`` (when given; RolloutConflictError otherwise), and adds
      one to ``generation`` on every change;
    - a stat row is keyed by rollout, worker and arm; writing it again
      replaces it.
    """

    def add_rollout(self, rollout: RolloutRecord) -> None:
        """Insert a rollout (RolloutConflictError: the alias has an active one)."""
        ...

    def update_rollout(
        self,
        project: str,
        rollout_id: str,
        changes: Mapping[str, Any],
        *,
        expect_stage: str | None = None,
    ) -> RolloutRecord:
        """Change a rollout; see the rules above. Raises RolloutNotFoundError."""
        ...

    def get_rollout(self, project: str, rollout_id: str) -> RolloutRecord:
        """Return a rollout by id or unique prefix (>= 4 characters)."""
        ...

    def list_rollouts(
        self,
        project: str,
        *,
        model: str | None = None,
        alias: str | None = None,
        stages: Sequence[str] | None = None,
        limit: int | None = 100,
    ) -> list[RolloutRecord]:
        """Return rollouts, newest first, filtered by the given fields."""
        ...

    def active_rollout(
        self, project: str, model: str, alias: str
    ) -> RolloutRecord | None:
        """The alias's rollout in shadow or canary, if any (one indexed read)."""
        ...

    def put_rollout_stats(self, stats: Sequence[RolloutStatRecord]) -> None:
        """Insert or replace stat rows, in one transaction."""
        ...

    def list_rollout_stats(self, rollout_id: str) -> list[RolloutStatRecord]:
        """Every stat row of a rollout."""
        ...


_ROLLOUT_CHANGEABLE = frozenset(
    {"stage", "stage_started_at", "ended_at", "reason", "stages", "evidence", "share"}
)


def clean_rollout(rollout: RolloutRecord) -> RolloutRecord:
    """Check a new rollout (raises InvalidRecordError); return it as stored."""
    for name in ("id", "project", "model", "alias"):
        if not getattr(rollout, name):
            raise InvalidRecordError(f"Rollout {rollout.id!r} has an empty {name}.")
    _check_stage(rollout.stage)
    if not 0.0 < float(rollout.share) <= 1.0:
        raise InvalidRecordError(
            f"Rollout {rollout.id!r}: share must be in (0, 1], got {rollout.share!r}."
        )
    if float(rollout.shadow_s) < 0 or float(rollout.bake_s) <= 0:
        raise InvalidRecordError(
            f"Rollout {rollout.id!r}: shadow_s must be >= 0 and bake_s > 0, got "
            f"{rollout.shadow_s!r} and {rollout.bake_s!r}."
        )
    return replace(
        rollout,
        champion_version=int(rollout.champion_version),
        challenger_version=int(rollout.challenger_version),
        share=float(rollout.share),
        shadow_s=float(rollout.shadow_s),
        bake_s=float(rollout.bake_s),
        thresholds=clean_mapping(rollout.thresholds, "rollout thresholds"),
        evidence=clean_mapping(rollout.evidence, "rollout evidence"),
        stages=tuple(clean_mapping(s, "rollout stage") for s in rollout.stages),
    )


def apply_rollout_changes(
    rollout: RolloutRecord, changes: Mapping[str, Any], at: float
) -> RolloutRecord:
    """Return ``rollout`` with checked ``changes`` and the next generation."""
    check_changeable(changes, _ROLLOUT_CHANGEABLE, "a rollout")
    values = dict(changes)
    if "stage" in values:
        _check_stage(values["stage"])
    if "evidence" in values:
        values["evidence"] = clean_mapping(values["evidence"], "rollout evidence")
    if "stages" in values:
        values["stages"] = tuple(
            clean_mapping(s, "rollout stage") for s in values["stages"]
        )
    return clean_rollout(
        replace(rollout, **values, updated_at=at, generation=rollout.generation + 1)
    )


def clean_rollout_stat(stat: RolloutStatRecord) -> RolloutStatRecord:
    """Check a stat row (raises InvalidRecordError); return it as stored."""
    if stat.arm not in ROLLOUT_ARMS:
        raise InvalidRecordError(
            f"Invalid rollout arm {stat.arm!r}. Use one of: {', '.join(ROLLOUT_ARMS)}."
        )
    if not stat.rollout_id or not stat.worker:
        raise InvalidRecordError("A rollout stat row needs a rollout id and a worker.")
    if min(stat.requests, stat.errors, stat.rows) < 0:
        raise InvalidRecordError(
            f"Rollout stat counters must be >= 0, got requests={stat.requests}, "
            f"errors={stat.errors}, rows={stat.rows}."
        )
    return replace(
        stat,
        version=int(stat.version),
        requests=int(stat.requests),
        errors=int(stat.errors),
        rows=int(stat.rows),
        latency_ms_sum=float(stat.latency_ms_sum),
        latency_buckets=tuple(int(n) for n in stat.latency_buckets),
        updated_at=float(stat.updated_at),
    )


def rollout_not_found(project: str, rollout_id: str) -> RolloutNotFoundError:
    """Return the error for an unknown rollout id."""
    return RolloutNotFoundError(
        f"No rollout {rollout_id!r} in project {project!r}.",
        rollout_id=rollout_id,
        project=project,
    )


def _check_stage(stage: object) -> None:
    if stage not in ROLLOUT_STAGES:
        raise InvalidRecordError(
            f"Invalid rollout stage {stage!r}. Use one of: {', '.join(ROLLOUT_STAGES)}."
        )


def clean_deployment(deployment: DeploymentRecord) -> DeploymentRecord:
    """Check a new deployment (raises InvalidRecordError); return it as stored."""
    for name in ("id", "project", "model", "name"):
        if not getattr(deployment, name):
            raise InvalidRecordError(
                f"Deployment {deployment.id!r} has an empty {name}. Give every "
                "deployment an id, a project, a model and a name."
            )
    _check_status(deployment.status)
    if not 0 <= int(deployment.port) <= 65535:
        raise InvalidRecordError(
            f"Deployment {deployment.id!r}: port must be 0-65535, got "
            f"{deployment.port!r}."
        )
    versions = tuple(int(v) for v in deployment.served_versions) or (
        int(deployment.version),
    )
    return replace(
        deployment,
        version=int(deployment.version),
        port=int(deployment.port),
        served_versions=versions,
        config=clean_mapping(deployment.config, "deployment config"),
    )


def apply_deployment_changes(
    deployment: DeploymentRecord, changes: Mapping[str, Any]
) -> DeploymentRecord:
    """Return ``deployment`` with checked ``changes`` (InvalidRecordError)."""
    check_changeable(changes, _CHANGEABLE, "a deployment")
    values = dict(changes)
    if "status" in values:
        _check_status(values["status"])
    if "config" in values:
        values["config"] = clean_mapping(values["config"], "deployment config")
    if "version" in values:
        values["version"] = int(values["version"])
        if values["version"] not in deployment.served_versions:
            values["served_versions"] = (
                *deployment.served_versions,
                values["version"],
            )
    return replace(deployment, **values)


def clean_batch(batch: PredictionBatchRecord) -> PredictionBatchRecord:
    """Check a batch record (raises InvalidRecordError); return it as stored."""
    if batch.kind not in BATCH_KINDS:
        raise InvalidRecordError(
            f"Invalid prediction batch kind {batch.kind!r}. Use one of: "
            f"{', '.join(BATCH_KINDS)}."
        )
    for name in ("id", "project", "model", "uri"):
        if not getattr(batch, name):
            raise InvalidRecordError(
                f"Prediction batch {batch.id!r} has an empty {name}."
            )
    if batch.row_count < 0 or batch.last_at < batch.first_at:
        raise InvalidRecordError(
            f"Prediction batch {batch.id!r}: row_count must be >= 0 and last_at >= "
            f"first_at, got {batch.row_count}, {batch.first_at}..{batch.last_at}."
        )
    return replace(
        batch,
        version=None if batch.version is None else int(batch.version),
        row_count=int(batch.row_count),
        first_at=float(batch.first_at),
        last_at=float(batch.last_at),
        created_at=float(batch.created_at),
        size_bytes=int(batch.size_bytes),
    )


def deployment_not_found(deployment_id: str) -> DeploymentNotFoundError:
    """Return the error for an unknown deployment id."""
    return DeploymentNotFoundError(
        f"No deployment has id {deployment_id!r}.", deployment_id=deployment_id
    )


def choose_deployment(given: str, candidates: Sequence[str]) -> str:
    """The one id matching a prefix; DeploymentNotFoundError, AmbiguousIdError."""
    from rung.errors import AmbiguousIdError

    if len(candidates) == 1 and len(given) >= MIN_PREFIX:
        return candidates[0]
    if len(candidates) <= 1:
        raise deployment_not_found(given)
    raise AmbiguousIdError(
        f"The deployment id prefix {given!r} matches several deployments: "
        f"{', '.join(sorted(candidates)[:5])}. Type more characters of the id."
    )


def _check_status(status: object) -> None:
    if status not in DEPLOYMENT_STATUSES:
        raise InvalidRecordError(
            f"Invalid deployment status {status!r}. Use one of: "
            f"{', '.join(DEPLOYMENT_STATUSES)}."
        )
