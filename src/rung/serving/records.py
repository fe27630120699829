"""Serving records: deployments and the index of prediction-log batches.

Frozen dataclasses, taken and returned by every ``DeploymentStore`` backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BATCH_KINDS",
    "DEPLOYMENT_STATUSES",
    "DeploymentRecord",
    "PredictionBatchRecord",
]


DEPLOYMENT_STATUSES: tuple[str, ...] = ("running", "stopped", "failed")


BATCH_KINDS: tuple[str, ...] = ("predictions", "feedback", "quarantine")


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
