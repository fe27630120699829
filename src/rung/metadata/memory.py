"""``InMemoryMetadataStore``: the whole protocol in a few dicts, for tests.

It keeps the semantics of the SQL backend (the same checks, the same JSON
round-trip of mappings, the same errors and orderings) so that code tested
against it behaves the same on SQLite or PostgreSQL.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from rung.errors import InvalidRecordError
from rung.metadata import _common as c
from rung.metadata._memory_catalog import InMemoryCatalogRecords
from rung.metadata._memory_governance import InMemoryGovernanceMixin
from rung.metadata._memory_monitoring import InMemoryMonitoringMixin
from rung.metadata._memory_registry import InMemoryModelRecords
from rung.metadata._memory_serving import InMemoryServingMixin
from rung.metadata.base import (
    ArtifactRecord,
    LineageEdge,
    MetricRecord,
    PipelineSummary,
    RunRecord,
    StepRunRecord,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

__all__ = ["InMemoryMetadataStore"]

_T = TypeVar("_T")
_DIRECTIONS: tuple[Literal["input", "output"], ...] = ("input", "output")


def _copy(value: _T) -> _T:
    # Callers get their own copies: mutating a returned dict must not change
    # what the store holds.
    return copy.deepcopy(value)


class InMemoryMetadataStore(
    InMemoryModelRecords,
    InMemoryGovernanceMixin,
    InMemoryCatalogRecords,
    InMemoryServingMixin,
    InMemoryMonitoringMixin,
):
    """A thread-safe metadata store that lives in memory.

    Args:
        url: kept for ``open_metadata_store``; any ``memory://...`` URL.

    Example:
        >>> store = InMemoryMetadataStore()
        >>> store.list_runs()
        []
    """

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._lock = threading.RLock()
        self._runs: dict[str, RunRecord] = {}
        self._steps: dict[str, StepRunRecord] = {}
        self._artifacts: dict[str, ArtifactRecord] = {}
        self._metrics: dict[str, list[MetricRecord]] = {}
        self._envs: dict[str, dict[str, str]] = {}

    def close(self) -> None:
        """Do nothing: there are no connections. The data stays available."""

    # -- runs ---------------------------------------------------------------------

    def create_run(self, run: RunRecord) -> None:
        """Insert a new run (with its params and tags)."""
        clean = c.clean_run(run)
        with self._lock:
            if run.id in self._runs:
                raise c.already_exists("Run", run.id)
            self._runs[run.id] = clean

    def update_run(self, run_id: str, changes: Mapping[str, Any]) -> RunRecord:
        """Apply ``changes`` (params and tags merge) and return the new run."""
        clean = c.clean_run_changes(run_id, changes)
        with self._lock:
            new = c.apply_run_changes(self._run(run_id), clean)
            self._runs[run_id] = new
            return _copy(new)

    def get_run(self, run_id: str) -> RunRecord:
        """Return a run by id or unique id prefix (>= 4 characters)."""
        with self._lock:
            found = self._runs.get(run_id)
            if found is None:
                found = self._runs[
                    c.choose_one("run", run_id, _match(self._runs, run_id))
                ]
            return _copy(found)

    def list_runs(
        self,
        *,
        project: str | None = None,
        pipeline: str | None = None,
        status: str | None = None,
        limit: int | None = 100,
    ) -> list[RunRecord]:
        """Return runs, newest first, filtered by the given fields."""
        with self._lock:
            runs = [
                r
                for r in self._runs.values()
                if (project is None or r.project == project)
                and (pipeline is None or r.pipeline == pipeline)
                and (status is None or r.status == status)
            ]
            runs.sort(key=lambda r: (r.started_at, r.id), reverse=True)
            return _copy(runs[:limit])

    def list_pipelines(self, *, project: str | None = None) -> list[PipelineSummary]:
        """Return one summary per (pipeline, project) that has runs, by name."""
        groups: dict[tuple[str, str], list[RunRecord]] = {}
        with self._lock:
            for run in self._runs.values():
                if run.pipeline is not None and project in (None, run.project):
                    groups.setdefault((run.pipeline, run.project), []).append(run)
        return [
            _summary(name, proj, runs) for (name, proj), runs in sorted(groups.items())
        ]

    def _run(self, run_id: str) -> RunRecord:
        try:
            return self._runs[run_id]
        except KeyError:
            raise c.run_not_found(run_id) from None

    # -- step runs -----------------------------------------------------------------

    def create_step_run(self, step_run: StepRunRecord) -> None:
        """Insert a step run; its inputs (and outputs) become lineage edges."""
        clean = c.clean_step_run(step_run)
        with self._lock:
            self._run(step_run.run_id)
            if step_run.id in self._steps:
                raise c.already_exists("Step run", step_run.id)
            self._check_artifacts([*clean.inputs.values(), *clean.outputs.values()])
            self._steps[step_run.id] = clean

    def record_cache_hits(self, step_runs: Sequence[StepRunRecord]) -> None:
        """Insert cached step runs and copy their sources' metrics, atomically."""
        if any(step_run.cached_from is None for step_run in step_runs):
            raise InvalidRecordError("A cache hit needs `cached_from`.")
        with self._lock:
            for step_run in step_runs:
                self._run(step_run.run_id)
                if step_run.id in self._steps:
                    raise c.already_exists("Step run", step_run.id)
            for step_run in step_runs:
                self.create_step_run(step_run)
                for history in list(self._metrics.values()):
                    copied = [
                        replace(m, run_id=step_run.run_id, step_run_id=step_run.id)
                        for m in history
                        if m.step_run_id == step_run.cached_from
                    ]
                    self._metrics.setdefault(step_run.run_id, []).extend(copied)

    def finish_step_run(
        self,
        step_run_id: str,
        changes: Mapping[str, Any],
        artifacts: Sequence[ArtifactRecord] = (),
    ) -> StepRunRecord:
        """Add ``artifacts``, apply ``changes`` (outputs become edges), atomically."""
        clean = c.clean_step_changes(step_run_id, changes)
        new_artifacts = [c.clean_artifact(a) for a in artifacts]
        with self._lock:
            new = c.apply_step_changes(self._step(step_run_id), clean)
            known = {a.id for a in new_artifacts} | self._artifacts.keys()
            missing = {*new.inputs.values(), *new.outputs.values()} - known
            if missing:
                raise c.artifacts_not_found(sorted(missing))
            for artifact in new_artifacts:
                self._artifacts.setdefault(artifact.id, artifact)
            self._steps[step_run_id] = new
            return _copy(new)

    def list_step_runs(self, run_id: str) -> list[StepRunRecord]:
        """Return a run's step runs in start order (all attempts)."""
        with self._lock:
            self._run(run_id)
            steps = [s for s in self._steps.values() if s.run_id == run_id]
            return _copy(sorted(steps, key=lambda s: (s.started_at, s.id)))

    def find_cached_step_run(self, cache_key: str) -> StepRunRecord | None:
        """Return the newest completed (not cached) step run with this key."""
        with self._lock:
            hits = [
                s
                for s in self._steps.values()
                if s.cache_key == cache_key and s.status == "completed"
            ]
            if not hits:
                return None
            return _copy(max(hits, key=lambda s: (s.started_at, s.id)))

    def _step(self, step_run_id: str) -> StepRunRecord:
        try:
            return self._steps[step_run_id]
        except KeyError:
            raise c.step_run_not_found(step_run_id) from None

    # -- artifacts -----------------------------------------------------------------

    def add_artifacts(self, artifacts: Sequence[ArtifactRecord]) -> None:
        """Insert artifacts; ones already known are left unchanged."""
        clean = [c.clean_artifact(a) for a in artifacts]
        with self._lock:
            for artifact in clean:
                self._artifacts.setdefault(artifact.id, artifact)

    def get_artifact(self, artifact_id: str) -> ArtifactRecord:
        """Return an artifact by id or unique prefix (>= 4 characters)."""
        with self._lock:
            found = self._artifacts.get(artifact_id)
            if found is None:
                matches = _match(self._artifacts, artifact_id)
                found = self._artifacts[c.choose_one("artifact", artifact_id, matches)]
            return _copy(found)

    def list_artifacts(
        self,
        *,
        run_id: str | None = None,
        type_contains: str | None = None,
        limit: int | None = 100,
    ) -> list[ArtifactRecord]:
        """Return artifacts, newest first; ``run_id`` keeps that run's outputs."""
        with self._lock:
            found = list(self._artifacts.values())
            if run_id is not None:
                outputs = {
                    a
                    for s in self._steps.values()
                    if s.run_id == run_id
                    for a in s.outputs.values()
                }
                found = [a for a in found if a.id in outputs]
            if type_contains is not None:
                needle = type_contains.lower()
                found = [a for a in found if needle in a.type.lower()]
            found.sort(key=lambda a: (a.created_at, a.id), reverse=True)
            return _copy(found[:limit])

    def lineage(self, artifact_id: str) -> list[LineageEdge]:
        """Return every edge that touches the artifact (producers, consumers)."""
        with self._lock:
            if artifact_id not in self._artifacts:
                raise c.artifact_not_found(artifact_id)
            steps = sorted(self._steps.values(), key=lambda s: (s.started_at, s.id))
            return [e for s in steps for e in _edges(s) if e.artifact_id == artifact_id]

    def step_run_edges(self, step_run_id: str) -> list[LineageEdge]:
        """Return the input and output edges of one step run."""
        with self._lock:
            return list(_edges(self._step(step_run_id)))

    def _check_artifacts(self, artifact_ids: Sequence[str]) -> None:
        missing = set(artifact_ids) - self._artifacts.keys()
        if missing:
            raise c.artifacts_not_found(sorted(missing))

    # -- metrics and environments ----------------------------------------------------

    def log_metrics(self, metrics: Sequence[MetricRecord]) -> None:
        """Insert metric values atomically (a batch)."""
        rows = c.metric_rows(metrics)
        with self._lock:
            for run_id, step_run_id, *_ in rows:
                self._run(run_id)
                if step_run_id is not None:
                    self._step(step_run_id)
            for row in rows:
                self._metrics.setdefault(row[0], []).append(_metric(row))

    def get_metrics(self, run_id: str, key: str | None = None) -> list[MetricRecord]:
        """Return a run's metric history in logging order."""
        with self._lock:
            self._run(run_id)
            history = self._metrics.get(run_id, [])
            return [m for m in history if key is None or m.key == key]

    def latest_metrics(self, run_ids: Sequence[str]) -> dict[str, dict[str, float]]:
        """Return, per run, the last value logged for each key."""
        with self._lock:
            return {
                run_id: {m.key: m.value for m in self._metrics.get(run_id, [])}
                for run_id in run_ids
            }

    def put_environment(self, env_hash: str, packages: Mapping[str, str]) -> None:
        """Store an installed-packages lock under its hash (idempotent)."""
        clean = c.clean_strings(packages, "packages")
        with self._lock:
            self._envs.setdefault(env_hash, clean)

    def get_environment(self, env_hash: str) -> dict[str, str]:
        """Return a stored lock; raises EnvironmentNotFoundError if unknown."""
        with self._lock:
            try:
                return dict(self._envs[env_hash])
            except KeyError:
                raise c.environment_not_found(env_hash) from None


def _match(records: Mapping[str, Any], prefix: str) -> list[str]:
    if len(prefix) < c.MIN_PREFIX:
        return []
    return [key for key in records if key.startswith(prefix)][: c.MAX_CANDIDATES]


def _edges(step: StepRunRecord) -> Iterator[LineageEdge]:
    for direction in _DIRECTIONS:
        links = step.inputs if direction == "input" else step.outputs
        for name in sorted(links):
            yield LineageEdge(
                step.id, step.run_id, step.name, links[name], direction, name
            )


def _summary(name: str, project: str, runs: list[RunRecord]) -> PipelineSummary:
    last = max(runs, key=lambda r: (r.started_at, r.id))
    return PipelineSummary(
        name, project, len(runs), last.id, last.status, last.started_at, last.source
    )


def _metric(row: c.MetricRow) -> MetricRecord:
    run_id, step_run_id, key, value, step, timestamp = row
    return MetricRecord(run_id, key, value, timestamp, step, step_run_id)
