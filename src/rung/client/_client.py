"""``Client``: one facade over a workspace, for the CLI and for users.

Runs, artifacts and pipelines are here; each domain's methods live in their
own module (``_models``, ``_datasets``, ``_policies``, ``_deployments``,
``_monitors``, ``_automation``, ``_challenger``) and delegate to that
domain's functions with the client's workspace. A remote client (a Rung
server) implements the same methods.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rung.client._automation import _Automation
from rung.client._challenger import _Challenger
from rung.client._datasets import _Datasets
from rung.client._deployments import _Deployments
from rung.client._models import _Models
from rung.client._monitors import _Monitors
from rung.client._policies import _Policies
from rung.client._rollout import _Rollouts
from rung.errors import ArtifactError
from rung.pipelines import end_dead_runs, load_pipeline, resume_run
from rung.tracking import Run, compare_runs
from rung.workspace import ArtifactRead

if TYPE_CHECKING:
    from rung.metadata import (
        ArtifactRecord,
        LineageEdge,
        PipelineSummary,
        RunRecord,
        StepRunRecord,
    )
    from rung.pipelines import EventHook
    from rung.tracking import RunComparison
    from rung.workspace import Workspace

__all__ = ["ArtifactLineage", "Client", "LineageNode"]


@dataclass(frozen=True, slots=True)
class LineageNode:
    """An artifact and the step run that produced it, with that step's inputs."""

    artifact: ArtifactRecord
    producer: LineageEdge | None
    inputs: list[LineageNode] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ArtifactLineage:
    """Where an artifact came from (a tree, upstream) and who consumed it."""

    root: LineageNode
    consumers: list[LineageEdge]


class Client(
    _Models,
    _Datasets,
    _Policies,
    _Deployments,
    _Monitors,
    _Automation,
    _Challenger,
    _Rollouts,
):
    """Read and act on one workspace: runs, artifacts, models, datasets, ...

    Every method works on the client's workspace; the domain packages'
    functions take that workspace as their first argument instead.

    Args:
        workspace: the workspace to use.

    Example:
        >>> client = rung.Client(rung.open_workspace())  # doctest: +SKIP
        >>> client.promote_model("churn", 3, "production")  # doctest: +SKIP
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    # -- runs -----------------------------------------------------------------------

    def list_runs(
        self,
        *,
        pipeline: str | None = None,
        status: str | None = None,
        limit: int | None = 50,
        all_projects: bool = False,
    ) -> list[RunRecord]:
        """Runs, newest first (runs whose process died are marked failed first)."""
        end_dead_runs(self.workspace)
        return self.workspace.runs.list_runs(
            project=None if all_projects else self.workspace.project,
            pipeline=pipeline,
            status=status,
            limit=limit,
        )

    def get_run(self, run_id: str) -> RunRecord:
        """One run by id or unique prefix."""
        end_dead_runs(self.workspace)
        return self.workspace.runs.get_run(run_id)

    def run(self, run_id: str) -> Run:
        """A :class:`Run` handle (outputs, metrics, steps)."""
        from rung.tracking import Run

        return Run(self.workspace, self.get_run(run_id).id)

    def step_runs(self, run_id: str) -> list[StepRunRecord]:
        """Every step run of a run, in start order."""
        return self.workspace.runs.list_step_runs(self.get_run(run_id).id)

    def cache_sources(self, step_runs: Sequence[StepRunRecord]) -> dict[str, str]:
        """For cached step runs: step run id -> the run whose outputs it reused."""
        sources: dict[str, str] = {}
        for step_run in step_runs:
            if step_run.cached_from:
                edges = self.workspace.runs.step_run_edges(step_run.cached_from)
                if edges:
                    sources[step_run.id] = edges[0].run_id
        return sources

    def latest_metrics(self, run_ids: Sequence[str]) -> dict[str, dict[str, float]]:
        """Run id -> each metric's latest value (runs without metrics left out)."""
        return self.workspace.runs.latest_metrics(run_ids)

    def compare_runs(self, run_ids: Sequence[str]) -> RunComparison:
        """Parameters and metrics of several runs side by side."""
        return compare_runs(self.workspace, run_ids)

    def environment(self, run_id: str) -> dict[str, str]:
        """The installed packages recorded for a run ({} if none recorded)."""
        record = self.get_run(run_id)
        if not record.environment_hash:
            return {}
        return self.workspace.runs.get_environment(record.environment_hash)

    # -- pipelines ------------------------------------------------------------------

    def list_pipelines(self) -> list[PipelineSummary]:
        """Pipelines this project has run, with their latest run."""
        return self.workspace.runs.list_pipelines(project=self.workspace.project)

    def run_pipeline(
        self,
        reference: str,
        *,
        config: str | Path | None = None,
        cli_params: Mapping[str, str] | None = None,
        enable_cache: bool | None = None,
        on_event: EventHook | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Run:
        """Load ``file.py:name`` and run it (see ``Pipeline.run``)."""

        found = load_pipeline(reference)
        return found.run(
            config=config,
            cli_params=cli_params,
            enable_cache=enable_cache,
            workspace=self.workspace,
            on_event=on_event,
            tags=tags,
        )

    def resume_run(self, run_id: str, *, on_event: EventHook | None = None) -> Run:
        """Re-run only what did not complete in a failed or killed run."""
        return resume_run(self.workspace, run_id, on_event=on_event)

    # -- artifacts ------------------------------------------------------------------

    def list_artifacts(
        self,
        *,
        run_id: str | None = None,
        type_contains: str | None = None,
        limit: int | None = 50,
    ) -> list[ArtifactRecord]:
        """Artifacts, newest first; ``run_id`` keeps one run's outputs."""
        resolved = self.get_run(run_id).id if run_id else None
        return self.workspace.runs.list_artifacts(
            run_id=resolved, type_contains=type_contains, limit=limit
        )

    def get_artifact(self, artifact_id: str) -> ArtifactRecord:
        """One artifact record by id or unique prefix."""
        return self.workspace.runs.get_artifact(artifact_id)

    def load_artifact(self, artifact_id: str, *, allow_pickle: bool = False) -> Any:
        """An artifact's value (pickled ones need ``allow_pickle=True``)."""
        record = self.get_artifact(artifact_id)
        self.workspace.require_content(record)
        return self.workspace.load_artifact(record, allow_pickle=allow_pickle)

    def export_artifact(self, artifact_id: str, destination: Path) -> Path:
        """Copy an artifact's stored files into ``destination`` (no loading).

        The export passes the artifact read checks like a load.

        Raises:
            ArtifactError: ``destination`` exists and is not an empty folder.
            PolicyViolationError: a residency policy refuses the read.
        """
        from rung.artifacts import StoredArtifact, export_value

        record = self.get_artifact(artifact_id)
        self.workspace.check_artifact_read(record, ArtifactRead("export"))
        self.workspace.require_content(record)
        if destination.exists() and (
            not destination.is_dir() or any(destination.iterdir())
        ):
            raise ArtifactError(
                f"Export destination {destination} exists and is not an empty folder. "
                "Choose a new path."
            )
        stored = StoredArtifact(
            record.id,
            record.type,
            record.materializer,
            record.uri,
            record.size_bytes,
            dict(record.metadata),
            record.is_pickled,
        )
        export_value(self.workspace.artifacts, stored, destination)
        return destination

    def lineage(self, artifact_id: str, *, depth: int = 20) -> ArtifactLineage:
        """The artifact's upstream tree (producers, recursively) and consumers."""
        record = self.get_artifact(artifact_id)
        edges = self.workspace.runs.lineage(record.id)
        consumers = [e for e in edges if e.direction == "input"]
        return ArtifactLineage(self._upstream(record, edges, depth, set()), consumers)

    def _upstream(
        self,
        record: ArtifactRecord,
        edges: list[LineageEdge],
        depth: int,
        seen: set[str],
    ) -> LineageNode:
        producers = [e for e in edges if e.direction == "output"]
        producer = producers[0] if producers else None
        if producer is None or depth <= 0 or record.id in seen:
            return LineageNode(record, producer)
        seen = seen | {record.id}
        inputs = []
        for edge in self.workspace.runs.step_run_edges(producer.step_run_id):
            if edge.direction != "input":
                continue
            parent = self.workspace.runs.get_artifact(edge.artifact_id)
            parent_edges = self.workspace.runs.lineage(parent.id)
            inputs.append(self._upstream(parent, parent_edges, depth - 1, seen))
        return LineageNode(record, producer, inputs)
