"""The built-in lineage sources: datasets, step runs and artifacts, models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rung.catalog._lineage import GraphEdge, GraphNode
from rung.catalog._sources import mask_uri
from rung.errors import RungError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rung.catalog._lineage import Neighbour
    from rung.catalog.records import (
        DatasetReadRecord,
        DatasetRecord,
        DatasetVersionRecord,
    )
    from rung.metadata import ArtifactRecord
    from rung.workspace import Workspace

__all__ = ["DATASETS", "MODELS", "STEPS"]

_MIN_PREFIX = 4


def _split_kind(reference: str, kind: str) -> str | None:
    """``kind:rest`` -> rest; a plain reference stays; another kind -> None."""
    head, sep, rest = reference.partition(":")
    if sep and "/" not in head and head.isidentifier():
        return rest if head == kind else None
    return reference


def dataset_node(record: DatasetRecord) -> GraphNode:
    """The node of a dataset entry."""
    return GraphNode(
        f"dataset:{record.name}",
        "dataset",
        record.name,
        {
            "name": record.name,
            "uri": mask_uri(record.uri),
            "owner": record.owner,
            "tags": list(record.tags),
            "region": record.region,
            "column_tags": {c.name: list(c.tags) for c in record.columns if c.tags},
        },
    )


def version_node(record: DatasetRecord, version: DatasetVersionRecord) -> GraphNode:
    """The node of a dataset version (it carries the dataset's classification)."""
    attributes = dict(dataset_node(record).attributes)
    attributes.update(
        version=version.version,
        version_id=version.id,
        fingerprint=version.fingerprint,
        rows=version.row_count,
        created_at=version.created_at,
    )
    return GraphNode(
        f"dataset_version:{version.id}",
        "dataset_version",
        f"{record.name}@{version.version}",
        attributes,
    )


def step_node(step_run_id: str, step: str | None, run_id: str) -> GraphNode:
    """The node of a step run."""
    return GraphNode(
        f"step_run:{step_run_id}",
        "step_run",
        f"{step or 'step'} (run {run_id[:8]})",
        {"step": step, "run_id": run_id, "step_run_id": step_run_id},
    )


def artifact_node(record: ArtifactRecord) -> GraphNode:
    """The node of an artifact."""
    short_type = record.type.rsplit(".", 1)[-1]
    return GraphNode(
        f"artifact:{record.id}",
        "artifact",
        f"{short_type} {record.id[:8]}",
        {
            "artifact_id": record.id,
            "type": record.type,
            "materializer": record.materializer,
            "size_bytes": record.size_bytes,
        },
    )


class DatasetLineage:
    """Datasets, their versions, and the step runs that read them."""

    def find(self, workspace: Workspace, reference: str) -> list[GraphNode]:
        """``name``, ``name@version``, a version id or prefix, ``dataset:name``."""
        for kind in ("dataset", "dataset_version"):
            rest = _split_kind(reference, kind)
            if rest is not None and rest != reference:
                return self._find(workspace, rest, kind)
        if _split_kind(reference, "dataset") is None:
            return []
        found = self._find(workspace, reference, "dataset")
        if not found and len(reference) >= _MIN_PREFIX:
            found = self._find(workspace, reference, "dataset_version")
        return found

    def _find(self, workspace: Workspace, ref: str, kind: str) -> list[GraphNode]:
        try:
            if kind == "dataset_version":
                version = workspace.datasets.find_dataset_version(ref)
                return [
                    version_node(
                        workspace.datasets.get_dataset(version.dataset), version
                    )
                ]
            name, at, number = ref.partition("@")
            record = workspace.datasets.get_dataset(name)
            if not at:
                return [dataset_node(record)]
            found = workspace.datasets.get_dataset_version(
                name, None if number == "latest" else int(number)
            )
            return [version_node(record, found)]
        except (LookupError, ValueError):
            return []

    def upstream(self, workspace: Workspace, node: GraphNode) -> list[Neighbour]:
        """A version's dataset; the versions a step run read; the versions an
        artifact is the snapshot of."""
        if node.kind == "artifact":
            found = workspace.datasets.find_snapshot_versions(
                node.attributes["artifact_id"]
            )
            out = []
            for version in found:
                parent = version_node(
                    workspace.datasets.get_dataset(version.dataset), version
                )
                out.append((parent, GraphEdge(parent.id, node.id, "snapshot")))
            return out
        if node.kind == "dataset_version":
            record = workspace.datasets.get_dataset(node.attributes["name"])
            parent = dataset_node(record)
            return [(parent, GraphEdge(parent.id, node.id, "version"))]
        if node.kind == "step_run":
            reads = step_reads(workspace, node.attributes["step_run_id"], node)
            out = []
            for read in _unique(reads, lambda r: r.dataset_version_id):
                version = workspace.datasets.find_dataset_version(
                    read.dataset_version_id
                )
                parent = version_node(
                    workspace.datasets.get_dataset(version.dataset), version
                )
                out.append((parent, GraphEdge(parent.id, node.id, "read")))
            return out
        return []

    def downstream(self, workspace: Workspace, node: GraphNode) -> list[Neighbour]:
        """A dataset's versions; the step runs that read a version."""
        if node.kind == "dataset":
            record = workspace.datasets.get_dataset(node.attributes["name"])
            return [
                (child, GraphEdge(node.id, child.id, "version"))
                for child in (
                    version_node(record, v)
                    for v in workspace.datasets.list_dataset_versions(record.name)
                )
            ]
        if node.kind == "dataset_version":
            reads = workspace.datasets.list_dataset_reads(
                dataset_version_id=node.attributes["version_id"]
            )
            return [
                (child, GraphEdge(node.id, child.id, "read"))
                for child in (
                    step_node(r.step_run_id, r.step_name, r.run_id)
                    for r in _unique(reads, lambda r: r.step_run_id)
                    if r.step_run_id is not None
                )
            ]
        return []


def step_reads(
    workspace: Workspace, step_run_id: str, node: GraphNode | None = None
) -> list[DatasetReadRecord]:
    """The reads of a step run, or of the step run it reused (a cache hit)."""
    reads = workspace.datasets.list_dataset_reads(step_run_id=step_run_id)
    run_id = node.attributes.get("run_id") if node is not None else None
    if reads or not run_id:
        return reads
    steps = workspace.runs.list_step_runs(run_id)
    source = next((s.cached_from for s in steps if s.id == step_run_id), None)
    return workspace.datasets.list_dataset_reads(step_run_id=source) if source else []


class StepLineage:
    """Step runs and the artifacts they consumed and produced."""

    def find(self, workspace: Workspace, reference: str) -> list[GraphNode]:
        """An artifact id or prefix (``artifact:``), a run id (``run:``): its steps."""
        artifact_ref = _split_kind(reference, "artifact")
        if artifact_ref is not None and len(artifact_ref) >= _MIN_PREFIX:
            try:
                return [artifact_node(workspace.runs.get_artifact(artifact_ref))]
            except LookupError:
                pass
            except RungError:
                if artifact_ref != reference:
                    raise
        run_ref = _split_kind(reference, "run")
        if run_ref is None or len(run_ref) < _MIN_PREFIX:
            return []
        try:
            run = workspace.runs.get_run(run_ref)
        except LookupError:
            return []
        return [
            step_node(s.id, s.name, s.run_id)
            for s in workspace.runs.list_step_runs(run.id)
        ]

    def upstream(self, workspace: Workspace, node: GraphNode) -> list[Neighbour]:
        """A step run's input artifacts; the step runs that produced an artifact."""
        return self._edges(workspace, node, "input", "output")

    def downstream(self, workspace: Workspace, node: GraphNode) -> list[Neighbour]:
        """A step run's outputs; the step runs that consumed an artifact."""
        return self._edges(workspace, node, "output", "input")

    def _edges(
        self, workspace: Workspace, node: GraphNode, of_step: str, of_artifact: str
    ) -> list[Neighbour]:
        out: list[Neighbour] = []
        if node.kind == "step_run":
            for edge in workspace.runs.step_run_edges(node.attributes["step_run_id"]):
                if edge.direction == of_step:
                    other = artifact_node(workspace.runs.get_artifact(edge.artifact_id))
                    out.append((other, _step_edge(node, other, of_step)))
        elif node.kind == "artifact":
            for edge in workspace.runs.lineage(node.attributes["artifact_id"]):
                if edge.direction == of_artifact:
                    other = step_node(edge.step_run_id, edge.step_name, edge.run_id)
                    out.append((other, _step_edge(other, node, of_artifact)))
        return out


class ModelLineage:
    """Model versions registered from artifacts."""

    def find(self, workspace: Workspace, reference: str) -> list[GraphNode]:
        """``name/version`` or ``model_version:name/version``."""
        ref = _split_kind(reference, "model_version")
        if ref is None:
            return []
        name, slash, number = ref.rpartition("/")
        if not slash or not number.isdigit():
            return []
        project, _, name = name.rpartition("/")
        try:
            found = workspace.models.get_model_version(
                project or workspace.project, name, int(number)
            )
        except LookupError:
            return []
        return [_model_node(found)]

    def upstream(self, workspace: Workspace, node: GraphNode) -> list[Neighbour]:
        """The artifact a model version was registered from, and the step run
        it was registered in when that step run did not output the artifact
        (a model registered inside a step's body), and the training data it
        was registered with when no step run of its lineage read it (a model
        fitted in a script, registered with ``training_data=``)."""
        if node.kind != "model_version":
            return []
        artifact_id = node.attributes["artifact_id"]
        parent = artifact_node(workspace.runs.get_artifact(artifact_id))
        found = [(parent, GraphEdge(parent.id, node.id, "registered"))]
        step = _registering_step(workspace, node.attributes, artifact_id)
        if step is not None:
            found.append((step, GraphEdge(step.id, node.id, "registered in")))
        for table in _given_training_data(workspace, node.attributes):
            found.append((table, GraphEdge(table.id, node.id, "trained on")))
        return found

    def downstream(self, workspace: Workspace, node: GraphNode) -> list[Neighbour]:
        """The model versions registered from an artifact."""
        if node.kind != "artifact":
            return []
        versions = workspace.models.find_model_versions(node.attributes["artifact_id"])
        return [
            (child, GraphEdge(node.id, child.id, "registered"))
            for child in map(_model_node, versions)
        ]


def _model_node(version: Any) -> GraphNode:
    return GraphNode(
        f"model_version:{version.project}/{version.model}/{version.version}",
        "model_version",
        f"{version.model} v{version.version}",
        {
            "model": version.model,
            "version": version.version,
            "project": version.project,
            "artifact_id": version.artifact_id,
            "state": getattr(version, "state", None),
            "run_id": getattr(version, "run_id", None),
            "step_run_id": getattr(version, "step_run_id", None),
        },
    )


def _registering_step(
    workspace: Workspace, attributes: Mapping[str, Any], artifact_id: str
) -> GraphNode | None:
    """The step run a version names, unless it is its artifact's producer."""
    run_id, step_run_id = attributes.get("run_id"), attributes.get("step_run_id")
    if not run_id or not step_run_id:
        return None
    producers = {
        e.step_run_id
        for e in workspace.runs.lineage(artifact_id)
        if e.direction == "output"
    }
    if step_run_id in producers:
        return None
    steps = {s.id: s for s in workspace.runs.list_step_runs(run_id)}
    if step_run_id not in steps:
        return None
    return step_node(step_run_id, steps[step_run_id].name, run_id)


def _given_training_data(
    workspace: Workspace, attributes: Mapping[str, Any]
) -> list[GraphNode]:
    """The version's training data that its step run did not read, as nodes."""
    version = workspace.models.get_model_version(
        attributes["project"], attributes["model"], attributes["version"]
    )
    read: set[str] = set()
    if version.step_run_id:
        read = {
            e.artifact_id
            for e in workspace.runs.step_run_edges(version.step_run_id)
            if e.direction == "input"
        }
    producers = {
        e.step_run_id
        for e in workspace.runs.lineage(version.artifact_id)
        if e.direction == "output"
    }
    for step_run_id in producers:
        read |= {
            e.artifact_id
            for e in workspace.runs.step_run_edges(step_run_id)
            if e.direction == "input"
        }
    given = sorted(set(version.training_data.values()) - read)
    return [artifact_node(workspace.runs.get_artifact(a)) for a in given]


def _step_edge(step: GraphNode, artifact: GraphNode, direction: str) -> GraphEdge:
    # Edges follow the data: artifact -> consuming step, producing step -> artifact.
    if direction == "input":
        return GraphEdge(artifact.id, step.id, "input")
    return GraphEdge(step.id, artifact.id, "output")


def _unique(items: list[Any], key: Any) -> list[Any]:
    seen: dict[Any, Any] = {}
    for item in items:
        seen.setdefault(key(item), item)
    return list(seen.values())


DATASETS = DatasetLineage()
STEPS = StepLineage()
MODELS = ModelLineage()
