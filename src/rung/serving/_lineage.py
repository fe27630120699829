"""Deployments, prediction batches and predictions in the lineage graph.

A deployment that hot-swapped served several versions, and each of its log
batches was predicted by one of them. So that a version's lineage shows only
what it predicted, a deployment appears once per version it served,
``deployment:ID/vN``, between that version and the batches it logged:

    model version N -> deployment:ID/vN (``deployed``) -> batch (``logged``)

Batch scoring: model version -> batch (``scored``), and the step run that
scored -> batch (``output``). A prediction hangs under its batch
(``contains``). The whole deployment, ``deployment:ID``, is what its id
names: all the versions it served upstream, all its batches downstream.

References: ``deployment:ID`` (``/vN`` for one version), ``prediction_batch:ID``
and ``prediction:ID``; bare, a deployment or batch id (or a prefix of at least
4 characters) or a prediction id.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from rung.catalog import GraphEdge, GraphNode
from rung.store import MIN_PREFIX

if TYPE_CHECKING:
    from rung.catalog._lineage import Neighbour
    from rung.serving.records import DeploymentRecord, PredictionBatchRecord
    from rung.workspace import Workspace

__all__ = ["DEPLOYMENTS", "ServingLineage"]

_MAX_BATCHES = 100  # per deployment or step: the newest ones
_HEX = re.compile(r"[0-9a-f]+")
_PREDICTION_ID = re.compile(r"[0-9a-f]{16}[0-9]{12}")  # see rung.serving._ids
_SEGMENT = re.compile(r"(?P<id>[0-9a-f]+)/v(?P<version>[0-9]+)")


class ServingLineage:
    """A lineage source for deployments, prediction batches and predictions."""

    def find(self, workspace: Workspace, reference: str) -> list[GraphNode]:
        """The deployment, batch or prediction ``reference`` names."""
        kind, sep, rest = reference.partition(":")
        if sep and kind == "deployment":
            return self._deployment(workspace, rest)
        if sep and kind == "prediction_batch":
            return self._batch(workspace, rest)
        if sep and kind == "prediction":
            return _prediction(workspace, rest)
        if sep or len(reference) < MIN_PREFIX or not _HEX.fullmatch(reference):
            return []
        if _PREDICTION_ID.fullmatch(reference):
            found = _prediction(workspace, reference)
            if found:
                return found
        return self._batch(workspace, reference) or self._deployment(
            workspace, reference
        )

    def upstream(self, workspace: Workspace, node: GraphNode) -> list[Neighbour]:
        """A deployment's versions; a batch's deployment or version, step."""
        attrs = node.attributes
        if not _is_ours(node):
            return []
        if node.kind == "deployment":
            versions = attrs["served_versions"]
            if attrs["segment"] is not None:
                versions = [attrs["segment"]]
            return [
                (parent, GraphEdge(parent.id, node.id, "deployed"))
                for parent in (
                    _version_node(workspace, attrs["project"], attrs["model"], v)
                    for v in versions
                )
            ]
        if node.kind == "prediction":
            batch = workspace.deployments.list_prediction_batches(
                batch_id=attrs["batch_id"], limit=1
            )
            return [
                (parent, GraphEdge(parent.id, node.id, "contains"))
                for parent in map(_batch_node, batch)
            ]
        if node.kind != "prediction_batch":
            return []
        return self._batch_parents(workspace, node)

    def downstream(self, workspace: Workspace, node: GraphNode) -> list[Neighbour]:
        """A version's deployments and scorings; a deployment's or step's batches."""
        attrs = node.attributes
        if node.kind == "model_version" and "project" in attrs:
            return self._version_children(workspace, node)
        if not _is_ours(node) and node.kind != "step_run":
            return []
        if node.kind == "deployment":
            batches = workspace.deployments.list_prediction_batches(
                deployment_id=attrs["deployment_id"],
                version=attrs["segment"],
                limit=_MAX_BATCHES,
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

    def _batch_parents(self, workspace: Workspace, node: GraphNode) -> list[Neighbour]:
        attrs = node.attributes
        out: list[Neighbour] = []
        if attrs["deployment_id"]:
            record = workspace.deployments.get_deployment(attrs["deployment_id"])
            parent = _deployment_node(record, attrs["version"])
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

    def _version_children(
        self, workspace: Workspace, node: GraphNode
    ) -> list[Neighbour]:
        attrs = node.attributes
        project, model, version = attrs["project"], attrs["model"], attrs["version"]
        out: list[Neighbour] = [
            (child, GraphEdge(node.id, child.id, "deployed"))
            for child in (
                _deployment_node(record, version)
                for record in workspace.deployments.list_deployments(
                    project=project, model=model, limit=None
                )
                if version in record.served_versions
            )
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
        found = _SEGMENT.fullmatch(reference)
        given, version = (
            (found["id"], int(found["version"])) if found else (reference, None)
        )
        try:
            record = workspace.deployments.get_deployment(given)
        except LookupError:
            return []
        if version is not None and version not in record.served_versions:
            return []
        return [_deployment_node(record, version)]

    def _batch(self, workspace: Workspace, reference: str) -> list[GraphNode]:
        found = workspace.deployments.list_prediction_batches(
            batch_id=reference, limit=2
        )
        return [_batch_node(b) for b in found] if len(found) == 1 else []


def _prediction(workspace: Workspace, prediction_id: str) -> list[GraphNode]:
    from rung.serving._lookup import find_predictions

    batch = find_predictions(workspace, [prediction_id]).get(prediction_id)
    if batch is None:
        return []
    return [
        GraphNode(
            f"prediction:{prediction_id}",
            "prediction",
            f"prediction {prediction_id}",
            {
                "prediction_id": prediction_id,
                "batch_id": batch.id,
                "project": batch.project,
                "model": batch.model,
                "version": batch.version,
            },
        )
    ]


def _is_ours(node: GraphNode) -> bool:
    # Other sources may name nodes "deployment" too: answer only for ours.
    key = {
        "deployment": "deployment_id",
        "prediction_batch": "batch_id",
        "prediction": "prediction_id",
    }
    return key.get(node.kind, "") in node.attributes


def _deployment_node(record: DeploymentRecord, version: int | None) -> GraphNode:
    """The whole deployment (``version`` None), or its serving of one version."""
    target = record.alias or f"v{record.version}"
    serving = "" if version is None else f", serving v{version}"
    return GraphNode(
        f"deployment:{record.id}" + ("" if version is None else f"/v{version}"),
        "deployment",
        f"{record.name} ({record.model}@{target}{serving}, {record.status})",
        {
            "deployment_id": record.id,
            "project": record.project,
            "model": record.model,
            "alias": record.alias,
            "version": record.version,
            "segment": version,
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
