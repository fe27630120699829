"""Deployments, prediction batches and predictions in the lineage graph."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from rung.catalog import lineage_graph
from rung.errors import LineageNodeNotFoundError
from rung.registry import promote_model
from rung.serving import ServedModel, ServeOptions, log_predictions, start_deployment
from tests.unit.serving.models import FEATURES, churn_frame

if TYPE_CHECKING:
    from rung.catalog import LineageGraph
    from rung.registry.records import ModelVersionRecord
    from rung.serving.records import DeploymentRecord
    from rung.workspace import Workspace


def edge_kinds(graph: LineageGraph) -> set[tuple[str, str, str]]:
    return {
        (e.source.split(":")[0], e.target.split(":")[0], e.kind) for e in graph.edges
    }


def batch_versions(graph: LineageGraph) -> list[int]:
    return sorted(n.attributes["version"] for n in graph.of_kind("prediction_batch"))


@pytest.fixture
def swapped(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> tuple[DeploymentRecord, list[str], list[str]]:
    """One deployment that served v1 then v2, a batch of each, and a scoring."""
    served = ServedModel.load(workspace, "churn@production")
    deployment = start_deployment(workspace, served, ServeOptions(port=9000))
    X = churn_frame(3)[FEATURES]
    first = log_predictions(
        workspace, "churn/1", X, np.ones(3), deployment_id=deployment.id
    )
    log_predictions(workspace, "churn/1", X, np.ones(3))  # batch scoring
    promote_model(workspace, "churn", 2, "production")
    workspace.deployments.update_deployment(deployment.id, {"version": 2})
    second = log_predictions(
        workspace, "churn/2", X, np.zeros(3), deployment_id=deployment.id
    )
    return deployment, first, second


def test_model_version_to_deployment_to_prediction_batch(
    workspace: Workspace, swapped: tuple[DeploymentRecord, list[str], list[str]]
) -> None:
    deployment, _, _ = swapped
    graph = lineage_graph(workspace, "churn/1", "downstream")
    dep = f"deployment:{deployment.id}"
    assert graph.nodes[f"{dep}/v1"].attributes["served_versions"] == [1, 2]
    assert batch_versions(graph) == [1, 1]  # the deployed one and the scoring
    assert {
        ("model_version", "deployment", "deployed"),
        ("deployment", "prediction_batch", "logged"),
        ("model_version", "prediction_batch", "scored"),
    } <= edge_kinds(graph)

    whole = lineage_graph(workspace, dep)
    assert whole.roots == (dep,)
    assert {
        "model_version:test-project/churn/1",
        "model_version:test-project/churn/2",
    } <= set(whole.nodes)
    assert batch_versions(whole) == [1, 2]
    assert lineage_graph(workspace, deployment.id).roots == (dep,)
    assert lineage_graph(workspace, f"{dep}/v2").roots == (f"{dep}/v2",)


def test_a_version_shows_only_the_batches_it_predicted(
    workspace: Workspace, swapped: tuple[DeploymentRecord, list[str], list[str]]
) -> None:
    deployment, _, _ = swapped
    graph = lineage_graph(workspace, "churn/2", "downstream")
    assert batch_versions(graph) == [2]
    [serving] = graph.of_kind("deployment")
    assert serving.id == f"deployment:{deployment.id}/v2"
    [batch] = graph.of_kind("prediction_batch")
    up = lineage_graph(workspace, batch.id, "upstream")
    versions = {n.attributes["version"] for n in up.of_kind("model_version")}
    assert versions == {2}  # not v1, although the deployment served it too


def test_a_prediction_id_or_a_batch_prefix_is_a_lineage_reference(
    workspace: Workspace, swapped: tuple[DeploymentRecord, list[str], list[str]]
) -> None:
    deployment, first, _ = swapped
    graph = lineage_graph(workspace, first[1], "upstream")
    assert graph.roots == (f"prediction:{first[1]}",)
    assert {
        ("prediction_batch", "prediction", "contains"),
        ("deployment", "prediction_batch", "logged"),
        ("model_version", "deployment", "deployed"),
    } <= edge_kinds(graph)
    assert f"deployment:{deployment.id}/v1" in graph.nodes
    assert "model_version:test-project/churn/2" not in graph.nodes
    assert lineage_graph(workspace, f"prediction:{first[0]}").roots == (
        f"prediction:{first[0]}",
    )
    batch_id = graph.nodes[graph.roots[0]].attributes["batch_id"]
    found = lineage_graph(workspace, batch_id[:10], "upstream")
    assert found.roots == (f"prediction_batch:{batch_id}",)
    with pytest.raises(LineageNodeNotFoundError, match="Nothing in the workspace"):
        lineage_graph(workspace, "0" * 16 + "9" * 12)
