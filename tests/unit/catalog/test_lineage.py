"""The lineage graph: dataset versions -> steps -> artifacts -> models -> beyond."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rung import Run, pipeline, step
from rung.catalog import (
    GraphEdge,
    GraphNode,
    add_lineage_source,
    dataset,
    graph_to_html,
    graph_to_svg,
    lineage_graph,
    refresh_dataset,
    register_dataset,
)
from rung.catalog._svg import layout
from rung.errors import AmbiguousIdError, LineageNodeNotFoundError
from rung.registry.records import AuditNote, ModelVersionRecord
from tests.unit.catalog.conftest import claims_frame

if TYPE_CHECKING:
    import pandas as pd

    from rung.workspace import Workspace


@step
def prepare(df: pd.DataFrame) -> pd.DataFrame:
    return df[["id", "amount"]]


@step
def train(features: pd.DataFrame) -> dict[str, float]:
    return {"mean_amount": float(features["amount"].mean())}


@pipeline
def training() -> None:
    train(prepare(dataset("claims")))


@pytest.fixture
def trained(workspace: Workspace, csv_file: Path) -> Run:
    register_dataset(workspace, "claims", str(csv_file), tags=["pii"], region="CA")
    return training()


def _register_model(
    workspace: Workspace,
    artifact_id: str,
    run_id: str | None = None,
    step_run_id: str | None = None,
) -> ModelVersionRecord:
    record = ModelVersionRecord(
        model="claims-model",
        version=0,
        project=workspace.project,
        artifact_id=artifact_id,
        user="tester",
        created_at=time.time(),
        run_id=run_id,
        step_run_id=step_run_id,
    )
    note = AuditNote(action="register", user="tester", at=time.time())
    return workspace.models.add_model_version(record, note)


def _output(run: Run, step_name: str) -> str:
    return next(iter(run.outputs[step_name].values()))


def _kinds(graph: object) -> list[str]:
    return [n.kind for n in graph.nodes.values()]  # type: ignore[attr-defined]


def test_downstream_from_a_dataset_reaches_the_model(
    workspace: Workspace, trained: Run
) -> None:
    model_artifact = _output(trained, "train")
    version = _register_model(workspace, model_artifact)
    graph = lineage_graph(workspace, "claims", "downstream")
    assert _kinds(graph) == [
        "dataset",
        "dataset_version",
        "step_run",
        "artifact",
        "step_run",
        "artifact",
        "model_version",
    ]
    model = graph.of_kind("model_version")[0]
    assert model.label == f"claims-model v{version.version}"
    assert [e.kind for e in graph.edges] == [
        "version",
        "read",
        "output",
        "input",
        "output",
        "registered",
    ]
    assert graph.nodes["dataset:claims"].attributes["tags"] == ["pii"]
    assert graph.of_kind("dataset_version")[0].attributes["region"] == "CA"


def test_upstream_from_a_model_version_reaches_the_dataset(
    workspace: Workspace, trained: Run
) -> None:
    model_artifact = _output(trained, "train")
    version = _register_model(workspace, model_artifact)
    graph = lineage_graph(workspace, f"claims-model/{version.version}", "upstream")
    assert graph.roots == (graph.of_kind("model_version")[0].id,)
    assert _kinds(graph)[-2:] == ["dataset_version", "dataset"]
    assert [p.kind for p in graph.parents(graph.roots[0])] == ["artifact"]


def test_a_version_made_by_its_step_run_has_the_artifact_as_only_parent(
    workspace: Workspace, trained: Run
) -> None:
    producer = trained.steps["train"]
    version = _register_model(
        workspace, _output(trained, "train"), trained.id, producer.id
    )
    graph = lineage_graph(workspace, f"claims-model/{version.version}", "upstream")
    assert [p.kind for p in graph.parents(graph.roots[0])] == ["artifact"]


def test_a_version_registered_inside_a_step_leads_to_that_step_run(
    workspace: Workspace, trained: Run
) -> None:
    # A model object registered in a step's body is stored as an artifact no
    # step output: only the step run the version names links it to the data.
    artifact = workspace.put_artifact({"weights": [0.5, 1.5]})
    in_step = trained.steps["prepare"]
    version = _register_model(workspace, artifact.id, trained.id, in_step.id)
    graph = lineage_graph(workspace, f"claims-model/{version.version}", "upstream")
    parents = {p.kind: p for p in graph.parents(graph.roots[0])}
    assert set(parents) == {"artifact", "step_run"}
    assert parents["step_run"].attributes["step"] == "prepare"
    assert "registered in" in {e.kind for e in graph.edges}
    assert [n.label for n in graph.of_kind("dataset_version")] == ["claims@1"]


def test_training_data_given_at_registration_is_upstream_of_the_version(
    workspace: Workspace, trained: Run
) -> None:
    from rung.registry import register_model

    table = claims_frame()
    script = register_model(
        workspace, {"weights": [1.0]}, "script", training_data=table
    )
    graph = lineage_graph(workspace, f"script/{script.version}", "upstream")
    [data] = [e for e in graph.edges if e.kind == "trained on"]
    assert data.source == f"artifact:{next(iter(script.training_data.values()))}"
    assert workspace.load_artifact(data.source.removeprefix("artifact:")).equals(table)
    # From a run, the training data is the producing step's input: no extra edge.
    piped = register_model(workspace, trained, "piped", step="train")
    graph = lineage_graph(workspace, f"piped/{piped.version}", "upstream")
    assert piped.training_data and "trained on" not in {e.kind for e in graph.edges}


def test_references_name_versions_artifacts_and_runs(
    workspace: Workspace, trained: Run
) -> None:
    version = workspace.datasets.get_dataset_version("claims")
    by_name = lineage_graph(workspace, "claims@1", "downstream")
    assert by_name.roots == (f"dataset_version:{version.id}",)
    assert lineage_graph(workspace, version.id[:8]).roots == by_name.roots
    artifact = _output(trained, "prepare")
    assert lineage_graph(workspace, artifact[:10]).roots == (f"artifact:{artifact}",)
    assert lineage_graph(workspace, f"artifact:{artifact}").roots == (
        f"artifact:{artifact}",
    )
    by_run = lineage_graph(workspace, trained.id[:10], "upstream")
    assert len(by_run.roots) == 2
    assert "dataset_version" in _kinds(by_run)


def test_unknown_references_are_clear_errors(
    workspace: Workspace, trained: Run
) -> None:
    with pytest.raises(LineageNodeNotFoundError, match="Nothing in the workspace"):
        lineage_graph(workspace, "nothing-here")
    with pytest.raises(LineageNodeNotFoundError, match="'claims@9'"):
        lineage_graph(workspace, "claims@9")
    with pytest.raises(ValueError, match="direction must be"):
        lineage_graph(workspace, "claims", "sideways")  # type: ignore[arg-type]


def test_a_new_dataset_version_gets_its_own_branch(
    workspace: Workspace, trained: Run, csv_file: Path
) -> None:
    claims_frame(6).to_csv(csv_file, index=False)
    refresh_dataset(workspace, "claims")
    training()
    graph = lineage_graph(workspace, "claims", "downstream")
    versions = graph.of_kind("dataset_version")
    assert [v.label for v in versions] == ["claims@1", "claims@2"]
    assert all(graph.children(v.id) for v in versions)


def test_depth_limits_the_walk(workspace: Workspace, trained: Run) -> None:
    graph = lineage_graph(workspace, "claims", "downstream", depth=2)
    assert _kinds(graph) == ["dataset", "dataset_version", "step_run"]
    assert graph.truncated


class _Deployments:
    """What the serving domain will plug in: model version -> deployment."""

    def find(self, workspace: Workspace, reference: str) -> list[GraphNode]:
        if reference == "deployment:claims-api":
            return [GraphNode("deployment:claims-api", "deployment", "claims-api")]
        return []

    def upstream(
        self, workspace: Workspace, node: GraphNode
    ) -> list[tuple[GraphNode, GraphEdge]]:
        return []

    def downstream(
        self, workspace: Workspace, node: GraphNode
    ) -> list[tuple[GraphNode, GraphEdge]]:
        if node.kind != "model_version":
            return []
        child = GraphNode("deployment:claims-api", "deployment", "claims-api")
        return [(child, GraphEdge(node.id, child.id, "serves"))]


def test_other_domains_add_lineage_sources(workspace: Workspace, trained: Run) -> None:
    model_artifact = _output(trained, "train")
    _register_model(workspace, model_artifact)
    add_lineage_source(_Deployments())
    graph = lineage_graph(workspace, "claims@1", "downstream")
    assert _kinds(graph)[-1] == "deployment"
    assert lineage_graph(workspace, "deployment:claims-api").roots == (
        "deployment:claims-api",
    )


def test_ambiguous_prefix_names_the_candidates(
    workspace: Workspace, trained: Run
) -> None:
    version = workspace.datasets.get_dataset_version("claims")

    class _Clash:
        def find(self, workspace: Workspace, reference: str) -> list[GraphNode]:
            return [GraphNode("deployment:x", "deployment", "x")]

        def upstream(self, workspace: Workspace, node: GraphNode) -> list[object]:
            return []

        downstream = upstream

    add_lineage_source(_Clash())  # type: ignore[arg-type]
    with pytest.raises(AmbiguousIdError, match="names several things"):
        lineage_graph(workspace, version.id)


def test_graph_renders_as_layered_svg_and_html(
    workspace: Workspace, trained: Run
) -> None:
    graph = lineage_graph(workspace, "claims", "downstream")
    places = layout(graph)
    assert [places[n.id][0] for n in graph.nodes.values()] == [0, 1, 2, 3, 4, 5]
    svg = graph_to_svg(graph)
    assert svg.startswith("<svg") and svg.count('class="node"') == 6
    html = graph_to_html(graph)
    assert html.startswith("<!doctype html>") and "<svg" in html
    assert "claims@1" in html and "<script" not in html


def test_a_cached_step_run_leads_back_to_the_version_its_source_read(
    workspace: Workspace, trained: Run
) -> None:
    cached = training()
    statuses = [s.status for s in workspace.runs.list_step_runs(cached.id)]
    assert statuses == ["cached", "cached"]
    graph = lineage_graph(workspace, f"run:{cached.id}", "upstream")
    assert [n.label for n in graph.of_kind("dataset_version")] == ["claims@1"]
