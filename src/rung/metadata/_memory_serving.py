"""Deployments and prediction-batch index of ``InMemoryMetadataStore``.

A mixin, like the governance one: state is created on first use, shares the
store's lock, and every returned record is a copy.
"""

from __future__ import annotations

import copy
import threading
from typing import TYPE_CHECKING, Any

from rung.metadata._common import MIN_PREFIX, already_exists
from rung.metadata.serving import (
    DeploymentRecord,
    PredictionBatchRecord,
    apply_deployment_changes,
    choose_deployment,
    clean_batch,
    clean_deployment,
    deployment_not_found,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["InMemoryServingMixin"]


class _ServingState:
    def __init__(self) -> None:
        self.deployments: dict[str, DeploymentRecord] = {}
        self.batches: list[PredictionBatchRecord] = []
        self.batch_ids: set[str] = set()


class InMemoryServingMixin:
    """The ``ServingRecords`` methods, over a dict and a list."""

    _lock: threading.RLock

    def _serving(self) -> _ServingState:
        state: _ServingState | None = self.__dict__.get("_serving_state")
        if state is None:
            state = self.__dict__.setdefault("_serving_state", _ServingState())
        return state

    def add_deployment(self, deployment: DeploymentRecord) -> None:
        """Insert a new deployment; raises InvalidRecordError for a taken id."""
        clean = clean_deployment(deployment)
        with self._lock:
            state = self._serving()
            if clean.id in state.deployments:
                raise already_exists("Deployment", clean.id)
            state.deployments[clean.id] = clean

    def update_deployment(
        self, deployment_id: str, changes: Mapping[str, Any]
    ) -> DeploymentRecord:
        """Apply ``changes``; a new version joins ``served_versions``."""
        with self._lock:
            state = self._serving()
            current = state.deployments.get(deployment_id)
            if current is None:
                raise deployment_not_found(deployment_id)
            new = apply_deployment_changes(current, changes)
            state.deployments[deployment_id] = new
            return copy.deepcopy(new)

    def get_deployment(self, deployment_id: str) -> DeploymentRecord:
        """Return a deployment by id or unique prefix (>= 4 characters)."""
        with self._lock:
            known = self._serving().deployments
            found = known.get(deployment_id)
            if found is None:
                matches = (
                    [k for k in known if k.startswith(deployment_id)]
                    if len(deployment_id) >= MIN_PREFIX
                    else []
                )
                found = known[choose_deployment(deployment_id, matches)]
            return copy.deepcopy(found)

    def list_deployments(
        self,
        *,
        project: str | None = None,
        model: str | None = None,
        status: str | None = None,
        limit: int | None = 100,
    ) -> list[DeploymentRecord]:
        """Return deployments, newest first, filtered by the given fields."""
        with self._lock:
            found = [
                d
                for d in self._serving().deployments.values()
                if project in (None, d.project)
                and model in (None, d.model)
                and status in (None, d.status)
            ]
        found.sort(key=lambda d: (d.started_at, d.id), reverse=True)
        return copy.deepcopy(found[:limit])

    def add_prediction_batches(self, batches: Sequence[PredictionBatchRecord]) -> None:
        """Insert batch records in one transaction."""
        clean = [clean_batch(b) for b in batches]
        with self._lock:
            state = self._serving()
            seen: set[str] = set()
            for batch in clean:
                if batch.id in state.batch_ids or batch.id in seen:
                    raise already_exists("Prediction batch", batch.id)
                seen.add(batch.id)
            state.batches.extend(clean)
            state.batch_ids.update(seen)

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
        """Return batches, oldest first, filtered by the given fields."""
        with self._lock:
            found = [
                b
                for b in self._serving().batches
                if b.kind == kind
                and project in (None, b.project)
                and model in (None, b.model)
                and version in (None, b.version)
                and deployment_id in (None, b.deployment_id)
                and step_run_id in (None, b.step_run_id)
                and (since is None or b.last_at >= since)
                and (until is None or b.first_at <= until)
                and (batch_id is None or _id_matches(b.id, batch_id))
            ]
        found.sort(key=lambda b: (b.first_at, b.created_at, b.id))
        if limit is not None:
            found = found[-limit:] if limit > 0 else []
        return copy.deepcopy(found)


def _id_matches(record_id: str, given: str) -> bool:
    return record_id == given or (
        len(given) >= MIN_PREFIX and record_id.startswith(given)
    )
