"""Deployments and prediction batches in the lineage graph.

Edges: model version -> deployment (``deployed``) -> prediction batch
(``logged``); batch scoring: model version -> prediction batch (``scored``),
and the step run that scored -> prediction batch (``output``). References:
``deployment:ID``, ``prediction_batch:ID`` or a full 32-character id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rung.catalog import GraphEdge, GraphNode

if TYPE_CHECKING:
    from rung.catalog._lineage import Neighbour
    from rung.serving.records import DeploymentRecord, PredictionBatchRecord
    from rung.workspace import Workspace

__all__ = ["DEPLOYMENTS", "ServingLineage"]

_MAX_BATCHES = 100  # per deployment or step: the newest ones


class ServingLineage:
    """A lineage source for deployments and prediction batches."""

    def find(self, workspace: Workspace, reference: str) -> list[GraphNode]:
        """``deployment:ID``, ``prediction_batch:ID`` or a full id of either."""
        kind, sep, rest = reference.partition(":")
        if sep and kind == "deployment":
            return self._deployment(workspace, rest)
        if sep and kind == "prediction_batch":
            found = workspace.deployments.list_prediction_batches(
                batch_id=rest, limit=2
            )
            return [_batch_node(b) for b in found] if len(found) == 1 else []
        if sep or len(reference) != 32:
            return []
        batches = workspace.deployments.list_prediction_batches(
            batch_id=reference, limit=1
        )
        return [_batch_node(b) for b in batches] or self._deployment(
            workspace, reference
        )

    def upstream(self, workspace: Workspace, node: GraphNode) -> list[Neighbour]:
        """A deployment's model versions; a batch's deployment or version, step."""
        attrs = node.attributes
        if not _is_ours(node):
            return []
        if node.kind == "deployment":
            return [
                (parent, GraphEdge(parent.id, node.id, "deployed"))
                for parent in (
                    _version_node(workspace, attrs["project"], attrs["model"], v)
                    for v in attrs["served_versions"]
                )
            ]
        if node.kind != "prediction_batch":
            return []
        out: list[Neighbour] = []
        if attrs["deployment_id"]:
            parent = _deployment_node(
                workspace.deployments.get_deployment(attrs["deployment_id"])
            )
            out.append((parent, GraphEdge(parent.id, node.id, "logged")))
        elif attrs["version"] is not None:
            parent = _version_node(
                workspace, attrs["project"], attrs["model"], attrs["version"]
            )
            out.append((parent, GraphEdge(parent.id, node.id, "scored")))
        if attrs["step_run_id"]:
            step = _step_node(attrs["step_run_id"], attrs["run_id"])
            out.append((step, GraphEdge(step.id, node.id, "output")))
        return out

    def downstream(self, workspace: Workspace, node: GraphNode) -> list[Neighbour]:
        """A version's deployments and scorings; a deployment's or step's batches."""
        attrs = node.attributes
        if node.kind == "model_version" and "project" in attrs:
            return self._version_children(workspace, node)
        if not _is_ours(node) and node.kind != "step_run":
            return []
        if node.kind == "deployment":
            batches = workspace.deployments.list_prediction_batches(
                deployment_id=attrs["deployment_id"], limit=_MAX_BATCHES
            )
            return [
                (b, GraphEdge(node.id, b.id, "logged"))
                for b in map(_batch_node, batches)
            ]
        if node.kind == "step_run" and attrs.get("step_run_id"):
            batches = workspace.deployments.list_prediction_batches(
                step_run_id=attrs["step_run_id"], limit=_MAX_BATCHES
            )
            return [
                (b, GraphEdge(node.id, b.id, "output"))
                for b in map(_batch_node, batches)
            ]
        return []

    def _version_children(
        self, workspace: Workspace, node: GraphNode
    ) -> list[Neighbour]:
        attrs = node.attributes
        project, model, version = attrs["project"], attrs["model"], attrs["version"]
        out: list[Neighbour] = [
            (child, GraphEdge(node.id, child.id, "deployed"))
            for child in map(
                _deployment_node,
                workspace.deployments.list_deployments(
                    project=project, model=model, limit=None
                ),
            )
            if version in child.attributes["served_versions"]
        ]
        scored = workspace.deployments.list_prediction_batches(
            project=project, model=model, version=version, limit=_MAX_BATCHES * 10
        )
        out += [
            (child, GraphEdge(node.id, child.id, "scored"))
            for child in map(_batch_node, scored)
            if child.attributes["deployment_id"] is None
        ][-_MAX_BATCHES:]
        return out

    def _deployment(self, workspace: Workspace, reference: str) -> list[GraphNode]:
        try:
            return [_deployment_node(workspace.deployments.get_deployment(reference))]
        except LookupError:
            return []


def _is_ours(node: GraphNode) -> bool:
    # Other sources may name nodes "deployment" too: answer only for ours.
    key = {"deployment": "deployment_id", "prediction_batch": "batch_id"}
    return key.get(node.kind, "") in node.attributes


def _deployment_node(record: DeploymentRecord) -> GraphNode:
    target = record.alias or f"v{record.version}"
    return GraphNode(
        f"deployment:{record.id}",
        "deployment",
        f"{record.name} ({record.model}@{target}, {record.status})",
        {
            "deployment_id": record.id,
            "project": record.project,
            "model": record.model,
            "alias": record.alias,
            "version": record.version,
            "served_versions": list(record.served_versions),
            "status": record.status,
            "endpoint": f"http://{record.host}:{record.port}",
        },
    )


def _batch_node(record: PredictionBatchRecord) -> GraphNode:
    return GraphNode(
        f"prediction_batch:{record.id}",
        "prediction_batch",
        f"{record.row_count} predictions {record.id[:8]}",
        {
            "batch_id": record.id,
            "project": record.project,
            "model": record.model,
            "version": record.version,
            "rows": record.row_count,
            "first_at": record.first_at,
            "last_at": record.last_at,
            "uri": record.uri,
            "deployment_id": record.deployment_id,
            "run_id": record.run_id,
            "step_run_id": record.step_run_id,
        },
    )


def _version_node(
    workspace: Workspace, project: str, model: str, version: int
) -> GraphNode:
    # The same node the catalog's model source builds (same id, same fields).
    found: Any = workspace.models.get_model_version(project, model, version)
    return GraphNode(
        f"model_version:{project}/{model}/{version}",
        "model_version",
        f"{model} v{version}",
        {
            "model": model,
            "version": version,
            "project": project,
            "artifact_id": found.artifact_id,
            "state": found.state,
        },
    )


def _step_node(step_run_id: str, run_id: str | None) -> GraphNode:
    return GraphNode(
        f"step_run:{step_run_id}",
        "step_run",
        f"batch_predict (run {(run_id or '')[:8]})",
        {"step": "batch_predict", "run_id": run_id, "step_run_id": step_run_id},
    )


DEPLOYMENTS = ServingLineage()
