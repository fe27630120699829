"""Deployments and prediction batches in the lineage graph."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rung.catalog import lineage_graph
from rung.registry import promote_model
from rung.serving import ServedModel, ServeOptions, log_predictions, start_deployment
from tests.unit.serving.models import FEATURES, churn_frame

if TYPE_CHECKING:
    from rung.registry.records import ModelVersionRecord
    from rung.workspace import Workspace


def test_model_version_to_deployment_to_prediction_batch(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    served = ServedModel.load(workspace, "churn@production")
    deployment = start_deployment(workspace, served, ServeOptions(port=9000))
    X = churn_frame(3)[FEATURES]
    log_predictions(workspace, "churn/1", X, np.ones(3), deployment_id=deployment.id)
    log_predictions(workspace, "churn/1", X, np.ones(3))  # batch scoring
    promote_model(workspace, "churn", 2, "production")
    workspace.deployments.update_deployment(deployment.id, {"version": 2})

    graph = lineage_graph(workspace, "churn/1", "downstream")
    dep = f"deployment:{deployment.id}"
    assert dep in graph.nodes
    assert graph.nodes[dep].attributes["served_versions"] == [1, 2]
    batches = graph.of_kind("prediction_batch")
    assert len(batches) == 2
    edges = {
        (e.source.split(":")[0], e.target.split(":")[0], e.kind) for e in graph.edges
    }
    assert ("model_version", "deployment", "deployed") in edges
    assert ("deployment", "prediction_batch", "logged") in edges
    assert ("model_version", "prediction_batch", "scored") in edges

    up = lineage_graph(workspace, dep, "upstream")
    assert {
        "model_version:test-project/churn/1",
        "model_version:test-project/churn/2",
    } <= set(up.nodes)
    assert lineage_graph(workspace, deployment.id).roots == (dep,)
