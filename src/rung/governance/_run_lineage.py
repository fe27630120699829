"""Classifying a step's inputs while a run is going.

Fast path: each checked step remembers (per workspace) which dataset versions
reached its inputs. A consumer then needs only the run's dataset reads (one
query) to classify what its upstream step produced: what reached that step,
plus what it read itself.

Fallback (the upstream step was cached, reused on resume, checked in
another process, or the input is a constant): walk lineage from the artifact
to the step runs that produced it in this run (in any run, if none did),
their reads (or those of the step run a cached one reused) and, recursively,
their inputs. Finished step runs never change, so that walk is cached too.

Only which dataset versions arrived, and by which path, is cached: the tags
and regions of those datasets are read fresh on every check, so
re-classifying a dataset takes effect at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from rung.governance._classify import Classification, DataSource, source_of_dataset

if TYPE_CHECKING:
    from rung.metadata import StepRunRecord
    from rung.workspace import Workspace

__all__ = ["RunLineage"]

_K = TypeVar("_K")
_V = TypeVar("_V")
_CACHE_SIZE = 4096
_FINISHED = frozenset({"completed", "cached"})


class _Memo:
    """What one workspace remembers between checks (bounded, thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # step run id -> what reached the step run's outputs (bare).
        self.walked: OrderedDict[str, Classification] = OrderedDict()
        # (run id, node) -> (step run id, what reached its inputs, bare).
        self.received: OrderedDict[tuple[str, str], tuple[str, Classification]] = (
            OrderedDict()
        )

    def get(self, cache: OrderedDict[_K, _V], key: _K) -> _V | None:
        with self.lock:
            return cache.get(key)

    def put(self, cache: OrderedDict[_K, _V], key: _K, value: _V) -> None:
        with self.lock:
            cache[key] = value
            while len(cache) > _CACHE_SIZE:
                cache.popitem(last=False)


class RunLineage:
    """Classifies the inputs of steps of one run.

    Args:
        workspace: where the records are.
        run_id: the run (``""``: none; every producer of an artifact counts).
        max_step_runs: stop a fallback walk past this many step runs (the
            result is then marked incomplete).
    """

    def __init__(
        self, workspace: Workspace, run_id: str, max_step_runs: int = 500
    ) -> None:
        self.workspace = workspace
        self.run_id = run_id
        self.max_step_runs = max_step_runs
        self._memo = workspace.attach("governance.run_lineage", _Memo)
        self._reads: dict[str, list[DataSource]] | None = None
        self._records: dict[str, dict[str, StepRunRecord]] = {}
        self._datasets: dict[tuple[str, int], DataSource] = {}
        self._active: set[str] = set()
        self._visited = 0

    def bare_input(self, upstream: str | None, artifact_id: str) -> Classification:
        """What an input carries (datasets and paths, no facts yet).

        Args:
            upstream: the node that produced it in this run, if any.
            artifact_id: the input artifact.
        """
        remembered = self._memo.get(self._memo.received, (self.run_id, upstream or ""))
        if upstream is None or remembered is None:
            return self._artifact(artifact_id)
        step_run_id, received = remembered
        own = Classification(tuple(self._run_reads().get(step_run_id, ())))
        return Classification.merge([own, received]).via(upstream)

    def remember(self, node: str, step_run_id: str, received: Classification) -> None:
        """Record what reached ``node``'s inputs, for the steps it feeds."""
        self._memo.put(
            self._memo.received, (self.run_id, node), (step_run_id, received)
        )

    def add_received(self, node: str, step_run_id: str, bare: Classification) -> None:
        """Add what ``node``'s code loaded itself to what reached it.

        Only in memory, for the steps it feeds in this process: artifacts a
        step loads through ``rung.load_artifact`` leave no lineage edge (a
        dataset snapshot does: its read is recorded by the catalog).
        """
        key = (self.run_id, node)
        with self._memo.lock:
            found = self._memo.received.get(key)
            if found is not None and found[0] == step_run_id:
                merged = Classification.merge([found[1], bare])
                self._memo.received[key] = (step_run_id, merged)

    def artifact(self, artifact_id: str) -> Classification:
        """What an artifact carries (bare): what reached the step runs that
        produced it, and what they read."""
        return self._artifact(artifact_id)

    def step_run(self, run_id: str, step_run_id: str) -> Classification:
        """What reached a step run's outputs (bare), e.g. one that registered
        a model inside its body."""
        record = self._record(run_id, step_run_id)
        name = record.name if record is not None else "step"
        return self._of_step_run(run_id, step_run_id, name)

    def with_facts(self, bare: Classification) -> Classification:
        """Add each dataset's current tags, columns and region."""
        sources = tuple(self._facts(s) for s in bare.sources)
        return Classification(sources, bare.complete)

    def _run_reads(self) -> dict[str, list[DataSource]]:
        if self._reads is None:
            self._reads = {}
            reads = self.workspace.datasets.list_dataset_reads(run_id=self.run_id)
            for read in reads:
                bare = DataSource(read.dataset, read.version)
                self._reads.setdefault(read.step_run_id or "", []).append(bare)
        return self._reads

    def _artifact(self, artifact_id: str) -> Classification:
        edges = [
            e
            for e in self.workspace.runs.lineage(artifact_id)
            if e.direction == "output"
        ]
        mine = [e for e in edges if e.run_id == self.run_id] or edges
        return Classification.merge(
            self._of_step_run(e.run_id, e.step_run_id, e.step_name) for e in mine
        )

    def _of_step_run(self, run_id: str, step_run_id: str, name: str) -> Classification:
        cached = self._memo.get(self._memo.walked, step_run_id)
        if cached is not None:
            return cached
        if step_run_id in self._active:
            return Classification()  # identical content feeding itself
        if self._visited >= self.max_step_runs:
            return Classification(complete=False)
        self._visited += 1
        self._active.add(step_run_id)
        try:
            record = self._record(run_id, step_run_id)
            found = self._walk(record, step_run_id, name)
        finally:
            self._active.discard(step_run_id)
        if record is not None and record.status in _FINISHED and found.complete:
            self._memo.put(self._memo.walked, step_run_id, found)
        return found

    def _walk(
        self, record: StepRunRecord | None, step_run_id: str, name: str
    ) -> Classification:
        readers = [step_run_id]
        if record is not None and record.cached_from:
            readers.append(record.cached_from)
        sources = [
            DataSource(read.dataset, read.version)
            for reader in readers
            for read in self.workspace.datasets.list_dataset_reads(step_run_id=reader)
        ]
        inputs = [
            self._artifact(e.artifact_id)
            for e in self.workspace.runs.step_run_edges(step_run_id)
            if e.direction == "input"
        ]
        return Classification.merge([Classification(tuple(sources)), *inputs]).via(name)

    def _record(self, run_id: str, step_run_id: str) -> StepRunRecord | None:
        if run_id not in self._records:
            steps = self.workspace.runs.list_step_runs(run_id)
            self._records[run_id] = {s.id: s for s in steps}
        return self._records[run_id].get(step_run_id)

    def _facts(self, bare: DataSource) -> DataSource:
        key = (bare.dataset, bare.version or 0)
        if key not in self._datasets:
            record = self.workspace.datasets.get_dataset(bare.dataset)
            self._datasets[key] = source_of_dataset(record, bare.version)
        return replace(self._datasets[key], path=bare.path)
